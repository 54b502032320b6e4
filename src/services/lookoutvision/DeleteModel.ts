import type { Operation } from '../context.js';
import { conflict, controller, getModel, idempotent, KIND, scope, withoutToken, type ModelData } from './common.js';

interface Input {
  ProjectName: string;
  ModelVersion: string;
  ClientToken?: string;
}

const RUNNING = ['STARTING_HOSTING', 'HOSTED', 'STOPPING_HOSTING'];

/**
 * AWS: "You can't delete a running model. To stop a running model, use the StopModel
 * operation. It might take a few seconds to delete a model." The model goes DELETING and
 * disappears from ListModels once the controller has removed it (a training run is stopped).
 */
export const DeleteModel: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'DeleteModel', input.ClientToken, withoutToken(input), { type: 'MODEL', id: input.ModelVersion }, async () => {
    const m = await getModel(ctx, input.ProjectName, input.ModelVersion);
    await ctx.store.update<ModelData>(scope(ctx), KIND.model, m.name, (r) => {
      if (RUNNING.includes(r.status ?? '')) {
        throw conflict('MODEL', input.ModelVersion, `Model version ${input.ModelVersion} is ${r.status}. Stop the model with StopModel before deleting it.`);
      }
      return { ...r, status: 'DELETING', modifiedAt: ctx.clock.now() };
    });
    controller(ctx).kickModel(scope(ctx), m.name);
    return { ModelArn: m.arn };
  });
