import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { arn } from './common.js';

/** Removes the configuration and its tags; endpoints already built from it keep running in AWS. */
export async function DeleteEndpointConfig(ctx: OpContext, input: { EndpointConfigName: string }) {
  const deleted = await ctx.store.delete(ctx, 'endpoint-config', input.EndpointConfigName);
  if (!deleted) {
    throw validation(`Could not find endpoint configuration "${arn(ctx, 'endpoint-config', input.EndpointConfigName)}".`);
  }
  return {};
}
