import type { Operation } from '../context.js';
import { ManifestError, parseManifestLine } from '../../domain/lookoutvision/manifest.js';
import { conflict, controller, getDataset, idempotent, KIND, scope, validation, withoutToken, type DatasetData } from './common.js';

interface Input {
  ProjectName: string;
  DatasetType: string;
  /** The blob member arrives base64-encoded in the JSON body. */
  Changes: string;
  ClientToken?: string;
}

/**
 * Adds or updates entries from JSON lines (an image already in the dataset is replaced by the
 * new line). Lines are checked now (ValidationException); the controller then checks that the
 * images exist and settles on UPDATE_COMPLETE, or UPDATE_FAILED_ROLLBACK_COMPLETE with the
 * dataset unchanged.
 */
export const UpdateDatasetEntries: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'UpdateDatasetEntries', input.ClientToken, withoutToken(input), { type: 'DATASET', id: input.DatasetType }, async () => {
    const ds = await getDataset(ctx, input.ProjectName, input.DatasetType);
    const text = Buffer.from(input.Changes, 'base64').toString('utf8');
    const lines = text.split(/\r?\n/).filter((l) => l.trim());
    if (!lines.length) throw validation('Changes contains no JSON lines.');
    lines.forEach((l, i) => {
      try {
        parseManifestLine(l, i + 1, 0);
      } catch (e) {
        if (e instanceof ManifestError) throw validation(e.message.replace('Manifest line', 'Changes line'));
        throw e;
      }
    });
    const settled = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_FAILED_ROLLBACK_COMPLETE'];
    const row = await ctx.store.update<DatasetData>(scope(ctx), KIND.dataset, ds.name, (r) => {
      if (!settled.includes(r.status ?? '')) {
        throw conflict('DATASET', input.DatasetType, `The ${input.DatasetType} dataset is ${r.status}; it can be updated once it is complete.`);
      }
      return { ...r, status: 'UPDATE_IN_PROGRESS', modifiedAt: ctx.clock.now(), data: { ...r.data, pending: { changes: lines }, statusMessage: 'Updating the dataset.' } };
    });
    controller(ctx).kickDataset(scope(ctx), ds.name);
    return { Status: row!.status };
  });
