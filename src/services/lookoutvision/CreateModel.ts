import type { Resource } from '../../store/store.js';
import type { Operation } from '../context.js';
import { controller, getProject, idempotent, KIND, modelArn, modelMetadata, modelName, scope, validation, withoutToken, type ModelData } from './common.js';

interface Input {
  ProjectName: string;
  Description?: string;
  ClientToken?: string;
  OutputConfig: { S3Location: { Bucket: string; Prefix?: string } };
  KmsKeyId?: string;
  Tags?: Array<{ Key: string; Value: string }>;
}

/**
 * Starts training a new model version (TRAINING). The controller trains it in a worker
 * thread on the project's datasets and records TRAINED with Performance, or TRAINING_FAILED
 * with the reason (too few images, mixed sizes, missing images…).
 */
export const CreateModel: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'CreateModel', input.ClientToken, withoutToken(input), { type: 'PROJECT', id: input.ProjectName }, async () => {
    const p = await getProject(ctx, input.ProjectName);
    const keys = new Set<string>();
    for (const t of input.Tags ?? []) {
      if (keys.has(t.Key)) throw validation(`Duplicate tag key ${t.Key}.`);
      keys.add(t.Key);
    }
    if (!(await ctx.objects.bucketExists(input.OutputConfig.S3Location.Bucket))) {
      throw validation(`The output bucket ${input.OutputConfig.S3Location.Bucket} does not exist.`);
    }
    // Versions count per project incarnation: a project deleted and created again starts at 1.
    const version = await ctx.store.nextSequence(scope(ctx), `lookoutvision-model-version:${p.arn}:${p.createdAt}`);
    const now = ctx.clock.now();
    const row: Resource<ModelData> = {
      kind: KIND.model,
      name: modelName(p.name, version),
      arn: modelArn(ctx, p.name, version),
      createdAt: now,
      modifiedAt: now,
      parent: p.name,
      status: 'TRAINING',
      data: {
        project: p.name,
        version,
        description: input.Description,
        outputConfig: { S3Location: { Bucket: input.OutputConfig.S3Location.Bucket, Prefix: input.OutputConfig.S3Location.Prefix } },
        kmsKeyId: input.KmsKeyId,
        statusMessage: 'Training started.',
      },
    };
    await ctx.store.insert(scope(ctx), row, input.Tags);
    controller(ctx).kickModel(scope(ctx), row.name);
    return { ModelMetadata: modelMetadata(row) };
  });
