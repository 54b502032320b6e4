import type { OpContext } from '../context.js';
import { listQuery, pageToken, type ListInput } from './common.js';
import type { ModelData } from './CreateModel.js';

/** ListModelsOutput: `Models` (ModelSummary: ModelName, ModelArn, CreationTime) and `NextToken`. */
export async function ListModels(ctx: OpContext, input: ListInput) {
  const q = { ...listQuery(input), summary: true };
  const page = await ctx.store.list<ModelData>(ctx, 'model', q);
  return {
    Models: page.items.map((r) => ({ ModelName: r.name, ModelArn: r.arn, CreationTime: r.createdAt / 1000 })),
    ...pageToken(q, page.next),
  };
}
