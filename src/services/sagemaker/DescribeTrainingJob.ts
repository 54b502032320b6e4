import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import type { TrainingJobData } from '../../domain/training/job.js';
import { TRAINING_KIND } from '../../domain/training/controller.js';

/**
 * A missing job is AWS's ValidationException "Requested resource not found." (not
 * ResourceNotFound): botocore's TrainingJobCompletedOrStopped waiter fails on it, as on AWS.
 */
export async function trainingJob(ctx: OpContext, name: string) {
  const row = await ctx.store.get<TrainingJobData>(ctx, TRAINING_KIND, name);
  if (!row) throw validation('Requested resource not found.');
  return row;
}

/** The job as AWS describes it; Slipway's bookkeeping (`run`) is never shown. */
export async function DescribeTrainingJob(ctx: OpContext, input: { TrainingJobName: string }) {
  return (await trainingJob(ctx, input.TrainingJobName)).data.job;
}
