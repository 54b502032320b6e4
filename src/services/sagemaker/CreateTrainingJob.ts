import { AwsError, validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { arn, checkTags, modelled, pick } from './common.js';
import { outputUri, transition, type TrainingJobData, type TrainingJobView } from '../../domain/training/job.js';
import { TRAINING_KIND } from '../../domain/training/controller.js';

interface Input {
  TrainingJobName: string;
  AlgorithmSpecification?: TrainingJobView['AlgorithmSpecification'];
  RoleArn: string;
  InputDataConfig?: TrainingJobView['InputDataConfig'];
  OutputDataConfig: TrainingJobView['OutputDataConfig'];
  ResourceConfig?: TrainingJobView['ResourceConfig'];
  StoppingCondition?: TrainingJobView['StoppingCondition'];
  CheckpointConfig?: TrainingJobView['CheckpointConfig'];
  EnableNetworkIsolation?: boolean;
  EnableInterContainerTrafficEncryption?: boolean;
  EnableManagedSpotTraining?: boolean;
  Tags?: Tag[];
  [member: string]: unknown;
}

/** CreateTrainingJobRequest members that DescribeTrainingJob echoes back. */
const ECHOED = [
  'HyperParameters', 'AlgorithmSpecification', 'RoleArn', 'InputDataConfig', 'OutputDataConfig', 'ResourceConfig',
  'VpcConfig', 'CheckpointConfig', 'DebugHookConfig', 'DebugRuleConfigurations', 'TensorBoardOutputConfig',
  'ExperimentConfig', 'ProfilerConfig', 'ProfilerRuleConfigurations', 'Environment', 'RetryStrategy',
  'RemoteDebugConfig', 'InfraCheckConfig',
] as const;

/**
 * Records the job as InProgress/Starting and hands it to the training controller; the
 * request never waits for any work (DESIGN.md). Everything Slipway cannot run locally is
 * refused here, before anything is written, rather than failing later in a surprising way.
 */
export async function CreateTrainingJob(ctx: OpContext, raw: Input) {
  const input = modelled('CreateTrainingJobRequest', raw);
  const algo = input.AlgorithmSpecification;
  if (!algo || (!algo.TrainingImage && !algo.AlgorithmName)) {
    throw validation('Either AlgorithmSpecification.TrainingImage or AlgorithmSpecification.AlgorithmName must be specified.');
  }
  if (algo.TrainingImage && algo.AlgorithmName) {
    throw validation('Only one of AlgorithmSpecification.TrainingImage or AlgorithmSpecification.AlgorithmName can be specified.');
  }
  if (algo.ContainerEntrypoint || algo.ContainerArguments) {
    throw validation('ContainerEntrypoint and ContainerArguments are not supported by Slipway: map the image to the command to run in images.json.');
  }
  // Pipe mode streams through a FIFO the process runtime does not provide; FastFile presents
  // the same files as File mode, so it is run as File.
  const modes = [algo.TrainingInputMode, ...(input.InputDataConfig ?? []).map((c) => c.InputMode)];
  if (modes.includes('Pipe')) throw validation('TrainingInputMode Pipe is not supported by Slipway; use File or FastFile.');
  const names = new Set<string>();
  for (const c of input.InputDataConfig ?? []) {
    const key = c.ChannelName.toLowerCase();
    if (names.has(key)) throw validation(`Channel names must be unique: duplicate channel name ${c.ChannelName}.`);
    names.add(key);
    const s3 = c.DataSource.S3DataSource;
    if (!s3) throw validation(`Channel ${c.ChannelName}: only S3DataSource is supported by Slipway.`);
    if (s3.S3DataType !== 'S3Prefix' && s3.S3DataType !== 'ManifestFile') {
      throw validation(`Channel ${c.ChannelName}: S3DataType ${s3.S3DataType} is not supported by Slipway (S3Prefix, ManifestFile).`);
    }
  }
  if ((input.ResourceConfig?.InstanceCount ?? 1) !== 1) {
    throw validation('Slipway runs each training job on one local host: ResourceConfig.InstanceCount must be 1.');
  }
  if (input.EnableManagedSpotTraining && !input.CheckpointConfig) {
    // AWS requires a checkpoint location for spot training so an interrupted job can resume.
    throw validation('CheckpointConfig is required when EnableManagedSpotTraining is true.');
  }
  checkTags(input.Tags);

  const now = ctx.clock.now();
  const TrainingJobArn = arn(ctx, 'training-job', input.TrainingJobName);
  const job: TrainingJobView = {
    TrainingJobName: input.TrainingJobName,
    TrainingJobArn,
    ModelArtifacts: { S3ModelArtifacts: '' },
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Starting',
    ...(pick(input, ECHOED) as Pick<TrainingJobView, 'AlgorithmSpecification' | 'RoleArn' | 'OutputDataConfig'>),
    // AWS reports the stopping condition with its default (one day) when none was given.
    StoppingCondition: { MaxRuntimeInSeconds: 86_400, ...input.StoppingCondition },
    CreationTime: now / 1000,
    LastModifiedTime: now / 1000,
    SecondaryStatusTransitions: [],
    EnableNetworkIsolation: input.EnableNetworkIsolation ?? false,
    EnableInterContainerTrafficEncryption: input.EnableInterContainerTrafficEncryption ?? false,
    EnableManagedSpotTraining: input.EnableManagedSpotTraining ?? false,
  };
  job.ModelArtifacts.S3ModelArtifacts = outputUri(job, 'model.tar.gz');
  transition(job, 'Starting', 'Starting the training job', now);
  const data: TrainingJobData = { job, run: { phase: 'queued', baseDir: '' } };
  const created = await ctx.store.insert(
    ctx,
    { kind: TRAINING_KIND, name: input.TrainingJobName, arn: TrainingJobArn, createdAt: now, modifiedAt: now, status: 'InProgress', data },
    input.Tags,
  );
  if (!created) {
    throw new AwsError(
      'ResourceInUse',
      `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${TrainingJobArn})`,
    );
  }
  const controller = ctx.controllers.training;
  controller?.kick({ account: ctx.account, region: ctx.region }, input.TrainingJobName);
  return { TrainingJobArn };
}
