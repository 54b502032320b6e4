import { validation } from '../../errors.js';
import type { Cursor, ListQuery, SortKey, Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';

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

/** Tags given at creation: AWS allows 50 with unique keys. */
export function checkCreateTags(tags: Tag[] | undefined): void {
  if (!tags) return;
  const seen = new Set<string>();
  for (const t of tags) {
    if (seen.has(t.Key)) throw validation(`Duplicate tag key '${t.Key}' in the request.`);
    seen.add(t.Key);
  }
}
