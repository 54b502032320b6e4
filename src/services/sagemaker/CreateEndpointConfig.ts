import { validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { arn, checkTags, modelled, pick } from './common.js';

export interface ProductionVariant {
  VariantName: string;
  ModelName?: string;
  InitialInstanceCount?: number;
  InstanceType?: string;
  InitialVariantWeight?: number;
  ServerlessConfig?: { MemorySizeInMB: number; MaxConcurrency: number; ProvisionedConcurrency?: number };
  [member: string]: unknown;
}

export interface DataCaptureConfig {
  EnableCapture?: boolean;
  InitialSamplingPercentage: number;
  DestinationS3Uri: string;
  KmsKeyId?: string;
  CaptureOptions: Array<{ CaptureMode: 'Input' | 'Output' | 'InputAndOutput' }>;
  CaptureContentTypeHeader?: { CsvContentTypes?: string[]; JsonContentTypes?: string[] };
}

/** Exactly the members of AWS's DescribeEndpointConfigOutput. */
export interface EndpointConfigData {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: ProductionVariant[];
  DataCaptureConfig?: DataCaptureConfig;
  KmsKeyId?: string;
  CreationTime: number;
  AsyncInferenceConfig?: unknown;
  ExplainerConfig?: unknown;
  ShadowProductionVariants?: ProductionVariant[];
  ExecutionRoleArn?: string;
  VpcConfig?: unknown;
  EnableNetworkIsolation?: boolean;
  MetricsConfig?: unknown;
}

interface Input extends Omit<EndpointConfigData, 'EndpointConfigArn' | 'CreationTime'> {
  Tags?: Tag[];
}

/** ProductionVariant members in the service model; anything else a client sends is ignored. */
const VARIANT_MEMBERS = [
  'VariantName',
  'ModelName',
  'InitialInstanceCount',
  'InstanceType',
  'InstancePools',
  'VariantInstanceProvisionTimeoutInSeconds',
  'InitialVariantWeight',
  'AcceleratorType',
  'CoreDumpConfig',
  'ServerlessConfig',
  'VolumeSizeInGB',
  'ModelDataDownloadTimeoutInSeconds',
  'ContainerStartupHealthCheckTimeoutInSeconds',
  'EnableSSMAccess',
  'ManagedInstanceScaling',
  'RoutingConfig',
  'InferenceAmiVersion',
  'CapacityReservationConfig',
] as const;

const DATA_CAPTURE_MEMBERS = [
  'EnableCapture',
  'InitialSamplingPercentage',
  'DestinationS3Uri',
  'KmsKeyId',
  'CaptureOptions',
  'CaptureContentTypeHeader',
] as const;

/** Top-level members stored verbatim (nested shapes are checked by the shape validator). */
const PLAIN_MEMBERS = [
  'KmsKeyId',
  'AsyncInferenceConfig',
  'ExplainerConfig',
  'ExecutionRoleArn',
  'VpcConfig',
  'EnableNetworkIsolation',
  'MetricsConfig',
] as const;

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const MRK = 'mrk-[0-9a-fA-F]{32}';
/**
 * The four ways AWS KMS lets a caller name a key (KMS "Key identifiers (KeyId)"): key id,
 * key ARN, alias name, alias ARN; key ids include multi-Region `mrk-…` ids. The service
 * model only bounds the length, so the form is checked here.
 */
const KMS_KEY_FORMS = new RegExp(
  `^(?:(?:${UUID}|${MRK})` +
    `|arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/(?:${UUID}|${MRK})` +
    `|alias/[a-zA-Z0-9/_-]+` +
    `|arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:alias/[a-zA-Z0-9/_-]+)$`,
);

function checkKmsKey(member: string, value: string | undefined): void {
  if (value === undefined) return;
  // An alias name may not use the reserved `alias/aws/` prefix for customer keys, but it may
  // name an AWS managed key (alias/aws/sagemaker), so both are accepted as forms.
  if (!KMS_KEY_FORMS.test(value)) {
    throw validation(
      `Invalid ${member} '${value}': specify a KMS key ID, key ARN, alias name (alias/<name>) or alias ARN.`,
    );
  }
}

/**
 * Semantic checks of one variant list (the shape validator already enforced 1–10 entries,
 * the InstanceType enum, InitialInstanceCount ≥ 1, InitialVariantWeight ≥ 0 and the
 * patterns). Returns the variants as Describe will show them.
 *
 * The wording of the instance/serverless messages is Slipway's; AWS's exact text could not
 * be confirmed from public sources.
 */
async function checkVariants(
  ctx: OpContext,
  member: 'ProductionVariants' | 'ShadowProductionVariants',
  variants: ProductionVariant[],
  names: Set<string>,
): Promise<ProductionVariant[]> {
  const out: ProductionVariant[] = [];
  for (const v of variants) {
    // Variant names are unique across production and shadow variants: InvokeEndpoint's
    // TargetVariant and the per-variant metrics address them by name alone.
    if (names.has(v.VariantName)) {
      throw validation(`The variant name(s) [${v.VariantName}] is/are duplicated. Variant names must be unique.`);
    }
    names.add(v.VariantName);
    if (v.ServerlessConfig) {
      if (v.InstanceType !== undefined || v.InitialInstanceCount !== undefined) {
        throw validation(
          `Invalid ${member} '${v.VariantName}': ServerlessConfig cannot be specified together with InstanceType or InitialInstanceCount.`,
        );
      }
    } else if (v.InstanceType === undefined || v.InitialInstanceCount === undefined) {
      throw validation(
        `Invalid ${member} '${v.VariantName}': InstanceType and InitialInstanceCount are required unless ServerlessConfig is specified.`,
      );
    }
    if (v.ServerlessConfig?.ProvisionedConcurrency !== undefined && v.ServerlessConfig.ProvisionedConcurrency > v.ServerlessConfig.MaxConcurrency) {
      // The API reference: ProvisionedConcurrency "should be less than or equal to MaxConcurrency".
      throw validation(
        `Invalid ${member} '${v.VariantName}': ServerlessConfig.ProvisionedConcurrency must be less than or equal to MaxConcurrency.`,
      );
    }
    checkKmsKey('CoreDumpConfig.KmsKeyId', (v.CoreDumpConfig as { KmsKeyId?: string } | undefined)?.KmsKeyId);
    // ModelName is optional in the model (variants that host inference components carry
    // none); when given, the model must exist — AWS's message names the model's ARN.
    if (v.ModelName !== undefined && !(await ctx.store.get(ctx, 'model', v.ModelName))) {
      throw validation(`Could not find model "${arn(ctx, 'model', v.ModelName)}".`);
    }
    // AWS fills the default weight in: DescribeEndpointConfig shows 1.0 for a variant
    // created without one.
    out.push({ ...pick(v, VARIANT_MEMBERS), InitialVariantWeight: v.InitialVariantWeight ?? 1.0 } as ProductionVariant);
  }
  return out;
}

export async function CreateEndpointConfig(ctx: OpContext, raw: Input) {
  const input = modelled('CreateEndpointConfigInput', raw);
  // Every check runs before the single insert: a refused call writes nothing.
  checkTags(input.Tags);
  checkKmsKey('KmsKeyId', input.KmsKeyId);
  checkKmsKey('DataCaptureConfig.KmsKeyId', input.DataCaptureConfig?.KmsKeyId);
  const asyncOut = (input.AsyncInferenceConfig as { OutputConfig?: { KmsKeyId?: string; S3OutputPath?: string; S3FailurePath?: string } } | undefined)
    ?.OutputConfig;
  checkKmsKey('AsyncInferenceConfig.OutputConfig.KmsKeyId', asyncOut?.KmsKeyId);
  if (input.AsyncInferenceConfig && !asyncOut?.S3OutputPath && !asyncOut?.S3FailurePath) {
    // API reference (AsyncInferenceOutputConfig): results go to S3OutputPath or S3FailurePath;
    // a config with neither has nowhere to put a result.
    throw validation('AsyncInferenceConfig.OutputConfig must specify S3OutputPath or S3FailurePath.');
  }

  const names = new Set<string>();
  const production = await checkVariants(ctx, 'ProductionVariants', input.ProductionVariants ?? [], names);
  let shadow: ProductionVariant[] | undefined;
  if (input.ShadowProductionVariants) {
    // API reference (ShadowProductionVariants): "If you use this field, you can only specify
    // one variant for ProductionVariants and one variant for ShadowProductionVariants."
    if (production.length !== 1 || input.ShadowProductionVariants.length !== 1) {
      throw validation('When ShadowProductionVariants is specified, exactly one production variant and one shadow variant are allowed.');
    }
    shadow = await checkVariants(ctx, 'ShadowProductionVariants', input.ShadowProductionVariants, names);
  }

  let dataCapture: DataCaptureConfig | undefined;
  if (input.DataCaptureConfig) {
    // EnableCapture defaults to true ("Whether data capture should be enabled or disabled
    // (defaults to enabled)", DataCaptureConfig in the API reference); Describe shows it.
    dataCapture = { ...pick(input.DataCaptureConfig, DATA_CAPTURE_MEMBERS), EnableCapture: input.DataCaptureConfig.EnableCapture ?? true } as DataCaptureConfig;
  }

  const now = ctx.clock.now();
  const EndpointConfigArn = arn(ctx, 'endpoint-config', input.EndpointConfigName);
  const data: EndpointConfigData = {
    EndpointConfigName: input.EndpointConfigName,
    EndpointConfigArn,
    ProductionVariants: production,
    ...(dataCapture ? { DataCaptureConfig: dataCapture } : {}),
    ...(shadow ? { ShadowProductionVariants: shadow } : {}),
    ...pick(input, PLAIN_MEMBERS),
    CreationTime: now / 1000,
  };
  const created = await ctx.store.insert(
    ctx,
    { kind: 'endpoint-config', name: input.EndpointConfigName, arn: EndpointConfigArn, createdAt: now, modifiedAt: now, data },
    input.Tags,
  );
  if (!created) throw validation(`Cannot create already existing endpoint configuration "${EndpointConfigArn}".`);
  return { EndpointConfigArn };
}
