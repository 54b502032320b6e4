import type { Operation } from '../context.js';
import { datasetName, getProject, KIND, scope, seconds, type DatasetData } from './common.js';

export const DescribeProject: Operation<{ ProjectName: string }> = async (ctx, input) => {
  const p = await getProject(ctx, input.ProjectName);
  const Datasets = [];
  for (const type of ['train', 'test']) {
    const ds = await ctx.store.get<DatasetData>(scope(ctx), KIND.dataset, datasetName(p.name, type));
    if (ds) Datasets.push({ DatasetType: type, CreationTimestamp: seconds(ds.createdAt), Status: ds.status, StatusMessage: ds.data.statusMessage });
  }
  return { ProjectDescription: { ProjectArn: p.arn, ProjectName: p.name, CreationTimestamp: seconds(p.createdAt), Datasets } };
};
