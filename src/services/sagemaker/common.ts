import { validation } from '../../errors.js';
import type { Cursor, ListQuery, SortKey, Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { spec } from '../../spec/generated/sagemaker.js';

/** SageMaker ARNs lower-case the resource name (`…:endpoint-config/my-config`). */
export function arn(ctx: OpContext, resourceType: string, name: string): string {
  return `arn:aws:sagemaker:${ctx.region}:${ctx.account}:${resourceType}/${name.toLowerCase()}`;
}

/** JSON 1.1 timestamps are epoch seconds (fractional allowed). */
export const toEpochSeconds = (ms: number) => ms / 1000;
export const fromEpochSeconds = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000));

/** NextToken is opaque to clients: the keyset cursor plus the sort it belongs to. */
export function encodeToken(sort: string, cursor: Cursor | undefined): string | undefined {
  return cursor && Buffer.from(JSON.stringify({ s: sort, ...cursor })).toString('base64url');
}

export function decodeToken(token: string | undefined, sort: string): Cursor | undefined {
  if (token === undefined) return undefined;
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t && t.s === sort && (typeof t.v === 'string' || typeof t.v === 'number') && typeof t.n === 'string') {
      return { v: t.v, n: t.n };
    }
  } catch {
    /* fall through */
  }
  throw validation('Invalid pagination token because of an invalid character or pagination token has expired.');
}

/** The members every SageMaker List* call shares. */
export interface ListInput {
  NextToken?: string;
  MaxResults?: number;
  SortBy?: string;
  SortOrder?: 'Ascending' | 'Descending';
  NameContains?: string;
  CreationTimeBefore?: number;
  CreationTimeAfter?: number;
  LastModifiedTimeBefore?: number;
  LastModifiedTimeAfter?: number;
  StatusEquals?: string;
}

const SORT_KEYS: Record<string, SortKey> = {
  Name: 'name',
  CreationTime: 'created',
  LastModifiedTime: 'modified',
  Status: 'status',
};

/** Maps a List* input to a store query. AWS defaults: CreationTime, Descending, 10 results. */
export function listQuery(input: ListInput, defaults: { sortBy?: string; limit?: number } = {}): ListQuery & { token: string } {
  const sortBy = input.SortBy ?? defaults.sortBy ?? 'CreationTime';
  const order = input.SortOrder ?? 'Descending';
  const token = `${sortBy}:${order}`;
  return {
    token,
    sortBy: SORT_KEYS[sortBy] ?? 'created',
    descending: order === 'Descending',
    limit: input.MaxResults ?? defaults.limit ?? 10,
    after: decodeToken(input.NextToken, token),
    nameContains: input.NameContains,
    createdBefore: fromEpochSeconds(input.CreationTimeBefore),
    createdAfter: fromEpochSeconds(input.CreationTimeAfter),
    modifiedBefore: fromEpochSeconds(input.LastModifiedTimeBefore),
    modifiedAfter: fromEpochSeconds(input.LastModifiedTimeAfter),
    status: input.StatusEquals,
  };
}

/** AWS caps every SageMaker resource at 50 user tags in total. */
export const MAX_TAGS = 50;

/**
 * Semantic tag checks the shape validator cannot make (it already enforces ≤ 50 entries,
 * key 1–128 / value 0–256 characters and the character pattern): keys unique within the
 * request, and the `aws:` prefix (any case) reserved for AWS's own tags, as every AWS
 * tagging API documents. The wording of both messages is Slipway's: AWS's exact text for
 * these two refusals could not be confirmed from public sources.
 */
export function checkTags(tags: Tag[] | undefined): void {
  if (!tags) return;
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.Key.toLowerCase().startsWith('aws:')) {
      throw validation(`Tag keys beginning with 'aws:' are reserved for system use: '${t.Key}'.`);
    }
    if (seen.has(t.Key)) throw validation(`Duplicate tag key '${t.Key}' in the request.`);
    seen.add(t.Key);
  }
}

/**
 * ARN resource types (the part before `/`) mapped to store kinds. Only kinds Slipway
 * stores are listed; AddTags/ListTags/DeleteTags on any other SageMaker type answers as
 * for a resource that does not exist.
 */
const ARN_TYPE_TO_KIND: Record<string, string> = {
  model: 'model',
  'endpoint-config': 'endpoint-config',
  endpoint: 'endpoint',
  'training-job': 'training-job',
  'model-package-group': 'model-package-group',
  'model-package': 'model-package',
  experiment: 'experiment',
  'experiment-trial': 'trial',
  'experiment-trial-component': 'trial-component',
  'inference-experiment': 'inference-experiment',
};

/** The resource an ARN names, when it is a SageMaker ARN of this account and region. */
export function parseArn(ctx: OpContext, resourceArn: string): { kind: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):([a-z-]+)\/(.+)$/.exec(resourceArn);
  if (!m || m[1] !== ctx.region || m[2] !== ctx.account) return undefined;
  const kind = ARN_TYPE_TO_KIND[m[3]];
  return kind ? { kind, name: m[4] } : undefined;
}

/** The List* output's `NextToken` member, present only when another page exists. */
export function pageToken(q: { token: string }, next: Cursor | undefined): { NextToken?: string } {
  const NextToken = encodeToken(q.token, next);
  return NextToken ? { NextToken } : {};
}

/**
 * Copies only the listed members that are present. AWS JSON 1.1 services ignore members
 * they do not model, so an unknown input member must never be stored and echoed back.
 */
export function pick<T extends object>(from: T | undefined, members: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  if (!from) return out as Partial<T>;
  for (const m of members) {
    const v = (from as Record<string, unknown>)[m];
    if (v !== undefined) out[m] = v;
  }
  return out as Partial<T>;
}

/**
 * A copy of a validated input keeping only the members the service model defines, at every
 * depth (structures inside lists and maps included). AWS JSON 1.1 services ignore members
 * they do not model, so what a client invents is neither stored nor echoed by Describe.
 */
export function modelled<T>(shapeName: string, value: T): T {
  return walk(shapeName, value) as T;
}

function walk(shapeName: string, value: unknown): unknown {
  const shape = spec.shapes[shapeName];
  if (!shape || value === null || typeof value !== 'object') return value;
  if (shape.type === 'list' && Array.isArray(value)) return value.map((v) => walk(shape.member!, v));
  if (shape.type === 'map') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(shape.value!, v)]));
  }
  if (shape.type === 'structure' && shape.members) {
    const out: Record<string, unknown> = {};
    for (const [name, m] of Object.entries(shape.members)) {
      const v = (value as Record<string, unknown>)[name];
      if (v !== undefined) out[name] = walk(m.shape, v);
    }
    return out;
  }
  return value;
}
