import type { Operation } from '../context.js';
import { decodeNext, encodeNext, getProject, modelMetadata, projectModels } from './common.js';

interface Input {
  ProjectName: string;
  NextToken?: string;
  MaxResults?: number;
}

/** The project's model versions, oldest first. */
export const ListModels: Operation<Input> = async (ctx, input) => {
  const p = await getProject(ctx, input.ProjectName);
  const after = decodeNext('models', input.NextToken);
  const all = (await projectModels(ctx, p.name)).reverse().filter((m) => after === undefined || m.data.version > Number(after));
  const limit = input.MaxResults ?? 100;
  const page = all.slice(0, limit);
  return {
    Models: page.map(modelMetadata),
    NextToken: all.length > limit ? encodeNext('models', String(page[page.length - 1].data.version)) : undefined,
  };
};
