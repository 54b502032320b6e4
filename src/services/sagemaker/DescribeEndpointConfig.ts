import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { arn } from './common.js';
import type { EndpointConfigData } from './CreateEndpointConfig.js';

/** One primary-key look-up; the stored data is already exactly DescribeEndpointConfigOutput. */
export async function DescribeEndpointConfig(ctx: OpContext, input: { EndpointConfigName: string }) {
  const row = await ctx.store.get<EndpointConfigData>(ctx, 'endpoint-config', input.EndpointConfigName);
  if (!row) {
    throw validation(`Could not find endpoint configuration "${arn(ctx, 'endpoint-config', input.EndpointConfigName)}".`);
  }
  return row.data;
}
