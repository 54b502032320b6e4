import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { ENDPOINT_KIND, inProgress, resolveDeployment, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import { checkDeploymentConfig, type DeploymentConfig } from '../../domain/endpoints/deployment.js';
import type { EndpointConfigData } from './CreateEndpointConfig.js';
import { validation } from '../../errors.js';

interface Input {
  EndpointName: string;
  EndpointConfigName: string;
  RetainAllVariantProperties?: boolean;
  ExcludeRetainedVariantProperties?: Array<{ VariantPropertyType: 'DesiredInstanceCount' | 'DesiredWeight' | 'DataCaptureConfig' }>;
  DeploymentConfig?: DeploymentConfig;
  RetainDeploymentConfig?: boolean;
}

/**
 * Switches an InService endpoint to another endpoint configuration without downtime: the
 * endpoint is Updating, the controller starts the new fleet beside the old one and moves
 * traffic only once every new instance is healthy (RollingBack → InService, old fleet
 * untouched, when they never are).
 *
 * `RetainAllVariantProperties` keeps, for variants of the same name, the weight and instance
 * count the endpoint has now (e.g. after UpdateEndpointWeightsAndCapacities or autoscaling)
 * and the current data capture config, except what `ExcludeRetainedVariantProperties` names
 * (API reference, UpdateEndpoint).
 *
 * `DeploymentConfig` says how the controller deploys (deployment guardrails: blue/green with
 * ALL_AT_ONCE, CANARY or LINEAR traffic shifting, or rolling; see domain/endpoints/deployment.ts)
 * and becomes `LastDeploymentConfig`. `RetainDeploymentConfig` reuses the last one; a
 * DeploymentConfig given as well wins (Slipway's choice: the explicit config is what the
 * caller asked for now). Without either, the update is blue/green all at once. Refused
 * combinations (both update policies, CANARY without CanarySize, sizes outside the
 * documented ranges, rolling for several variants, other variant names) change nothing.
 * An endpoint in UpdateRollbackFailed (a rolling rollback that failed) can be updated again
 * (or deleted) to bring it back to one configuration.
 */
export async function UpdateEndpoint(ctx: OpContext, input: Input) {
  const endpointArn = arn(ctx, 'endpoint', input.EndpointName);
  const existing = await ctx.store.get<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName);
  if (!existing) throw validation(`Could not find endpoint "${endpointArn}".`);
  const next = await resolveDeployment(ctx.store, ctx, input.EndpointConfigName, (t, n) => arn(ctx, t, n));
  const config = await ctx.store.get<EndpointConfigData>(ctx, 'endpoint-config', input.EndpointConfigName);
  const serverless = new Set((config?.data.ProductionVariants ?? []).filter((v) => v.ServerlessConfig).map((v) => v.VariantName));
  // The shape is checked before the endpoint's state, as AWS validates a request before acting on it.
  checkDeploymentConfig(input.DeploymentConfig);
  const excluded = new Set((input.ExcludeRetainedVariantProperties ?? []).map((p) => p.VariantPropertyType));
  if (excluded.size && !input.RetainAllVariantProperties) {
    // API reference: ExcludeRetainedVariantProperties applies "when RetainAllVariantProperties is set to true".
    throw validation('ExcludeRetainedVariantProperties can only be specified when RetainAllVariantProperties is true.');
  }
  const now = ctx.clock.now();
  const row = await ctx.store.update<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName, (row) => {
    const cur = row.data;
    if (cur.EndpointStatus !== 'InService' && cur.EndpointStatus !== 'UpdateRollbackFailed') {
      if (cur.EndpointStatus === 'Failed') {
        // Slipway's wording: a Failed endpoint has nothing serving to update from; delete it and create it again.
        throw validation(`Cannot update failed endpoint "${endpointArn}". Delete it and create it again.`);
      }
      throw inProgress(endpointArn);
    }
    const variants = next.variants.map((v) => {
      const old = input.RetainAllVariantProperties ? cur.variants.find((o) => o.VariantName === v.VariantName) : undefined;
      if (!old) return v;
      return {
        ...v,
        ...(excluded.has('DesiredWeight') ? {} : { CurrentWeight: old.CurrentWeight, DesiredWeight: old.CurrentWeight }),
        ...(excluded.has('DesiredInstanceCount') ? {} : { DesiredInstanceCount: old.CurrentInstanceCount }),
      };
    });
    const deploymentConfig = (input.DeploymentConfig ?? (input.RetainDeploymentConfig ? cur.DeploymentConfig : undefined)) as DeploymentConfig | undefined;
    checkDeploymentConfig(deploymentConfig, {
      next: variants.map((v) => ({ VariantName: v.VariantName, DesiredInstanceCount: v.DesiredInstanceCount, serverless: serverless.has(v.VariantName) })),
      currentNames: cur.variants.map((v) => v.VariantName),
      configArn: arn(ctx, 'endpoint-config', input.EndpointConfigName),
    });
    const capture = input.RetainAllVariantProperties && !excluded.has('DataCaptureConfig') ? cur.DataCaptureConfig : next.DataCaptureConfig;
    const data: EndpointRecord = {
      ...cur,
      EndpointStatus: 'Updating',
      FailureReason: undefined,
      LastModifiedTime: now / 1000,
      DeploymentConfig: deploymentConfig,
      pending: {
        EndpointConfigName: next.EndpointConfigName,
        variants,
        ...(capture ? { DataCaptureConfig: capture } : {}),
        ...(next.AsyncInferenceConfig ? { AsyncInferenceConfig: next.AsyncInferenceConfig } : {}),
        StartTime: now / 1000,
      },
    };
    return { ...row, status: 'Updating', modifiedAt: now, data };
  });
  if (!row) throw validation(`Could not find endpoint "${endpointArn}".`);
  void ctx.controllers.endpoints?.kick(ctx, input.EndpointName);
  return { EndpointArn: row.arn };
}
