import type { OpContext } from '../context.js';
import { listQuery, pageToken, type ListInput } from './common.js';

/** ListEndpointConfigsOutput: `EndpointConfigs` (EndpointConfigName, EndpointConfigArn, CreationTime) and `NextToken`. */
export async function ListEndpointConfigs(ctx: OpContext, input: ListInput) {
  const q = { ...listQuery(input), summary: true };
  const page = await ctx.store.list(ctx, 'endpoint-config', q);
  return {
    EndpointConfigs: page.items.map((r) => ({
      EndpointConfigName: r.name,
      EndpointConfigArn: r.arn,
      CreationTime: r.createdAt / 1000,
    })),
    ...pageToken(q, page.next),
  };
}
