import { validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { arn, checkTags } from './common.js';
import { ENDPOINT_KIND, resolveDeployment, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import { checkDeploymentConfig, type DeploymentConfig } from '../../domain/endpoints/deployment.js';

interface Input {
  EndpointName: string;
  EndpointConfigName: string;
  DeploymentConfig?: DeploymentConfig;
  Tags?: Tag[];
}

/**
 * Records the endpoint as Creating and hands it to the endpoint controller, which starts the
 * model servers and records InService or Failed. The configuration and its models are
 * resolved now (a missing one is refused with DescribeEndpointConfig's / DescribeModel's
 * "Could not find …"); an image that cannot run fails the endpoint later, with a
 * FailureReason, as in AWS where image problems surface while the endpoint is Creating.
 * A `DeploymentConfig` applies to later updates (`RetainDeploymentConfig`) and is shown as
 * `LastDeploymentConfig`; its shape is checked now, its sizes against the fleet at the update.
 */
export async function CreateEndpoint(ctx: OpContext, input: Input) {
  checkTags(input.Tags);
  checkDeploymentConfig(input.DeploymentConfig);
  const EndpointArn = arn(ctx, 'endpoint', input.EndpointName);
  // Checked before the config: AWS names the duplicate even when the config is also wrong.
  if (await ctx.store.get(ctx, ENDPOINT_KIND, input.EndpointName)) {
    throw validation(`Cannot create already existing endpoint "${EndpointArn}".`);
  }
  const deployment = await resolveDeployment(ctx.store, ctx, input.EndpointConfigName, (t, n) => arn(ctx, t, n));
  const now = ctx.clock.now();
  const data: EndpointRecord = {
    EndpointName: input.EndpointName,
    EndpointArn,
    ...deployment,
    EndpointStatus: 'Creating',
    CreationTime: now / 1000,
    LastModifiedTime: now / 1000,
    ...(input.DeploymentConfig ? { DeploymentConfig: input.DeploymentConfig } : {}),
  };
  const created = await ctx.store.insert(
    ctx,
    { kind: ENDPOINT_KIND, name: input.EndpointName, arn: EndpointArn, createdAt: now, modifiedAt: now, status: 'Creating', data },
    input.Tags,
  );
  if (!created) throw validation(`Cannot create already existing endpoint "${EndpointArn}".`);
  void ctx.controllers.endpoints?.kick(ctx, input.EndpointName);
  return { EndpointArn };
}
