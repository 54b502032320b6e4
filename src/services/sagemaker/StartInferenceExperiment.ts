import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { EXPERIMENT_KIND, experimentNotFound, wrongStatus, type ExperimentRecord } from '../../domain/experiments/experiment.js';

/**
 * Starts a Created (scheduled) experiment now instead of at its StartTime: Starting is
 * recorded (StartTime becomes now, so Describe shows when it really began) and the
 * controller brings the shadow up. Any other status → ConflictException, the error the API
 * reference lists for this operation.
 */
export async function StartInferenceExperiment(ctx: OpContext, input: { Name: string }) {
  const experimentArn = arn(ctx, 'inference-experiment', input.Name);
  const now = ctx.clock.now();
  const row = await ctx.store.update<ExperimentRecord>(ctx, EXPERIMENT_KIND, input.Name, (row) => {
    const r = row.data;
    if (r.Status !== 'Created') throw wrongStatus('start', r.Arn, r.Status, 'Created');
    const StartTime = Math.min(r.Schedule.StartTime, now / 1000);
    const data: ExperimentRecord = { ...r, Status: 'Starting', Schedule: { ...r.Schedule, StartTime }, LastModifiedTime: now / 1000 };
    return { ...row, status: data.Status, modifiedAt: now, data };
  });
  if (!row) throw experimentNotFound(experimentArn);
  void ctx.controllers.experiments?.kick(ctx, input.Name);
  return { InferenceExperimentArn: row.arn };
}
