import type { Operation } from '../context.js';
import { conflict, datasetName, getProject, idempotent, KIND, projectModels, scope, withoutToken } from './common.js';

interface Input {
  ProjectName: string;
  ClientToken?: string;
}

/**
 * AWS: "To delete a project, you must first delete each version of the model associated
 * with the project … You also have to delete the dataset(s)". A project that still holds
 * either is refused with ConflictException.
 */
export const DeleteProject: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'DeleteProject', input.ClientToken, withoutToken(input), { type: 'PROJECT', id: input.ProjectName }, async () => {
    const p = await getProject(ctx, input.ProjectName);
    if ((await projectModels(ctx, p.name)).length) {
      throw conflict('PROJECT', p.name, `The project ${p.name} still has models. Delete every model version first.`);
    }
    for (const type of ['train', 'test']) {
      if (await ctx.store.get(scope(ctx), KIND.dataset, datasetName(p.name, type))) {
        throw conflict('PROJECT', p.name, `The project ${p.name} still has a ${type} dataset. Delete its datasets first.`);
      }
    }
    await ctx.store.delete(scope(ctx), KIND.project, p.name);
    return { ProjectArn: p.arn };
  });
