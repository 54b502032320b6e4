import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { taggedResource } from './tags.js';

/**
 * ListTagsOutput: `Tags` in the order they were added, `NextToken` when more remain.
 * ListTagsMaxResults has a minimum of 50 and no maximum in the service model, so with the
 * 50-tag cap one page normally holds everything; the token is still honoured. A resource
 * holds at most 50 tags, so the token is an offset into that short list.
 */
export async function ListTags(ctx: OpContext, input: { ResourceArn: string; NextToken?: string; MaxResults?: number }) {
  const row = await taggedResource(ctx, input.ResourceArn);
  const start = input.NextToken === undefined ? 0 : decode(input.NextToken, row.arn);
  const limit = input.MaxResults ?? 50;
  const all = await ctx.store.listTags(row.arn);
  const Tags = all.slice(start, start + limit);
  const end = start + Tags.length;
  return end < all.length ? { Tags, NextToken: encode(end, row.arn) } : { Tags };
}

function encode(offset: number, arn: string): string {
  return Buffer.from(JSON.stringify({ a: arn, o: offset })).toString('base64url');
}

function decode(token: string, arn: string): number {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t && t.a === arn && Number.isInteger(t.o) && t.o >= 0) return t.o;
  } catch {
    /* fall through */
  }
  throw validation('Invalid pagination token because of an invalid character or pagination token has expired.');
}
