import { validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { arn, checkCreateTags } from './common.js';

export interface ContainerDefinition {
  ContainerHostname?: string;
  Image?: string;
  ModelDataUrl?: string;
  Environment?: Record<string, string>;
  Mode?: string;
  ModelPackageName?: string;
  [member: string]: unknown;
}

export interface ModelData {
  ModelName: string;
  PrimaryContainer?: ContainerDefinition;
  Containers?: ContainerDefinition[];
  InferenceExecutionConfig?: unknown;
  ExecutionRoleArn?: string;
  VpcConfig?: unknown;
  EnableNetworkIsolation?: boolean;
  DeploymentRecommendation?: unknown;
  CreationTime: number;
  ModelArn: string;
}

interface Input extends Omit<ModelData, 'CreationTime' | 'ModelArn'> {
  Tags?: Tag[];
}

export async function CreateModel(ctx: OpContext, input: Input) {
  if (!input.PrimaryContainer && !input.Containers) {
    throw validation('Either PrimaryContainer or Containers must be specified.');
  }
  if (input.PrimaryContainer && input.Containers) {
    throw validation('Only one of PrimaryContainer or Containers can be specified.');
  }
  checkCreateTags(input.Tags);
  const now = ctx.clock.now();
  const { Tags, ...fields } = input;
  const ModelArn = arn(ctx, 'model', input.ModelName);
  const data: ModelData = { ...fields, CreationTime: now / 1000, ModelArn };
  const created = await ctx.store.insert(ctx, { kind: 'model', name: input.ModelName, arn: ModelArn, createdAt: now, modifiedAt: now, data });
  if (!created) throw validation(`Cannot create already existing model "${ModelArn}".`);
  if (Tags?.length) await ctx.store.addTags(ModelArn, Tags, 50);
  return { ModelArn };
}
