import type { Operation } from '../context.js';
import { conflict, controller, getModel, idempotent, KIND, scope, validation, withoutToken, type ModelData } from './common.js';

interface Input {
  ProjectName: string;
  ModelVersion: string;
  MinInferenceUnits: number;
  MaxInferenceUnits?: number;
  ClientToken?: string;
}

/**
 * Starts hosting a trained model: STARTING_HOSTING now, HOSTED once the controller has
 * loaded it (the detector lives in the server's memory; inference units are recorded and
 * reported, as there is one host here).
 */
export const StartModel: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'StartModel', input.ClientToken, withoutToken(input), { type: 'MODEL', id: input.ModelVersion }, async () => {
    if (input.MaxInferenceUnits !== undefined && input.MaxInferenceUnits < input.MinInferenceUnits) {
      throw validation('MaxInferenceUnits must be greater than or equal to MinInferenceUnits.');
    }
    const m = await getModel(ctx, input.ProjectName, input.ModelVersion);
    await ctx.store.update<ModelData>(scope(ctx), KIND.model, m.name, (r) => {
      if (r.status !== 'TRAINED' && r.status !== 'HOSTING_FAILED') {
        throw conflict('MODEL', String(r.data.version), `Model version ${r.data.version} cannot be started while it is ${r.status}; only a TRAINED model can be hosted.`);
      }
      return {
        ...r,
        status: 'STARTING_HOSTING',
        modifiedAt: ctx.clock.now(),
        data: {
          ...r.data,
          statusMessage: 'Hosting starting.',
          minInferenceUnits: input.MinInferenceUnits,
          maxInferenceUnits: input.MaxInferenceUnits ?? input.MinInferenceUnits,
        },
      };
    });
    controller(ctx).kickModel(scope(ctx), m.name);
    return { Status: 'STARTING_HOSTING' };
  });
