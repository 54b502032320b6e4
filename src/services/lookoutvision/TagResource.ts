import { AwsError } from '../../errors.js';
import { TagLimitError } from '../../store/store.js';
import type { Operation } from '../context.js';
import { validation } from './common.js';
import { MAX_TAGS, taggedModel } from './tags.js';

export const TagResource: Operation<{ ResourceArn: string; Tags: Array<{ Key: string; Value: string }> }> = async (ctx, input) => {
  const m = await taggedModel(ctx, input.ResourceArn);
  const keys = new Set<string>();
  for (const t of input.Tags) {
    if (keys.has(t.Key)) throw validation(`Duplicate tag key ${t.Key}.`);
    keys.add(t.Key);
  }
  try {
    await ctx.store.addTags(m.arn, input.Tags, MAX_TAGS);
  } catch (e) {
    if (e instanceof TagLimitError) {
      throw new AwsError('ServiceQuotaExceededException', `A model can have at most ${MAX_TAGS} tags; this request would give it ${e.total}.`, 402, {
        ResourceId: m.arn,
        ResourceType: 'MODEL',
      });
    }
    throw e;
  }
  return {};
};
