import type { Resource } from '../../store/store.js';
import type { Operation } from '../context.js';
import { conflict, controller, datasetName, getProject, idempotent, KIND, scope, seconds, withoutToken, type DatasetData } from './common.js';

interface Input {
  ProjectName: string;
  DatasetType: 'train' | 'test';
  DatasetSource?: { GroundTruthManifest?: { S3Object?: { Bucket: string; Key: string; VersionId?: string } } };
  ClientToken?: string;
}

/**
 * Creates the project's train or test dataset, empty or from a Ground Truth manifest in S3.
 * As in AWS the call answers CREATE_IN_PROGRESS; the controller then reads the manifest,
 * checks every line and that every image exists, and settles on CREATE_COMPLETE or
 * CREATE_FAILED with the reason in StatusMessage (DescribeDataset).
 */
export const CreateDataset: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'CreateDataset', input.ClientToken, withoutToken(input), { type: 'DATASET', id: input.DatasetType }, async () => {
    const p = await getProject(ctx, input.ProjectName);
    const now = ctx.clock.now();
    const s3 = input.DatasetSource?.GroundTruthManifest?.S3Object;
    const name = datasetName(p.name, input.DatasetType);
    const row: Resource<DatasetData> = {
      kind: KIND.dataset,
      name,
      arn: `${p.arn}/dataset/${input.DatasetType}`,
      createdAt: now,
      modifiedAt: now,
      parent: p.name,
      status: s3 ? 'CREATE_IN_PROGRESS' : 'CREATE_COMPLETE',
      data: {
        project: p.name,
        type: input.DatasetType,
        entries: [],
        statusMessage: s3 ? 'Creating the dataset from the manifest.' : 'Created an empty dataset.',
        pending: s3 ? { manifest: { bucket: s3.Bucket, key: s3.Key, versionId: s3.VersionId } } : undefined,
      },
    };
    if (!(await ctx.store.insert(scope(ctx), row))) {
      throw conflict('DATASET', input.DatasetType, `The project ${p.name} already has a ${input.DatasetType} dataset.`);
    }
    if (s3) controller(ctx).kickDataset(scope(ctx), name);
    return {
      DatasetMetadata: { DatasetType: input.DatasetType, CreationTimestamp: seconds(now), Status: row.status, StatusMessage: row.data.statusMessage },
    };
  });
