import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { ENDPOINT_KIND, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import { describeExperiment, EXPERIMENT_KIND, experimentNotFound, type ExperimentRecord } from '../../domain/experiments/experiment.js';

/**
 * One look-up; EndpointMetadata carries the endpoint's current config name and status (and
 * FailureReason), read at call time as AWS reports them. Missing → ResourceNotFound.
 */
export async function DescribeInferenceExperiment(ctx: OpContext, input: { Name: string }) {
  const row = await ctx.store.get<ExperimentRecord>(ctx, EXPERIMENT_KIND, input.Name);
  if (!row) throw experimentNotFound(arn(ctx, 'inference-experiment', input.Name));
  const ep = await ctx.store.get<EndpointRecord>(ctx, ENDPOINT_KIND, row.data.EndpointName);
  return describeExperiment(row.data, ep?.data);
}
