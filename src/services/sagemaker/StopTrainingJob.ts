import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { transition, type TrainingJobData } from '../../domain/training/job.js';
import { TRAINING_KIND } from '../../domain/training/controller.js';
import { trainingJob } from './DescribeTrainingJob.js';

/**
 * Records Stopping (before anything is signalled, so a restart still knows) and asks the
 * controller to act: SIGTERM to the process group, SIGKILL after the grace period, artifacts
 * uploaded, then Stopped. AWS refuses any status but InProgress with "The request was
 * rejected because the training job is in status <Status>."; stopping a job that is already
 * Stopping is harmless.
 */
export async function StopTrainingJob(ctx: OpContext, input: { TrainingJobName: string }) {
  const row = await trainingJob(ctx, input.TrainingJobName);
  let stopNow = false;
  await ctx.store.update<TrainingJobData>(ctx, TRAINING_KIND, row.name, (r) => {
    const status = r.data.job.TrainingJobStatus;
    if (status === 'Stopping') return undefined;
    if (status !== 'InProgress') throw validation(`The request was rejected because the training job is in status ${status}.`);
    const data = structuredClone(r.data);
    const now = ctx.clock.now();
    data.job.TrainingJobStatus = 'Stopping';
    data.run.stop = 'user';
    transition(data.job, 'Stopping', 'Stopping the training job', now);
    stopNow = true;
    return { ...r, data, status: 'Stopping', modifiedAt: now };
  });
  if (stopNow) ctx.controllers.training?.requestStop({ account: ctx.account, region: ctx.region }, row.name);
  return {};
}
