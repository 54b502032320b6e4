/**
 * The stored inference experiment (store kind `inference-experiment`, status column =
 * InferenceExperimentStatus) and how DescribeInferenceExperiment / ListInferenceExperiments
 * render it.
 *
 * Status machine (DescribeInferenceExperiment API reference): Creating → Created (waits for
 * its StartTime) → Starting → Running → Stopping → Completed | Cancelled; Updating while
 * UpdateInferenceExperiment applies. "Cancelled - When you conclude your experiment early
 * using the StopInferenceExperiment API, or if any operation fails with an unexpected
 * error". Per-variant status (ModelVariantStatus): Creating, Updating, InService, Deleting,
 * Deleted.
 */
import { conflict, resourceNotFound } from '../../errors.js';
import type { Metrics } from './metrics.js';

export const EXPERIMENT_KIND = 'inference-experiment';

export type ExperimentStatus = 'Creating' | 'Created' | 'Updating' | 'Starting' | 'Running' | 'Stopping' | 'Completed' | 'Cancelled';
export type VariantStatus = 'Creating' | 'Updating' | 'InService' | 'Deleting' | 'Deleted';
export type VariantAction = 'Promote' | 'Remove' | 'Retain';

export interface InfrastructureConfig {
  InfrastructureType: 'RealTimeInference';
  RealTimeInferenceConfig: { InstanceType: string; InstanceCount: number };
}

export interface ModelVariantConfig {
  ModelName: string;
  VariantName: string;
  InfrastructureConfig: InfrastructureConfig;
}

export interface DataStorageConfig {
  Destination: string;
  KmsKey?: string;
  ContentType?: { CsvContentTypes?: string[]; JsonContentTypes?: string[] };
}

export interface ShadowModeConfig {
  SourceModelVariantName: string;
  ShadowModelVariants: Array<{ ShadowModelVariantName: string; SamplingPercentage: number }>;
}

/** What StopInferenceExperiment asked for, recorded with Stopping before anything is done. */
export interface StopPlan {
  actions: Record<string, VariantAction>;
  desired?: ModelVariantConfig[];
  state: 'Completed' | 'Cancelled';
}

export interface ExperimentRecord {
  Name: string;
  Arn: string;
  Type: 'ShadowMode';
  /** Epoch seconds, as JSON 1.1 timestamps travel. Always filled (defaults: now, now + 7 days). */
  Schedule: { StartTime: number; EndTime: number };
  Status: ExperimentStatus;
  StatusReason?: string;
  Description?: string;
  CreationTime: number;
  CompletionTime?: number;
  LastModifiedTime: number;
  RoleArn: string;
  EndpointName: string;
  ModelVariants: Array<ModelVariantConfig & { Status: VariantStatus }>;
  DataStorageConfig?: DataStorageConfig;
  ShadowModeConfig: ShadowModeConfig;
  KmsKey?: string;
  /** Set by StopInferenceExperiment (or by the schedule's EndTime: Remove the shadow, Retain production). */
  stop?: StopPlan;
  /** The status Updating returns to. */
  resumeStatus?: ExperimentStatus;
  /** Final metrics, kept when the experiment ends so they survive a restart. */
  metrics?: Metrics;
}

/** The shadow variant's name and sampling (ShadowModelVariants holds exactly one). */
export function shadowOf(r: Pick<ExperimentRecord, 'ShadowModeConfig'>) {
  const s = r.ShadowModeConfig.ShadowModelVariants[0]!;
  return { name: s.ShadowModelVariantName, sampling: s.SamplingPercentage };
}

/** Exactly the members of DescribeInferenceExperimentResponse. */
export function describeExperiment(r: ExperimentRecord, endpoint: { EndpointConfigName?: string; EndpointStatus?: string; FailureReason?: string } | undefined) {
  return {
    Arn: r.Arn,
    ...summarizeExperiment(r),
    EndpointMetadata: {
      EndpointName: r.EndpointName,
      ...(endpoint?.EndpointConfigName ? { EndpointConfigName: endpoint.EndpointConfigName } : {}),
      ...(endpoint?.EndpointStatus ? { EndpointStatus: endpoint.EndpointStatus } : {}),
      ...(endpoint?.FailureReason ? { FailureReason: endpoint.FailureReason } : {}),
    },
    ModelVariants: r.ModelVariants.map((v) => ({
      ModelName: v.ModelName,
      VariantName: v.VariantName,
      InfrastructureConfig: v.InfrastructureConfig,
      Status: v.Status,
    })),
    ...(r.DataStorageConfig ? { DataStorageConfig: r.DataStorageConfig } : {}),
    ShadowModeConfig: r.ShadowModeConfig,
    ...(r.KmsKey !== undefined ? { KmsKey: r.KmsKey } : {}),
  };
}

/** InferenceExperimentSummary (ListInferenceExperiments). */
export function summarizeExperiment(r: ExperimentRecord) {
  return {
    Name: r.Name,
    Type: r.Type,
    Schedule: r.Schedule,
    Status: r.Status,
    ...(r.StatusReason !== undefined ? { StatusReason: r.StatusReason } : {}),
    ...(r.Description !== undefined ? { Description: r.Description } : {}),
    CreationTime: r.CreationTime,
    ...(r.CompletionTime !== undefined ? { CompletionTime: r.CompletionTime } : {}),
    LastModifiedTime: r.LastModifiedTime,
    RoleArn: r.RoleArn,
  };
}

/** Statuses in which the experiment still owns its endpoint (another experiment is refused). */
export const ACTIVE: ReadonlySet<ExperimentStatus> = new Set(['Creating', 'Created', 'Updating', 'Starting', 'Running', 'Stopping']);

/**
 * A missing experiment: ResourceNotFound, the error the API reference lists for Describe,
 * Start, Stop, Update and Delete. The wording is Slipway's (AWS's text could not be confirmed).
 */
export const experimentNotFound = (arn: string) => resourceNotFound(`Inference experiment "${arn}" does not exist.`);

/** An operation the current status does not allow: ConflictException, as listed for Start/Stop/Update/Delete (wording Slipway's). */
export const wrongStatus = (op: string, arn: string, status: ExperimentStatus, allowed: string) =>
  conflict(`Cannot ${op} inference experiment "${arn}" because its status is ${status}; it must be ${allowed}.`);
