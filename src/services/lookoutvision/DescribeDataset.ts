import type { Operation } from '../context.js';
import { getDataset, seconds } from './common.js';

export const DescribeDataset: Operation<{ ProjectName: string; DatasetType: string }> = async (ctx, input) => {
  const ds = await getDataset(ctx, input.ProjectName, input.DatasetType);
  const e = ds.data.entries;
  return {
    DatasetDescription: {
      ProjectName: ds.data.project,
      DatasetType: ds.data.type,
      CreationTimestamp: seconds(ds.createdAt),
      LastUpdatedTimestamp: seconds(ds.modifiedAt),
      Status: ds.status,
      StatusMessage: ds.data.statusMessage,
      ImageStats: {
        Total: e.length,
        Labeled: e.filter((x) => x.cls).length,
        Normal: e.filter((x) => x.cls === 'normal').length,
        Anomaly: e.filter((x) => x.cls === 'anomaly').length,
      },
    },
  };
};
