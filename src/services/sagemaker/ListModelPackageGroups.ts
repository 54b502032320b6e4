import { GROUP_KIND, type GroupRecord } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';
import { listQuery, pageToken, type ListInput } from './common.js';

/**
 * ListModelPackageGroupsOutput: ModelPackageGroupSummaryList (name, ARN, description,
 * creation time, status) and NextToken; CreationTime descending by default, as AWS sorts.
 * CrossAccountFilterOption concerns groups shared through RAM, which Slipway does not
 * have: every group listed is the caller's own.
 */
export async function ListModelPackageGroups(ctx: OpContext, input: ListInput & { CrossAccountFilterOption?: string }) {
  const q = listQuery(input);
  const page = await ctx.store.list<GroupRecord>(ctx, GROUP_KIND, q);
  return {
    ModelPackageGroupSummaryList: page.items.map(({ data: { describe: d } }) => ({
      ModelPackageGroupName: d.ModelPackageGroupName,
      ModelPackageGroupArn: d.ModelPackageGroupArn,
      ...(d.ModelPackageGroupDescription !== undefined ? { ModelPackageGroupDescription: d.ModelPackageGroupDescription } : {}),
      CreationTime: d.CreationTime,
      ModelPackageGroupStatus: d.ModelPackageGroupStatus,
      ...(d.ManagedConfiguration !== undefined ? { ManagedConfiguration: d.ManagedConfiguration } : {}),
    })),
    ...pageToken(q, page.next),
  };
}
