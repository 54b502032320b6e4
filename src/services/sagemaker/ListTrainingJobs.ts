import type { OpContext } from '../context.js';
import { listQuery, pageToken, type ListInput } from './common.js';
import type { TrainingJobData } from '../../domain/training/job.js';
import { TRAINING_KIND } from '../../domain/training/controller.js';

/**
 * ListTrainingJobsOutput: TrainingJobSummaries (name, ARN, CreationTime, TrainingEndTime,
 * LastModifiedTime, TrainingJobStatus, SecondaryStatus) and NextToken. StatusEquals and SortBy
 * Status use the store's status column, which always holds TrainingJobStatus.
 */
export async function ListTrainingJobs(ctx: OpContext, input: ListInput) {
  const q = listQuery(input);
  const page = await ctx.store.list<TrainingJobData>(ctx, TRAINING_KIND, q);
  return {
    TrainingJobSummaries: page.items.map(({ data: { job } }) => ({
      TrainingJobName: job.TrainingJobName,
      TrainingJobArn: job.TrainingJobArn,
      CreationTime: job.CreationTime,
      ...(job.TrainingEndTime !== undefined ? { TrainingEndTime: job.TrainingEndTime } : {}),
      LastModifiedTime: job.LastModifiedTime,
      TrainingJobStatus: job.TrainingJobStatus,
      SecondaryStatus: job.SecondaryStatus,
    })),
    ...pageToken(q, page.next),
  };
}
