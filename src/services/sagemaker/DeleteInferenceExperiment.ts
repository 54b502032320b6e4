import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { EXPERIMENT_KIND, experimentNotFound, wrongStatus, type ExperimentRecord } from '../../domain/experiments/experiment.js';

/**
 * Deletes the experiment's record (and tags). API reference: "This operation does not
 * delete your endpoint, variants, or any underlying resources. This operation only deletes
 * the metadata of your experiment." An experiment that is starting, running, updating or
 * stopping owns its endpoint's shadow and is refused with ConflictException (stop it first).
 */
export async function DeleteInferenceExperiment(ctx: OpContext, input: { Name: string }) {
  const experimentArn = arn(ctx, 'inference-experiment', input.Name);
  const row = await ctx.store.get<ExperimentRecord>(ctx, EXPERIMENT_KIND, input.Name);
  if (!row) throw experimentNotFound(experimentArn);
  const s = row.data.Status;
  if (s !== 'Created' && s !== 'Completed' && s !== 'Cancelled') throw wrongStatus('delete', row.arn, s, 'Created, Completed or Cancelled');
  await ctx.store.delete(ctx, EXPERIMENT_KIND, input.Name);
  void ctx.controllers.experiments?.kick(ctx, input.Name);
  return { InferenceExperimentArn: row.arn };
}
