/**
 * The training job as Slipway stores it: the DescribeTrainingJob view AWS answers with, plus
 * Slipway's own bookkeeping for the controller (`run`), which Describe never shows.
 */
import { join, resolve, sep } from 'node:path';

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
export const TERMINAL: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Stopped']);

export interface MetricDefinition {
  Name: string;
  Regex: string;
}

export interface S3DataSource {
  S3DataType: string;
  S3Uri: string;
  S3DataDistributionType?: string;
  [member: string]: unknown;
}

export interface Channel {
  ChannelName: string;
  DataSource: { S3DataSource?: S3DataSource; FileSystemDataSource?: unknown };
  ContentType?: string;
  CompressionType?: string;
  RecordWrapperType?: string;
  InputMode?: string;
  [member: string]: unknown;
}

export interface SecondaryStatusTransition {
  Status: string;
  StartTime: number;
  EndTime?: number;
  StatusMessage?: string;
}

export interface MetricData {
  MetricName: string;
  Value: number;
  Timestamp: number;
}

/** Exactly members of AWS's DescribeTrainingJobResponse (epoch seconds for times). */
export interface TrainingJobView {
  TrainingJobName: string;
  TrainingJobArn: string;
  ModelArtifacts: { S3ModelArtifacts: string };
  TrainingJobStatus: TrainingJobStatus;
  SecondaryStatus: string;
  FailureReason?: string;
  HyperParameters?: Record<string, string>;
  AlgorithmSpecification: {
    TrainingImage?: string;
    AlgorithmName?: string;
    TrainingInputMode: string;
    MetricDefinitions?: MetricDefinition[];
    ContainerEntrypoint?: string[];
    ContainerArguments?: string[];
    [member: string]: unknown;
  };
  RoleArn: string;
  InputDataConfig?: Channel[];
  OutputDataConfig: { S3OutputPath: string; KmsKeyId?: string; CompressionType?: string };
  ResourceConfig?: { InstanceType?: string; InstanceCount?: number; VolumeSizeInGB?: number; [member: string]: unknown };
  StoppingCondition: { MaxRuntimeInSeconds?: number; MaxWaitTimeInSeconds?: number; MaxPendingTimeInSeconds?: number };
  CreationTime: number;
  TrainingStartTime?: number;
  TrainingEndTime?: number;
  LastModifiedTime: number;
  SecondaryStatusTransitions: SecondaryStatusTransition[];
  FinalMetricDataList?: MetricData[];
  EnableNetworkIsolation: boolean;
  EnableInterContainerTrafficEncryption: boolean;
  EnableManagedSpotTraining: boolean;
  CheckpointConfig?: { S3Uri: string; LocalPath?: string };
  TrainingTimeInSeconds?: number;
  BillableTimeInSeconds?: number;
  Environment?: Record<string, string>;
  ProfilerConfig?: Record<string, unknown>;
  ProfilerRuleConfigurations?: unknown[];
  RemoteDebugConfig?: Record<string, unknown>;
  [member: string]: unknown;
}

/**
 * Where the controller is with a job. Every phase is written before the controller acts on it,
 * so after a restart `phase` says exactly what may have happened:
 * - queued: nothing started (safe to start from scratch);
 * - preparing: directories/config/downloads may be half done (safe to redo from scratch);
 * - running: a process may live (`pgid`, `instanceId` identify it);
 * - finishing: the process ended (`exit` says how); uploads may be half done (safe to redo);
 * - done: terminal, nothing left to do.
 */
export interface RunState {
  phase: 'queued' | 'preparing' | 'running' | 'finishing' | 'done';
  /** The per-job directory (`SAGEMAKER_BASE_DIR`), absolute. */
  baseDir: string;
  instanceId?: string;
  pgid?: number;
  /** Why a stop was asked: StopTrainingJob or MaxRuntimeInSeconds. */
  stop?: 'user' | 'MaxRuntimeExceeded';
  exit?: { code: number | null; signal: string | null; error?: string; recorded: boolean };
}

export interface TrainingJobData {
  job: TrainingJobView;
  run: RunState;
}

/** The SageMaker toolkit's single local host name. */
export const HOST = 'algo-1';

/**
 * Closes the open secondary-status transition and opens the next one (AWS lists them oldest
 * first, each with StartTime/EndTime/StatusMessage). Terminal statuses are closed at once.
 */
export function transition(job: TrainingJobView, status: string, message: string, nowMs: number): void {
  const now = nowMs / 1000;
  const list = job.SecondaryStatusTransitions;
  const last = list[list.length - 1];
  if (last && last.Status === status) {
    last.StatusMessage = message;
  } else {
    if (last && last.EndTime === undefined) last.EndTime = now;
    const t: SecondaryStatusTransition = { Status: status, StartTime: now, StatusMessage: message };
    if (['Completed', 'Failed', 'Stopped', 'MaxRuntimeExceeded'].includes(status)) t.EndTime = now;
    list.push(t);
  }
  job.SecondaryStatus = status;
  job.LastModifiedTime = now;
}

/** `<dataDir>/training/<account>/<region>/<job>`: names are pattern-checked, but the join is checked too. */
export function jobDirectory(dataDir: string, account: string, region: string, jobName: string): string {
  const root = resolve(dataDir, 'training');
  const parts = [account, region, jobName.toLowerCase()];
  for (const p of parts) {
    if (!p || p === '.' || p === '..' || p.includes('/') || p.includes('\\') || p.includes('\0')) {
      throw new Error(`unsafe path component ${JSON.stringify(p)}`);
    }
  }
  const dir = resolve(root, ...parts);
  if (!dir.startsWith(root + sep)) throw new Error(`job directory escapes ${root}`);
  return dir;
}

/** The per-job log file that `slipway logs` reads (outside the base dir so model/output never include it). */
export function jobLogFile(jobDir: string): string {
  return join(jobDir, 'logs', `${HOST}.log`);
}

/** The container's `/opt/ml` for this job. */
export function baseDirOf(jobDir: string): string {
  return join(jobDir, 'opt', 'ml');
}

/** `<S3OutputPath>/<job>/output/<file>` (a trailing slash on the path is not doubled). */
export function outputUri(job: TrainingJobView, file: string): string {
  return `${job.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${job.TrainingJobName}/output/${file}`;
}
