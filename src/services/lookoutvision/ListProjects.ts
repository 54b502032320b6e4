import type { Cursor, Resource } from '../../store/store.js';
import type { Operation } from '../context.js';
import { decodeNext, encodeNext, KIND, scope, seconds } from './common.js';

interface Input {
  NextToken?: string;
  MaxResults?: number;
}

/** Projects in creation order; NextToken continues after the last project returned. */
export const ListProjects: Operation<Input> = async (ctx, input) => {
  const after = decodeNext('projects', input.NextToken);
  const all: Resource[] = [];
  let cursor: Cursor | undefined;
  do {
    const page = await ctx.store.list(scope(ctx), KIND.project, { sortBy: 'created', descending: false, limit: 1000, after: cursor });
    all.push(...page.items);
    cursor = page.next;
  } while (cursor);
  const start = after === undefined ? 0 : all.findIndex((p) => p.name === after) + 1;
  const limit = input.MaxResults ?? 100;
  const items = all.slice(start, start + limit);
  const more = start + limit < all.length;
  return {
    Projects: items.map((p) => ({ ProjectArn: p.arn, ProjectName: p.name, CreationTimestamp: seconds(p.createdAt) })),
    NextToken: more ? encodeNext('projects', items[items.length - 1].name) : undefined,
  };
};
