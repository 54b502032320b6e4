import { resourceInUse, validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { arn, checkTags } from './common.js';
import { ENDPOINT_KIND, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import {
  ACTIVE,
  EXPERIMENT_KIND,
  type DataStorageConfig,
  type ExperimentRecord,
  type ModelVariantConfig,
  type ShadowModeConfig,
} from '../../domain/experiments/experiment.js';

export interface Input {
  Name: string;
  Type: 'ShadowMode';
  Schedule?: { StartTime?: number; EndTime?: number };
  Description?: string;
  RoleArn: string;
  EndpointName: string;
  ModelVariants: ModelVariantConfig[];
  DataStorageConfig?: DataStorageConfig;
  ShadowModeConfig: ShadowModeConfig;
  KmsKey?: string;
  Tags?: Tag[];
}

const DAY = 24 * 3600;
/** Developer guide, "Create a shadow test": "The default duration is 7 days and the maximum is 30 days." */
export const DEFAULT_DURATION = 7 * DAY;
export const MAX_DURATION = 30 * DAY;

/** Schedule rules shared with UpdateInferenceExperiment (wording Slipway's; AWS's text could not be confirmed). */
export function checkSchedule(start: number, end: number, now: number): void {
  if (!(end > start)) throw validation('The EndTime of the inference experiment schedule must be after its StartTime.');
  if (end - start > MAX_DURATION) throw validation('The inference experiment schedule can be at most 30 days long (EndTime - StartTime).');
  if (end <= now) throw validation('The EndTime of the inference experiment schedule must be in the future.');
}

/**
 * Records a shadow test on an InService endpoint as Creating and hands it to the experiment
 * controller, which records Created and starts it at its StartTime (at once without a
 * Schedule; EndTime defaults to 7 days later).
 *
 * Semantic rules the shape validator cannot check, as the developer guide states them
 * ("Create a shadow test"): "SageMaker AI supports a maximum of one shadow variant per
 * endpoint. For an endpoint with a shadow variant, there can be a maximum of one production
 * variant"; the endpoint must exist and be InService; ModelVariants describe the source
 * (production) variant and the shadow variant and nothing else; one experiment per endpoint
 * at a time (ResourceInUse, the error CreateInferenceExperiment models).
 */
export async function CreateInferenceExperiment(ctx: OpContext, input: Input) {
  checkTags(input.Tags);
  const experimentArn = arn(ctx, 'inference-experiment', input.Name);
  if (await ctx.store.get(ctx, EXPERIMENT_KIND, input.Name)) {
    throw resourceInUse(`Cannot create already existing inference experiment "${experimentArn}".`);
  }
  const endpointArn = arn(ctx, 'endpoint', input.EndpointName);
  const ep = await ctx.store.get<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName);
  if (!ep) throw validation(`Could not find endpoint "${endpointArn}".`);
  if (ep.data.EndpointStatus !== 'InService') {
    throw validation(`Endpoint "${endpointArn}" is in status ${ep.data.EndpointStatus}; an inference experiment needs an InService endpoint.`);
  }
  const { SourceModelVariantName: source, ShadowModelVariants } = input.ShadowModeConfig;
  const shadow = ShadowModelVariants[0]!;
  if (ShadowModelVariants.length !== 1) throw validation('ShadowModeConfig.ShadowModelVariants must hold exactly one shadow variant.');
  if (!(shadow.SamplingPercentage >= 0 && shadow.SamplingPercentage <= 100)) {
    throw validation('SamplingPercentage of the shadow variant must be between 0 and 100.');
  }
  const production = ep.data.variants;
  if (production.length !== 1) {
    throw validation(`Endpoint "${endpointArn}" has ${production.length} production variants; an endpoint with a shadow variant can have at most one production variant.`);
  }
  if (ep.data.ShadowVariants?.length) throw resourceInUse(`Endpoint "${endpointArn}" already has a shadow variant.`);
  if (production[0]!.VariantName !== source) {
    throw validation(`SourceModelVariantName ${source} is not a production variant of endpoint "${endpointArn}".`);
  }
  if (shadow.ShadowModelVariantName === source) throw validation('The shadow variant must not have the name of the source (production) variant.');
  const names = new Set<string>();
  for (const v of input.ModelVariants) {
    if (names.has(v.VariantName)) throw validation(`Variant ${v.VariantName} appears more than once in ModelVariants.`);
    names.add(v.VariantName);
    if (v.VariantName !== source && v.VariantName !== shadow.ShadowModelVariantName) {
      throw validation(`Variant ${v.VariantName} in ModelVariants is neither the source variant ${source} nor the shadow variant ${shadow.ShadowModelVariantName}.`);
    }
    if (v.VariantName === source && v.ModelName.toLowerCase() !== production[0]!.ModelName.toLowerCase()) {
      throw validation(`The source variant ${source} serves model ${production[0]!.ModelName}, not ${v.ModelName}.`);
    }
    if (v.InfrastructureConfig.RealTimeInferenceConfig.InstanceCount < 1) throw validation(`InstanceCount of variant ${v.VariantName} must be at least 1.`);
    if (!(await ctx.store.get(ctx, 'model', v.ModelName))) throw validation(`Could not find model "${arn(ctx, 'model', v.ModelName)}".`);
  }
  if (!names.has(shadow.ShadowModelVariantName)) {
    throw validation(`The shadow variant ${shadow.ShadowModelVariantName} must be described in ModelVariants (its model and infrastructure).`);
  }
  if (input.DataStorageConfig && !input.DataStorageConfig.Destination.startsWith('s3://')) {
    // The model also allows https:// URIs; Slipway's object store is addressed by s3:// only.
    throw validation('DataStorageConfig.Destination must be an s3:// URI.');
  }
  const nowMs = ctx.clock.now();
  const now = nowMs / 1000;
  const StartTime = input.Schedule?.StartTime ?? now;
  const EndTime = input.Schedule?.EndTime ?? StartTime + DEFAULT_DURATION;
  checkSchedule(StartTime, EndTime, now);
  for (const other of await ctx.store.scan<ExperimentRecord>(EXPERIMENT_KIND)) {
    if (other.account === ctx.account && other.region === ctx.region && other.data.EndpointName.toLowerCase() === input.EndpointName.toLowerCase() && ACTIVE.has(other.data.Status)) {
      throw resourceInUse(`Endpoint "${endpointArn}" is already used by inference experiment "${other.arn}".`);
    }
  }
  // The source variant is described with its current infrastructure when the request omits it.
  const variants = [...input.ModelVariants];
  if (!names.has(source)) {
    const p = production[0]!;
    variants.unshift({
      ModelName: p.ModelName,
      VariantName: p.VariantName,
      InfrastructureConfig: { InfrastructureType: 'RealTimeInference', RealTimeInferenceConfig: { InstanceType: p.InstanceType ?? 'ml.m5.large', InstanceCount: p.CurrentInstanceCount || p.DesiredInstanceCount } },
    });
  }
  const data: ExperimentRecord = {
    Name: input.Name,
    Arn: experimentArn,
    Type: input.Type,
    Schedule: { StartTime, EndTime },
    Status: 'Creating',
    ...(input.Description !== undefined ? { Description: input.Description } : {}),
    CreationTime: now,
    LastModifiedTime: now,
    RoleArn: input.RoleArn,
    EndpointName: ep.data.EndpointName,
    ModelVariants: variants.map((v) => ({
      ModelName: v.ModelName,
      VariantName: v.VariantName,
      InfrastructureConfig: {
        InfrastructureType: v.InfrastructureConfig.InfrastructureType,
        RealTimeInferenceConfig: { InstanceType: v.InfrastructureConfig.RealTimeInferenceConfig.InstanceType, InstanceCount: v.InfrastructureConfig.RealTimeInferenceConfig.InstanceCount },
      },
      Status: v.VariantName === source ? 'InService' : 'Creating',
    })),
    ...(input.DataStorageConfig ? { DataStorageConfig: input.DataStorageConfig } : {}),
    ShadowModeConfig: {
      SourceModelVariantName: source,
      ShadowModelVariants: [{ ShadowModelVariantName: shadow.ShadowModelVariantName, SamplingPercentage: shadow.SamplingPercentage }],
    },
    ...(input.KmsKey !== undefined ? { KmsKey: input.KmsKey } : {}),
  };
  const created = await ctx.store.insert(
    ctx,
    { kind: EXPERIMENT_KIND, name: input.Name, arn: experimentArn, createdAt: nowMs, modifiedAt: nowMs, status: 'Creating', data },
    input.Tags,
  );
  if (!created) throw resourceInUse(`Cannot create already existing inference experiment "${experimentArn}".`);
  void ctx.controllers.experiments?.kick(ctx, input.Name);
  return { InferenceExperimentArn: experimentArn };
}
