/**
 * The stored endpoint (store kind `endpoint`, status column = EndpointStatus) and how
 * DescribeEndpoint renders it. An endpoint keeps its own copy of what it deploys (image,
 * model data, environment per variant, data capture, async config): AWS resolves the
 * endpoint configuration and models when the deployment starts, which is why deleting an
 * endpoint config or a model that an endpoint uses is allowed and changes nothing running.
 */
import { validation } from '../../errors.js';
import type { Scope, Store } from '../../store/store.js';
import type { ContainerDefinition, ModelData } from '../../services/sagemaker/CreateModel.js';
import type { DataCaptureConfig, EndpointConfigData } from '../../services/sagemaker/CreateEndpointConfig.js';
import type { DeploymentProgress } from './deployment.js';
import { multiContainer, type ContainerSpec, type InferenceMode } from './containers.js';

export const ENDPOINT_KIND = 'endpoint';

/**
 * `UpdateRollbackFailed` (AWS: "Both the rolling deployment and auto-rollback failed. Your
 * endpoint is in service with a mix of the old and new endpoint configurations"): a rolling
 * deployment's rollback could not start the old instances again; the endpoint serves with
 * what runs and can be updated or deleted.
 */
export type EndpointStatus = 'Creating' | 'Updating' | 'RollingBack' | 'InService' | 'Deleting' | 'Failed' | 'UpdateRollbackFailed';

export interface VariantSpec {
  VariantName: string;
  ModelName: string;
  /** The container image as the model names it (DeployedImages.SpecifiedImage). */
  Image: string;
  ModelDataUrl?: string;
  Environment: Record<string, string>;
  InstanceType?: string;
  CurrentWeight: number;
  DesiredWeight: number;
  CurrentInstanceCount: number;
  DesiredInstanceCount: number;
  /** What the image catalog resolved the image to, and when (DeployedImages). */
  ResolvedImage?: string;
  ResolutionTime?: number;
  /**
   * A model with more than one container (containers.ts): all of them in order, every instance
   * runs each one, and how calls go through them. Image, ModelDataUrl and Environment above are
   * the first container's. Absent for a single container.
   */
  Containers?: ContainerSpec[];
  InferenceMode?: InferenceMode;
  /**
   * A serverless variant's ServerlessConfig (served here by one always-on instance):
   * DescribeEndpoint reports it as Desired/CurrentServerlessConfig instead of instance counts.
   */
  ServerlessConfig?: ServerlessConfig;
}

export interface ServerlessConfig {
  MemorySizeInMB: number;
  MaxConcurrency: number;
  ProvisionedConcurrency?: number;
}

export interface AsyncConfig {
  OutputConfig?: { S3OutputPath?: string; S3FailurePath?: string; KmsKeyId?: string; NotificationConfig?: unknown };
  ClientConfig?: { MaxConcurrentInvocationsPerInstance?: number };
}

export interface Deployment {
  EndpointConfigName: string;
  variants: VariantSpec[];
  DataCaptureConfig?: DataCaptureConfig;
  AsyncInferenceConfig?: AsyncConfig;
}

export interface EndpointRecord extends Deployment {
  EndpointName: string;
  EndpointArn: string;
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  /** Epoch seconds, as JSON 1.1 timestamps travel. */
  CreationTime: number;
  LastModifiedTime: number;
  DeploymentConfig?: unknown;
  /** The next deployment while Updating to another endpoint config (PendingDeploymentSummary). */
  pending?: Deployment & { StartTime: number; /** Where a guarded deployment (DeploymentConfig) is. */ progress?: DeploymentProgress };
  /**
   * Shadow variants (DescribeEndpoint `ShadowProductionVariants`): added while an inference
   * experiment runs, by the experiment controller through EndpointController.attachShadow.
   */
  ShadowVariants?: VariantSpec[];
}

/** The image and model data of a model's (first) container; the others, if any, come from multiContainer(). */
function primary(model: ModelData): ContainerDefinition | undefined {
  return model.PrimaryContainer ?? model.Containers?.[0];
}

/**
 * Resolves an endpoint config into what the endpoint will deploy. Missing config or model
 * answers as DescribeEndpointConfig / DescribeModel do ("Could not find …"), AWS's wording.
 */
