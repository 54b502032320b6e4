import type { OpContext } from '../context.js';
import { listQuery, pageToken, type ListInput } from './common.js';
import { ENDPOINT_KIND, type EndpointRecord } from '../../domain/endpoints/endpoint.js';

/**
 * ListEndpointsOutput: `Endpoints` (EndpointSummary: name, ARN, times, status) and
 * `NextToken`. Filters (NameContains, times, StatusEquals), SortBy Name | CreationTime |
 * Status and paging come from the shared List* query (AWS defaults: CreationTime,
 * Descending, 10 per page); the status column holds EndpointStatus.
 */
export async function ListEndpoints(ctx: OpContext, input: ListInput) {
  const q = listQuery(input);
  const page = await ctx.store.list<EndpointRecord>(ctx, ENDPOINT_KIND, q);
  return {
    Endpoints: page.items.map((r) => ({
      EndpointName: r.name,
      EndpointArn: r.arn,
      CreationTime: r.createdAt / 1000,
      LastModifiedTime: r.modifiedAt / 1000,
      EndpointStatus: r.data.EndpointStatus,
    })),
    ...pageToken(q, page.next),
  };
}
