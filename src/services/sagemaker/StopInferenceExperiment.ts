import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { arn } from './common.js';
import {
  EXPERIMENT_KIND,
  experimentNotFound,
  shadowOf,
  wrongStatus,
  type ExperimentRecord,
  type ModelVariantConfig,
  type StopPlan,
  type VariantAction,
} from '../../domain/experiments/experiment.js';

interface Input {
  Name: string;
  ModelVariantActions: Record<string, VariantAction>;
  DesiredModelVariants?: ModelVariantConfig[];
  DesiredState?: 'Completed' | 'Cancelled';
  Reason?: string;
}

/**
 * Stops a Running shadow test. `ModelVariantActions` maps variants to (API reference):
 * "Promote - Promote the shadow variant to a production variant; Remove - Delete the variant;
 * Retain - Keep the variant as it is". `DesiredModelVariants` is "one for each variant that
 * you want to deploy after the inference experiment stops" (the promoted variant's
 * infrastructure). `DesiredState` Completed (default) | Cancelled; `Reason` becomes
 * StatusReason.
 *
 * The plan is checked here, recorded with Stopping, and carried out by the controller
 * (Promote is a blue/green switch through the endpoint controller). Refused:
 * - an experiment that is not Running → ConflictException (the error the operation models);
 * - an action for a variant that is not in the experiment;
 * - promoting the production variant (it already is one) — so never both;
 * - promoting the shadow while retaining production (an endpoint with a shadow test has one
 *   production variant; after a Promote the old one must go);
 * - removing production without promoting the shadow (the endpoint would serve nothing);
 * - DesiredModelVariants for a variant that is not being promoted, or naming another model.
 * These are ValidationExceptions; their wording is Slipway's (AWS's could not be confirmed).
 */
export async function StopInferenceExperiment(ctx: OpContext, input: Input) {
  const experimentArn = arn(ctx, 'inference-experiment', input.Name);
  const now = ctx.clock.now();
  let plan: StopPlan | undefined;
  const row = await ctx.store.update<ExperimentRecord>(ctx, EXPERIMENT_KIND, input.Name, (row) => {
    const r = row.data;
    if (r.Status !== 'Running') throw wrongStatus('stop', r.Arn, r.Status, 'Running');
    plan = checkPlan(r, input);
    const shadow = shadowOf(r).name;
    const data: ExperimentRecord = {
      ...r,
      Status: 'Stopping',
      ...(input.Reason !== undefined ? { StatusReason: input.Reason } : {}),
      stop: plan,
      ModelVariants: r.ModelVariants.map((v) => {
        const a = plan!.actions[v.VariantName];
        // Per-variant statuses while stopping: what is removed is Deleting, what is promoted Updating.
        return { ...v, Status: a === 'Remove' ? 'Deleting' : a === 'Promote' ? 'Updating' : v.VariantName === shadow ? 'InService' : v.Status };
      }),
      LastModifiedTime: now / 1000,
    };
    return { ...row, status: data.Status, modifiedAt: now, data };
  });
  if (!row) throw experimentNotFound(experimentArn);
  void ctx.controllers.experiments?.kick(ctx, input.Name);
  return { InferenceExperimentArn: row.arn };
}

/** The complete plan (every variant gets an action) or a ValidationException. */
function checkPlan(r: ExperimentRecord, input: Input): StopPlan {
  const source = r.ShadowModeConfig.SourceModelVariantName;
  const shadow = shadowOf(r).name;
  const known = new Set([source, shadow]);
  for (const name of Object.keys(input.ModelVariantActions)) {
    if (!known.has(name)) throw validation(`Variant ${name} in ModelVariantActions is not a variant of inference experiment "${r.Arn}" (variants: ${source}, ${shadow}).`);
  }
  const shadowAction = input.ModelVariantActions[shadow] ?? 'Remove';
  if (input.ModelVariantActions[source] === 'Promote') {
    throw validation(`Variant ${source} is already the production variant and cannot be promoted; only the shadow variant ${shadow} can be promoted.`);
  }
  // Unnamed production: retained, unless the shadow replaces it.
  const sourceAction = input.ModelVariantActions[source] ?? (shadowAction === 'Promote' ? 'Remove' : 'Retain');
  if (shadowAction === 'Promote' && sourceAction !== 'Remove') {
    throw validation(`When the shadow variant ${shadow} is promoted, the production variant ${source} must be removed (an endpoint with a shadow test has at most one production variant).`);
  }
  if (sourceAction === 'Remove' && shadowAction !== 'Promote') {
    throw validation(`The production variant ${source} can only be removed when the shadow variant ${shadow} is promoted; otherwise the endpoint would have no production variant.`);
  }
  const seen = new Set<string>();
  for (const d of input.DesiredModelVariants ?? []) {
    if (seen.has(d.VariantName)) throw validation(`Variant ${d.VariantName} appears more than once in DesiredModelVariants.`);
    seen.add(d.VariantName);
    if (d.VariantName !== shadow || shadowAction !== 'Promote') {
      throw validation(`DesiredModelVariants may only describe the promoted variant; ${d.VariantName} is not being promoted.`);
    }
    const mine = r.ModelVariants.find((v) => v.VariantName === d.VariantName)!;
    if (mine.ModelName.toLowerCase() !== d.ModelName.toLowerCase()) {
      throw validation(`Variant ${d.VariantName} serves model ${mine.ModelName} in this experiment, not ${d.ModelName}.`);
    }
    if (d.InfrastructureConfig.RealTimeInferenceConfig.InstanceCount < 1) throw validation(`InstanceCount of variant ${d.VariantName} must be at least 1.`);
  }
  return {
    actions: { [source]: sourceAction, [shadow]: shadowAction },
    ...(input.DesiredModelVariants ? { desired: input.DesiredModelVariants } : {}),
    state: input.DesiredState ?? 'Completed',
  };
}
