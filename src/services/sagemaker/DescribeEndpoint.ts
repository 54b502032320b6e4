import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { describeEndpoint, ENDPOINT_KIND, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import { renderProgress } from '../../domain/endpoints/deployment.js';
import { validation } from '../../errors.js';

/**
 * One look-up. A missing endpoint is a ValidationException "Could not find endpoint …", not a
 * ResourceNotFound: botocore's EndpointDeleted waiter treats exactly that error as success.
 * During a guarded deployment (UpdateEndpoint with a DeploymentConfig) the variants show its
 * progress: instance counts of both fleets, the new fleet's current weight and the phase
 * (`Creating`, `ActivatingTraffic`, `Baking`) with its step and start time.
 */
export async function DescribeEndpoint(ctx: OpContext, input: { EndpointName: string }) {
  const row = await ctx.store.get<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName);
  if (!row) throw validation(`Could not find endpoint "${arn(ctx, 'endpoint', input.EndpointName)}".`);
  const out = describeEndpoint(row.data);
  const progress = row.data.pending?.progress;
  if (progress) renderProgress(out, progress);
  return out;
}
