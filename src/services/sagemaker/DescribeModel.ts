import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { arn } from './common.js';
import type { ModelData } from './CreateModel.js';

export async function DescribeModel(ctx: OpContext, input: { ModelName: string }) {
  const row = await ctx.store.get<ModelData>(ctx, 'model', input.ModelName);
  if (!row) throw validation(`Could not find model "${arn(ctx, 'model', input.ModelName)}".`);
  return row.data;
}
