import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { ENDPOINT_KIND, inProgress, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import { validation } from '../../errors.js';

interface Input {
  EndpointName: string;
  DesiredWeightsAndCapacities: Array<{ VariantName: string; DesiredWeight?: number; DesiredInstanceCount?: number }>;
}

/**
 * Sets DesiredWeight / DesiredInstanceCount of existing variants; the endpoint is Updating
 * while the controller starts the extra instances (and waits for their /ping) or drains and
 * stops the surplus ones, then InService with the Current* values equal to the Desired ones.
 * Only an InService endpoint can be changed (AWS: "Cannot update in-progress endpoint").
 */
export async function UpdateEndpointWeightsAndCapacities(ctx: OpContext, input: Input) {
  const endpointArn = arn(ctx, 'endpoint', input.EndpointName);
  const names = new Set<string>();
  for (const d of input.DesiredWeightsAndCapacities) {
    if (names.has(d.VariantName)) throw validation(`The variant name(s) [${d.VariantName}] is/are duplicated. Variant names must be unique.`);
    names.add(d.VariantName);
    if (d.DesiredWeight === undefined && d.DesiredInstanceCount === undefined) {
      throw validation(`Either DesiredWeight or DesiredInstanceCount must be specified for variant ${d.VariantName}.`);
    }
  }
  const now = ctx.clock.now();
  const row = await ctx.store.update<EndpointRecord>(ctx, ENDPOINT_KIND, input.EndpointName, (row) => {
    const cur = row.data;
    if (cur.EndpointStatus !== 'InService') {
      if (cur.EndpointStatus === 'Failed') throw validation(`Cannot update failed endpoint "${endpointArn}". Delete it and create it again.`);
      throw inProgress(endpointArn);
    }
    const missing = [...names].filter((n) => !cur.variants.some((v) => v.VariantName === n));
    if (missing.length) {
      // Slipway's wording; AWS's exact text for an unknown variant name could not be confirmed.
      throw validation(`The variant name(s) [${missing.join(', ')}] is/are not present in endpoint "${endpointArn}".`);
    }
    const variants = cur.variants.map((v) => {
      const d = input.DesiredWeightsAndCapacities.find((x) => x.VariantName === v.VariantName);
      return d
        ? { ...v, DesiredWeight: d.DesiredWeight ?? v.DesiredWeight, DesiredInstanceCount: d.DesiredInstanceCount ?? v.DesiredInstanceCount }
        : v;
    });
    if (!variants.some((v) => v.DesiredWeight > 0)) {
      // Routing needs some weight: with every weight 0 no invocation could be served.
      throw validation('At least one variant must have a DesiredWeight greater than 0.');
    }
    const data: EndpointRecord = { ...cur, variants, EndpointStatus: 'Updating', FailureReason: undefined, LastModifiedTime: now / 1000 };
    return { ...row, status: 'Updating', modifiedAt: now, data };
  });
  if (!row) throw validation(`Could not find endpoint "${endpointArn}".`);
  void ctx.controllers.endpoints?.kick(ctx, input.EndpointName);
  return { EndpointArn: row.arn };
}
