import type { Operation } from '../context.js';
import { conflict, controller, getModel, idempotent, KIND, scope, withoutToken, type ModelData } from './common.js';

interface Input {
  ProjectName: string;
  ModelVersion: string;
  ClientToken?: string;
}

/**
 * AWS: "Stops the hosting of a running model. The operation might take a while to complete.
 * … After the model hosting stops, the Status of the model is TRAINED." Answers 202 with the
 * status the model is now in (STOPPING_HOSTING); a model that is not hosted is a
 * ConflictException naming it; an unknown project or version a ResourceNotFoundException.
 * ProjectName/ModelVersion/ClientToken lengths and patterns are checked from the service
 * model before this runs (ValidationException); `latest` names the newest version.
 */
export const StopModel: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'StopModel', input.ClientToken, withoutToken(input), { type: 'MODEL', id: input.ModelVersion }, async () => {
    const m = await getModel(ctx, input.ProjectName, input.ModelVersion);
    const row = await ctx.store.update<ModelData>(scope(ctx), KIND.model, m.name, (r) => {
      if (r.status !== 'HOSTED') {
        throw conflict('MODEL', String(r.data.version), `Model version ${r.data.version} of project ${r.data.project} is not hosted (status ${r.status}); only a HOSTED model can be stopped.`);
      }
      return { ...r, status: 'STOPPING_HOSTING', modifiedAt: ctx.clock.now(), data: { ...r.data, statusMessage: 'Hosting stopping.' } };
    });
    controller(ctx).kickModel(scope(ctx), m.name);
    return { Status: row!.status };
  });
