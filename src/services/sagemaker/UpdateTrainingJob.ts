import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { TERMINAL, type TrainingJobData } from '../../domain/training/job.js';
import { TRAINING_KIND } from '../../domain/training/controller.js';
import { modelled } from './common.js';
import { trainingJob } from './DescribeTrainingJob.js';

interface Input {
  TrainingJobName: string;
  ProfilerConfig?: Record<string, unknown>;
  ProfilerRuleConfigurations?: unknown[];
  ResourceConfig?: { KeepAlivePeriodInSeconds?: number };
  RemoteDebugConfig?: Record<string, unknown>;
}

/**
 * Records what applies locally: profiler settings, profiler rules, the warm-pool keep-alive
 * period and remote-debug settings are stored and shown by DescribeTrainingJob (there is no
 * profiler or warm pool to reconfigure). A finished job cannot be updated, as in AWS.
 */
export async function UpdateTrainingJob(ctx: OpContext, raw: Input) {
  const input = modelled('UpdateTrainingJobRequest', raw);
  const row = await trainingJob(ctx, input.TrainingJobName);
  await ctx.store.update<TrainingJobData>(ctx, TRAINING_KIND, row.name, (r) => {
    const status = r.data.job.TrainingJobStatus;
    if (TERMINAL.has(status) || status === 'Stopping') {
      throw validation(`The request was rejected because the training job is in status ${status}.`);
    }
    const data = structuredClone(r.data);
    const job = data.job;
    if (input.ProfilerConfig) job.ProfilerConfig = { ...job.ProfilerConfig, ...input.ProfilerConfig };
    if (input.ProfilerRuleConfigurations) job.ProfilerRuleConfigurations = [...(job.ProfilerRuleConfigurations ?? []), ...input.ProfilerRuleConfigurations];
    if (input.ResourceConfig?.KeepAlivePeriodInSeconds !== undefined) {
      job.ResourceConfig = { ...job.ResourceConfig, KeepAlivePeriodInSeconds: input.ResourceConfig.KeepAlivePeriodInSeconds };
    }
    if (input.RemoteDebugConfig) job.RemoteDebugConfig = { ...job.RemoteDebugConfig, ...input.RemoteDebugConfig };
    const now = ctx.clock.now();
    job.LastModifiedTime = now / 1000;
    return { ...r, data, modifiedAt: now };
  });
  return { TrainingJobArn: row.arn };
}
