import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { taggedResource } from './tags.js';

/** Removes the named keys; keys the resource does not carry are ignored, as in AWS. */
export async function DeleteTags(ctx: OpContext, input: { ResourceArn: string; TagKeys: string[] }) {
  const keys = input.TagKeys ?? [];
  for (const k of keys) {
    // `aws:` tags belong to AWS: callers "cannot edit or delete tag keys with this prefix".
    if (k.toLowerCase().startsWith('aws:')) {
      throw validation(`Tag keys beginning with 'aws:' are reserved for system use: '${k}'.`);
    }
  }
  const row = await taggedResource(ctx, input.ResourceArn);
  await ctx.store.deleteTags(row.arn, keys);
  return {};
}
