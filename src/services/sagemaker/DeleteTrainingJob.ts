import { AwsError } from '../../errors.js';
import type { OpContext } from '../context.js';
import { TERMINAL } from '../../domain/training/job.js';
import { TRAINING_KIND } from '../../domain/training/controller.js';
import { trainingJob } from './DescribeTrainingJob.js';

/**
 * AWS deletes only jobs in a terminal state (Completed, Failed, Stopped); an InProgress or
 * Stopping job is refused with ResourceInUse (the error DeleteTrainingJob models; the wording
 * is Slipway's). The job's metadata, tags and local files go; S3 artifacts stay, as in AWS.
 */
export async function DeleteTrainingJob(ctx: OpContext, input: { TrainingJobName: string }) {
  const row = await trainingJob(ctx, input.TrainingJobName);
  const status = row.data.job.TrainingJobStatus;
  if (!TERMINAL.has(status)) {
    throw new AwsError('ResourceInUse', `Training job ${row.name} is in status ${status}; only Completed, Failed or Stopped training jobs can be deleted.`);
  }
  await ctx.store.delete(ctx, TRAINING_KIND, row.name);
  await ctx.controllers.training?.forget({ account: ctx.account, region: ctx.region }, row.name);
  return {};
}
