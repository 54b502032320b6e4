import type { Operation } from '../context.js';
import { taggedModel } from './tags.js';

export const ListTagsForResource: Operation<{ ResourceArn: string }> = async (ctx, input) => {
  const m = await taggedModel(ctx, input.ResourceArn);
  return { Tags: await ctx.store.listTags(m.arn) };
};
