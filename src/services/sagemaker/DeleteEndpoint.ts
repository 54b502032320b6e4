import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { ENDPOINT_KIND, inProgress, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import { validation } from '../../errors.js';

/**
 * Records Deleting; the controller stops every model server (SIGTERM, then SIGKILL after the
 * hosting grace) and removes the endpoint. An endpoint still Creating, Updating or
 * RollingBack is refused with AWS's "Cannot update in-progress endpoint"; InService and
 * Failed endpoints can be deleted.
 */
export async function DeleteEndpoint(ctx: OpContext, input: { EndpointName: string }) {
  const endpointArn = arn(ctx, 'endpoint', input.EndpointName);
  const now = ctx.clock.now();
  const row = await ctx.store.update<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName, (row) => {
    const s = row.data.EndpointStatus;
    if (s === 'Creating' || s === 'Updating' || s === 'RollingBack') throw inProgress(endpointArn);
    // A second delete while Deleting is accepted and changes nothing (AWS answers it alike).
    if (s === 'Deleting') return undefined;
    return { ...row, status: 'Deleting', modifiedAt: now, data: { ...row.data, EndpointStatus: 'Deleting', LastModifiedTime: now / 1000 } };
  });
  if (!row) throw validation(`Could not find endpoint "${endpointArn}".`);
  void ctx.controllers.endpoints?.kick(ctx, input.EndpointName);
  return {};
}
