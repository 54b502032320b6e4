import { validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { arn, checkTags, modelled, pick } from './common.js';
import { resolvePackageContainer } from '../../domain/registry/deploy.js';
import { checkContainerHostnames } from '../../domain/endpoints/containers.js';

export interface ContainerDefinition {
  ContainerHostname?: string;
  Image?: string;
  ModelDataUrl?: string;
  Environment?: Record<string, string>;
  Mode?: string;
  ModelPackageName?: string;
  [member: string]: unknown;
}

/** Exactly the members of AWS's DescribeModelOutput. */
export interface ModelData {
  ModelName: string;
  PrimaryContainer?: ContainerDefinition;
  Containers?: ContainerDefinition[];
  InferenceExecutionConfig?: { Mode: string };
  ExecutionRoleArn?: string;
  VpcConfig?: { SecurityGroupIds: string[]; Subnets: string[] };
  CreationTime: number;
  ModelArn: string;
  EnableNetworkIsolation: boolean;
  DeploymentRecommendation?: unknown;
}

interface Input {
  ModelName: string;
  PrimaryContainer?: ContainerDefinition;
  Containers?: ContainerDefinition[];
  InferenceExecutionConfig?: { Mode: string };
  ExecutionRoleArn?: string;
  VpcConfig?: { SecurityGroupIds: string[]; Subnets: string[] };
  EnableNetworkIsolation?: boolean;
  Tags?: Tag[];
}

/** CreateModelInput members that DescribeModel echoes (Tags live in the tag table). */
const STORED = ['PrimaryContainer', 'Containers', 'InferenceExecutionConfig', 'ExecutionRoleArn', 'VpcConfig'] as const;

export async function CreateModel(ctx: OpContext, raw: Input) {
  const input = modelled('CreateModelInput', raw);
  // Everything is checked before anything is written: a refused create leaves no trace.
  if (!input.PrimaryContainer && !input.Containers) {
    throw validation('Either PrimaryContainer or Containers must be specified.');
  }
  if (input.PrimaryContainer && input.Containers) {
    throw validation('Only one of PrimaryContainer or Containers can be specified.');
  }
  checkTags(input.Tags);
  // Several containers: an inference pipeline (Serial) or direct invocation (Direct), named by ContainerHostname.
  checkContainerHostnames(input.Containers, input.InferenceExecutionConfig?.Mode);
  // A container may name a model package instead of an image: it runs the package's image
  // and model data (deploying from the model registry).
  if (input.PrimaryContainer) input.PrimaryContainer = await resolvePackageContainer(ctx.store, ctx, input.PrimaryContainer);
  if (input.Containers) {
    input.Containers = await Promise.all(input.Containers.map((c) => resolvePackageContainer(ctx.store, ctx, c)));
  }
  const now = ctx.clock.now();
  const ModelArn = arn(ctx, 'model', input.ModelName);
  const data: ModelData = {
    ModelName: input.ModelName,
    ...pick(input, STORED),
    CreationTime: now / 1000,
    ModelArn,
    // AWS's DescribeModel reports EnableNetworkIsolation even when the create left it out
    // (false), so SDK callers can read it without a presence check.
    EnableNetworkIsolation: input.EnableNetworkIsolation ?? false,
  };
  const created = await ctx.store.insert(
    ctx,
    { kind: 'model', name: input.ModelName, arn: ModelArn, createdAt: now, modifiedAt: now, data },
    input.Tags,
  );
  if (!created) throw validation(`Cannot create already existing model "${ModelArn}".`);
  return { ModelArn };
}
