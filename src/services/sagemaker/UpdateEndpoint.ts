import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { ENDPOINT_KIND, inProgress, resolveDeployment, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import { validation } from '../../errors.js';

interface Input {
  EndpointName: string;
  EndpointConfigName: string;
  RetainAllVariantProperties?: boolean;
  ExcludeRetainedVariantProperties?: Array<{ VariantPropertyType: 'DesiredInstanceCount' | 'DesiredWeight' | 'DataCaptureConfig' }>;
  DeploymentConfig?: unknown;
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
 * (API reference, UpdateEndpoint). `RetainDeploymentConfig` keeps the last DeploymentConfig.
 */
export async function UpdateEndpoint(ctx: OpContext, input: Input) {
  const endpointArn = arn(ctx, 'endpoint', input.EndpointName);
  const existing = await ctx.store.get<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName);
  if (!existing) throw validation(`Could not find endpoint "${endpointArn}".`);
  const next = await resolveDeployment(ctx.store, ctx, input.EndpointConfigName, (t, n) => arn(ctx, t, n));
  const excluded = new Set((input.ExcludeRetainedVariantProperties ?? []).map((p) => p.VariantPropertyType));
  if (excluded.size && !input.RetainAllVariantProperties) {
    // API reference: ExcludeRetainedVariantProperties applies "when RetainAllVariantProperties is set to true".
    throw validation('ExcludeRetainedVariantProperties can only be specified when RetainAllVariantProperties is true.');
  }
  const now = ctx.clock.now();
  const row = await ctx.store.update<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName, (row) => {
    const cur = row.data;
    if (cur.EndpointStatus !== 'InService') {
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
    const capture = input.RetainAllVariantProperties && !excluded.has('DataCaptureConfig') ? cur.DataCaptureConfig : next.DataCaptureConfig;
    const data: EndpointRecord = {
      ...cur,
      EndpointStatus: 'Updating',
      FailureReason: undefined,
      LastModifiedTime: now / 1000,
      DeploymentConfig: input.RetainDeploymentConfig ? cur.DeploymentConfig : input.DeploymentConfig,
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
