import type { Operation } from '../context.js';
import { conflict, datasetName, getDataset, idempotent, KIND, scope, withoutToken } from './common.js';

interface Input {
  ProjectName: string;
  DatasetType: string;
  ClientToken?: string;
}

/** Deletes a dataset (the images stay in S3, as in AWS); refused while it is being created or updated. */
export const DeleteDataset: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'DeleteDataset', input.ClientToken, withoutToken(input), { type: 'DATASET', id: input.DatasetType }, async () => {
    const ds = await getDataset(ctx, input.ProjectName, input.DatasetType);
    if (ds.status === 'CREATE_IN_PROGRESS' || ds.status === 'UPDATE_IN_PROGRESS') {
      throw conflict('DATASET', input.DatasetType, `The ${input.DatasetType} dataset is ${ds.status}; wait until it finishes before deleting it.`);
    }
    await ctx.store.delete(scope(ctx), KIND.dataset, datasetName(ds.data.project, input.DatasetType));
    return {};
  });
