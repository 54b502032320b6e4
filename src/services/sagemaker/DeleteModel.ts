import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { arn } from './common.js';

/** Removes the model and its tags. A missing model is AWS's ValidationException "Could not find model". */
export async function DeleteModel(ctx: OpContext, input: { ModelName: string }) {
  const deleted = await ctx.store.delete(ctx, 'model', input.ModelName);
  if (!deleted) throw validation(`Could not find model "${arn(ctx, 'model', input.ModelName)}".`);
  return {};
}