export async function resolveDeployment(store: Store, scope: Scope, configName: string, arnOf: (type: string, name: string) => string): Promise<Deployment> {
  const cfg = await store.get<EndpointConfigData>(scope, 'endpoint-config', configName);
  if (!cfg) throw validation(`Could not find endpoint configuration "${arnOf('endpoint-config', configName)}".`);
  const variants: VariantSpec[] = [];
  for (const v of cfg.data.ProductionVariants) {
    if (!v.ModelName) throw validation(`Variant ${v.VariantName} of endpoint configuration "${cfg.arn}" names no model; Slipway hosts models, not inference components.`);
    const model = await store.get<ModelData>(scope, 'model', v.ModelName);
    if (!model) throw validation(`Could not find model "${arnOf('model', v.ModelName)}".`);
    const c = primary(model.data);
    if (!c?.Image) throw validation(`Model "${model.arn}" has no container image to serve.`);
    // A multi-model container (Mode MultiModel) needs the platform to load models into it on
    // demand (TargetModel); Slipway's hosting does not do that, so it says so rather than
    // serve the container as a single model.
    if ([model.data.PrimaryContainer, ...(model.data.Containers ?? [])].some((x) => x?.Mode === 'MultiModel')) {
      throw validation(`Model "${model.arn}" uses Mode MultiModel: multi-model endpoints are not supported by Slipway; deploy models with Mode SingleModel.`);
    }
    // A serverless variant (no InitialInstanceCount) is served by one always-on instance here.
    const count = v.InitialInstanceCount ?? 1;
    const weight = v.InitialVariantWeight ?? 1;
    variants.push({
      VariantName: v.VariantName,
      ModelName: model.name,
      Image: c.Image,
      ...(c.ModelDataUrl ? { ModelDataUrl: c.ModelDataUrl } : {}),
      Environment: { ...(c.Environment ?? {}) },
      ...(v.InstanceType ? { InstanceType: v.InstanceType } : {}),
      CurrentWeight: weight,
      DesiredWeight: weight,
      CurrentInstanceCount: 0,
      DesiredInstanceCount: count,
      ...multiContainer(model.data, model.arn),
      ...(v.ServerlessConfig ? { ServerlessConfig: { ...v.ServerlessConfig } } : {}),
    });
  }
  return {
    EndpointConfigName: cfg.data.EndpointConfigName,
    variants,
    ...(cfg.data.DataCaptureConfig ? { DataCaptureConfig: cfg.data.DataCaptureConfig } : {}),
    ...(cfg.data.AsyncInferenceConfig ? { AsyncInferenceConfig: cfg.data.AsyncInferenceConfig as AsyncConfig } : {}),
  };
}

function variantSummary(v: VariantSpec, status: EndpointStatus, pending: boolean) {
  const out: Record<string, unknown> = {
    VariantName: v.VariantName,
    // One entry per container of the model (Slipway runs the image it was given: resolved = specified).
    DeployedImages: v.Containers
      ? v.Containers.map((c) => (v.ResolvedImage ? { SpecifiedImage: c.Image, ResolvedImage: c.Image, ResolutionTime: v.ResolutionTime } : { SpecifiedImage: c.Image }))
      : v.ResolvedImage
        ? [{ SpecifiedImage: v.Image, ResolvedImage: v.ResolvedImage, ResolutionTime: v.ResolutionTime }]
        : [{ SpecifiedImage: v.Image }],
    CurrentWeight: v.CurrentWeight,
    DesiredWeight: v.DesiredWeight,
  };
  if (v.ServerlessConfig) {
    // As AWS describes a serverless variant: its configuration, no instance counts; "current"
    // once it serves (tools tell serverless variants apart by CurrentServerlessConfig).
    if (v.CurrentInstanceCount > 0) out.CurrentServerlessConfig = { ...v.ServerlessConfig };
    out.DesiredServerlessConfig = { ...v.ServerlessConfig };
  } else {
    out.CurrentInstanceCount = v.CurrentInstanceCount;
    out.DesiredInstanceCount = v.DesiredInstanceCount;
  }
  if (pending && v.InstanceType) out.InstanceType = v.InstanceType;
  // VariantStatus lists what is in progress for the variant (empty when it just serves).
  if (status === 'Creating' || pending) out.VariantStatus = [{ Status: 'Creating' }];
  else if (status === 'Updating' && (v.CurrentInstanceCount !== v.DesiredInstanceCount || v.CurrentWeight !== v.DesiredWeight)) {
    out.VariantStatus = [{ Status: 'Updating' }];
  } else if (status === 'Deleting') out.VariantStatus = [{ Status: 'Deleting' }];
  else out.VariantStatus = [];
  return out;
}

/** DataCaptureConfigSummary: every member is required in the model. */
function captureSummary(c: DataCaptureConfig) {
  const on = c.EnableCapture !== false;
  return {
    EnableCapture: on,
    CaptureStatus: on ? 'Started' : 'Stopped',
    CurrentSamplingPercentage: c.InitialSamplingPercentage,
    DestinationS3Uri: c.DestinationS3Uri,
    KmsKeyId: c.KmsKeyId ?? '',
  };
}

/** Exactly the members of AWS's DescribeEndpointOutput. */
export function describeEndpoint(r: EndpointRecord) {
  return {
    EndpointName: r.EndpointName,
    EndpointArn: r.EndpointArn,
    EndpointConfigName: r.EndpointConfigName,
    ProductionVariants: r.variants.map((v) => variantSummary(v, r.EndpointStatus, false)),
    ...(r.ShadowVariants?.length ? { ShadowProductionVariants: r.ShadowVariants.map((v) => variantSummary(v, r.EndpointStatus, false)) } : {}),
    ...(r.DataCaptureConfig ? { DataCaptureConfig: captureSummary(r.DataCaptureConfig) } : {}),
    EndpointStatus: r.EndpointStatus,
    ...(r.FailureReason ? { FailureReason: r.FailureReason } : {}),
    CreationTime: r.CreationTime,
    LastModifiedTime: r.LastModifiedTime,
    ...(r.DeploymentConfig ? { LastDeploymentConfig: r.DeploymentConfig } : {}),
    ...(r.AsyncInferenceConfig ? { AsyncInferenceConfig: r.AsyncInferenceConfig } : {}),
    ...(r.pending
      ? {
          PendingDeploymentSummary: {
            EndpointConfigName: r.pending.EndpointConfigName,
            ProductionVariants: r.pending.variants.map((v) => variantSummary(v, r.EndpointStatus, true)),
            StartTime: r.pending.StartTime,
          },
        }
      : {}),
  };
}

/** AWS's refusal for an endpoint whose current operation has not finished. */
export const inProgress = (arn: string) => validation(`Cannot update in-progress endpoint "${arn}".`);
