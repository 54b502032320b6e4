import type { Operation } from '../context.js';
import { taggedModel } from './tags.js';

export const UntagResource: Operation<{ ResourceArn: string; TagKeys: string[] }> = async (ctx, input) => {
  const m = await taggedModel(ctx, input.ResourceArn);
  await ctx.store.deleteTags(m.arn, input.TagKeys);
  return {};
};
