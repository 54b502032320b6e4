import { createHash } from 'node:crypto';
import { AwsError } from '../../errors.js';
import type { Cursor, Resource, Scope } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { KIND, datasetName, modelName, type DatasetData, type LookoutController, type ModelData } from '../../domain/lookoutvision/controller.js';

export { KIND, datasetName, modelName };
export type { DatasetData, ModelData };

export type ResourceType = 'PROJECT' | 'DATASET' | 'MODEL' | 'TRIAL' | 'MODEL_PACKAGE_JOB';

/** Lookout for Vision errors carry HTTP statuses, and Conflict / ResourceNotFound name the resource (service model). */
export const notFound = (type: ResourceType, id: string, message: string) => new AwsError('ResourceNotFoundException', message, 404, { ResourceId: id, ResourceType: type });
export const conflict = (type: ResourceType, id: string, message: string) => new AwsError('ConflictException', message, 409, { ResourceId: id, ResourceType: type });
export const validation = (message: string) => new AwsError('ValidationException', message, 400);

export const scope = (ctx: OpContext): Scope => ({ account: ctx.account, region: ctx.region });
export const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export const projectArn = (ctx: OpContext, project: string) => `arn:aws:lookoutvision:${ctx.region}:${ctx.account}:project/${project}`;
export const modelArn = (ctx: OpContext, project: string, version: number | string) =>
  `arn:aws:lookoutvision:${ctx.region}:${ctx.account}:model/${project}/${version}`;

export function controller(ctx: OpContext): LookoutController {
  const c = ctx.controllers.lookoutvision;
  if (!c) throw new AwsError('InternalServerException', 'The Lookout for Vision controller is not running.', 500);
  return c;
}

export async function getProject(ctx: OpContext, name: string): Promise<Resource<{}>> {
  const row = await ctx.store.get<{}>(scope(ctx), KIND.project, name);
  // Store look-ups ignore case; project names are case-sensitive in Lookout for Vision.
  if (!row || row.name !== name) throw notFound('PROJECT', name, `The project ${name} does not exist.`);
  return row;
}

export async function getDataset(ctx: OpContext, project: string, type: string): Promise<Resource<DatasetData>> {
  await getProject(ctx, project);
  const row = await ctx.store.get<DatasetData>(scope(ctx), KIND.dataset, datasetName(project, type));
  if (!row) throw notFound('DATASET', type, `The ${type} dataset of project ${project} does not exist.`);
  return row;
}

/** Every model of a project, newest version first. */
export async function projectModels(ctx: OpContext, project: string): Promise<Resource<ModelData>[]> {
  const out: Resource<ModelData>[] = [];
  let after: Cursor | undefined;
  do {
    const page = await ctx.store.list<ModelData>(scope(ctx), KIND.model, { parent: project, sortBy: 'created', descending: true, limit: 1000, after });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out.sort((a, b) => b.data.version - a.data.version);
}

/** A model by version; `latest` names the highest version, as DescribeModel/StartModel/StopModel/DetectAnomalies accept it. */
export async function getModel(ctx: OpContext, project: string, version: string): Promise<Resource<ModelData>> {
  await getProject(ctx, project);
  if (version === 'latest') {
    const [latest] = await projectModels(ctx, project);
    if (!latest) throw notFound('MODEL', version, `The project ${project} has no model versions.`);
    return latest;
  }
  const row = await ctx.store.get<ModelData>(scope(ctx), KIND.model, modelName(project, version));
  if (!row) throw notFound('MODEL', version, `Model version ${version} of project ${project} does not exist.`);
  return row;
}

export function modelMetadata(row: Resource<ModelData>) {
  return {
    CreationTimestamp: seconds(row.createdAt),
    ModelVersion: String(row.data.version),
    ModelArn: row.arn,
    Description: row.data.description,
    Status: row.status,
    StatusMessage: row.data.statusMessage,
    Performance: row.data.performance,
  };
}

/**
 * NextToken: the offset into a stable ordering, in standard base64 (the modelled pattern is
 * `[a-zA-Z0-9\/\+\=]`, so base64url's `-` and `_` would be refused on the way back in).
 */
export function encodeNext(kind: string, position: string | undefined): string | undefined {
  return position === undefined ? undefined : Buffer.from(JSON.stringify({ k: kind, p: position })).toString('base64');
}

export function decodeNext(kind: string, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (t?.k === kind && typeof t.p === 'string') return t.p;
  } catch {
    /* fall through */
  }
  throw validation('The pagination token is not valid.');
}

// ------------------------------------------------------------------------- ClientToken

/** AWS: "An idempotency token is active for 8 hours." */
export const TOKEN_TTL_MS = 8 * 60 * 60 * 1000;

interface TokenData {
  hash: string;
  state: 'pending' | 'done';
  response?: unknown;
  resourceType: ResourceType;
  resourceId: string;
}

/**
 * Runs a mutating call at most once per ClientToken. AWS documents for every Lookout for
 * Vision mutating call: "An error occurs if the other input parameters are not the same as
 * in the first request … An idempotency token is active for 8 hours." A repeat with the same
 * parameters gets the first call's answer and changes nothing. The token is stored (it
 * survives a restart) before the work starts, so two concurrent repeats cannot both act; a
 * call that fails releases its token, as a failed call did nothing to repeat.
 */
export async function idempotent<T>(
  ctx: OpContext,
  op: string,
  token: string | undefined,
  params: unknown,
  resource: { type: ResourceType; id: string },
  work: () => Promise<T>,
): Promise<T> {
  if (token === undefined) return work();
  const s = scope(ctx);
  const name = `${op}:${token}`;
  const hash = createHash('sha256').update(stableJson(params)).digest('base64');
  const now = ctx.clock.now();
  for (let attempt = 0; ; attempt++) {
    const row: Resource<TokenData> = {
      kind: KIND.token,
      name,
      arn: `token:${ctx.account}:${ctx.region}:${name}`,
      createdAt: now,
      modifiedAt: now,
      status: 'pending',
      data: { hash, state: 'pending', resourceType: resource.type, resourceId: resource.id },
    };
    if (await ctx.store.insert(s, row)) break;
    const prior = await ctx.store.get<TokenData>(s, KIND.token, name);
    if (!prior) continue;
    if (now - prior.createdAt >= TOKEN_TTL_MS) {
      // Expired: the token starts a new call.
      await ctx.store.delete(s, KIND.token, name);
      continue;
    }
    if (prior.data.hash !== hash) {
      throw conflict(
        prior.data.resourceType,
        prior.data.resourceId,
        `The ClientToken ${token} was already used for a ${op} request with different parameters. Use a new ClientToken for a new request.`,
      );
    }
    if (prior.data.state === 'done') return prior.data.response as T;
    if (attempt > 100) throw conflict(resource.type, resource.id, `A ${op} request with ClientToken ${token} is still in progress.`);
    await new Promise((r) => setTimeout(r, 50));
  }
  let response: T;
  try {
    response = await work();
  } catch (e) {
    await ctx.store.delete(s, KIND.token, name);
    throw e;
  }
  await ctx.store.update<TokenData>(s, KIND.token, name, (r) => ({ ...r, status: 'done', data: { ...r.data, state: 'done', response } }));
  return response;
}

function stableJson(v: unknown): string {
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('base64'));
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  return `{${Object.keys(v)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

/** The input without its ClientToken: what a repeated call must match. */
export function withoutToken<T extends { ClientToken?: string }>(input: T): Omit<T, 'ClientToken'> {
  const { ClientToken: _t, ...rest } = input;
  return rest;
}
