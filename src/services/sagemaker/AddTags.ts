import { validation } from '../../errors.js';
import { TagLimitError, type Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { checkTags, MAX_TAGS } from './common.js';
import { taggedResource } from './tags.js';

/**
 * Adds or overwrites tags. AddTagsOutput echoes the tags given. The 50-tag cap counts the
 * tags already on the resource; past it the whole call is refused and nothing is written
 * (the store checks and rolls back in one transaction).
 */
export async function AddTags(ctx: OpContext, input: { ResourceArn: string; Tags: Tag[] }) {
  const tags = input.Tags ?? [];
  checkTags(tags);
  const row = await taggedResource(ctx, input.ResourceArn);
  try {
    await ctx.store.addTags(row.arn, tags, MAX_TAGS);
  } catch (err) {
    if (err instanceof TagLimitError) {
      throw validation(`Cannot add tags: the resource would have ${err.total} tags, more than the maximum of ${MAX_TAGS}.`);
    }
    throw err;
  }
  return { Tags: tags };
}
