import { validation } from '../../errors.js';
import type { OpContext } from '../context.js';
import { arn } from './common.js';
import { checkSchedule } from './CreateInferenceExperiment.js';
import {
  EXPERIMENT_KIND,
  experimentNotFound,
  shadowOf,
  wrongStatus,
  type DataStorageConfig,
  type ExperimentRecord,
  type ModelVariantConfig,
  type ShadowModeConfig,
} from '../../domain/experiments/experiment.js';

interface Input {
  Name: string;
  Schedule?: { StartTime?: number; EndTime?: number };
  Description?: string;
  ModelVariants?: ModelVariantConfig[];
  DataStorageConfig?: DataStorageConfig;
  ShadowModeConfig?: ShadowModeConfig;
}

/**
 * Updates a Created or Running experiment (API reference: "The status of the inference
 * experiment has to be either Created, Running"; otherwise ConflictException). Schedule:
 * "If the status … is Created, then you can update both the start and end dates. If the
 * status … is Running, then you can update only the end date." The sampling percentage can
 * change while running (developer guide: "you can modify the traffic sampling percentage
 * when your test is scheduled or running"); variant names cannot. ModelVariants
 * (infrastructure) can change while Created; Slipway does not redeploy a running shadow, so
 * a Running experiment refuses them. Status is Updating until the controller has applied
 * the change, then returns to what it was.
 */
export async function UpdateInferenceExperiment(ctx: OpContext, input: Input) {
  const experimentArn = arn(ctx, 'inference-experiment', input.Name);
  const now = ctx.clock.now();
  const row = await ctx.store.update<ExperimentRecord>(ctx, EXPERIMENT_KIND, input.Name, (row) => {
    const r = row.data;
    if (r.Status !== 'Created' && r.Status !== 'Running') throw wrongStatus('update', r.Arn, r.Status, 'Created or Running');
    const running = r.Status === 'Running';
    let Schedule = r.Schedule;
    if (input.Schedule) {
      if (running && input.Schedule.StartTime !== undefined && input.Schedule.StartTime !== r.Schedule.StartTime) {
        throw validation('The StartTime of a Running inference experiment cannot be updated; only its EndTime can.');
      }
      Schedule = { StartTime: input.Schedule.StartTime ?? r.Schedule.StartTime, EndTime: input.Schedule.EndTime ?? r.Schedule.EndTime };
      checkSchedule(Schedule.StartTime, Schedule.EndTime, now / 1000);
    }
    let ShadowModeConfig = r.ShadowModeConfig;
    if (input.ShadowModeConfig) {
      const s = input.ShadowModeConfig.ShadowModelVariants[0]!;
      if (input.ShadowModeConfig.SourceModelVariantName !== r.ShadowModeConfig.SourceModelVariantName || input.ShadowModeConfig.ShadowModelVariants.length !== 1 || s.ShadowModelVariantName !== shadowOf(r).name) {
        throw validation('The source and shadow variant names of an inference experiment cannot be changed; only SamplingPercentage can.');
      }
      if (!(s.SamplingPercentage >= 0 && s.SamplingPercentage <= 100)) throw validation('SamplingPercentage of the shadow variant must be between 0 and 100.');
      ShadowModeConfig = { SourceModelVariantName: r.ShadowModeConfig.SourceModelVariantName, ShadowModelVariants: [{ ShadowModelVariantName: s.ShadowModelVariantName, SamplingPercentage: s.SamplingPercentage }] };
    }
    let ModelVariants = r.ModelVariants;
    if (input.ModelVariants) {
      if (running) throw validation('The ModelVariants of a Running inference experiment cannot be updated in Slipway; stop it and create another.');
      ModelVariants = r.ModelVariants.map((v) => {
        const u = input.ModelVariants!.find((m) => m.VariantName === v.VariantName);
        if (u && u.ModelName.toLowerCase() !== v.ModelName.toLowerCase()) throw validation(`Variant ${v.VariantName} serves model ${v.ModelName}, not ${u.ModelName}.`);
        return u ? { ...v, InfrastructureConfig: u.InfrastructureConfig } : v;
      });
      for (const m of input.ModelVariants) {
        if (!r.ModelVariants.some((v) => v.VariantName === m.VariantName)) throw validation(`Variant ${m.VariantName} is not a variant of inference experiment "${r.Arn}".`);
      }
    }
    if (input.DataStorageConfig && !input.DataStorageConfig.Destination.startsWith('s3://')) throw validation('DataStorageConfig.Destination must be an s3:// URI.');
    const data: ExperimentRecord = {
      ...r,
      Status: 'Updating',
      resumeStatus: r.Status,
      Schedule,
      ShadowModeConfig,
      ModelVariants,
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      ...(input.DataStorageConfig ? { DataStorageConfig: input.DataStorageConfig } : {}),
      LastModifiedTime: now / 1000,
    };
    return { ...row, status: data.Status, modifiedAt: now, data };
  });
  if (!row) throw experimentNotFound(experimentArn);
  void ctx.controllers.experiments?.kick(ctx, input.Name);
  return { InferenceExperimentArn: row.arn };
}
