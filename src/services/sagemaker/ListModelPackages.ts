import type { Cursor } from '../../store/store.js';
import { groupKey, PACKAGE_KIND, type PackageRecord, type PackageRow } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';
import { listQuery, pageToken, type ListInput } from './common.js';

interface Input extends ListInput {
  ModelApprovalStatus?: string;
  ModelPackageGroupName?: string;
  ModelPackageType?: 'Versioned' | 'Unversioned' | 'Both';
}

/**
 * ListModelPackagesOutput: ModelPackageSummaryList and NextToken. As AWS does:
 * - without ModelPackageGroupName, ModelPackageType defaults to Unversioned (versions are
 *   listed only when asked for, with Versioned or Both);
 * - with ModelPackageGroupName, the group's versions are listed;
 * - a versioned package's summary carries its group and version but no ModelPackageName
 *   (AWS leaves it out of the list; DescribeModelPackage has it).
 * Filters the store cannot apply (type, approval) are applied while paging; the NextToken
 * is the keyset position of the last row returned, so pages neither skip nor repeat.
 */
export async function ListModelPackages(ctx: OpContext, input: Input) {
  const q = listQuery(input);
  const group = input.ModelPackageGroupName === undefined ? undefined : groupKey(ctx, input.ModelPackageGroupName);
  if (input.ModelPackageGroupName !== undefined && group === undefined) return { ModelPackageSummaryList: [] };
  const type = input.ModelPackageType ?? (group !== undefined ? 'Versioned' : 'Unversioned');
  const keep = (r: PackageRow) => {
    const versioned = r.parent !== undefined;
    if (type === 'Versioned' && !versioned) return false;
    if (type === 'Unversioned' && versioned) return false;
    return input.ModelApprovalStatus === undefined || r.data.describe.ModelApprovalStatus === input.ModelApprovalStatus;
  };
  const items: PackageRow[] = [];
  let after: Cursor | undefined = q.after;
  let more = false;
  for (;;) {
    const page = await ctx.store.list<PackageRecord>(ctx, PACKAGE_KIND, {
      ...q,
      after,
      parent: group?.toLowerCase(),
      limit: Math.max(q.limit, 50),
    });
    for (const r of page.items) {
      if (!keep(r)) continue;
      if (items.length === q.limit) {
        more = true;
        break;
      }
      items.push(r);
    }
    if (more || !page.next) break;
    after = page.next;
  }
  const last = items[items.length - 1];
  const next: Cursor | undefined =
    more && last
      ? { v: q.sortBy === 'name' ? last.name.toLowerCase() : q.sortBy === 'modified' ? last.modifiedAt : last.createdAt, n: last.name.toLowerCase() }
      : undefined;
  return {
    ModelPackageSummaryList: items.map(({ data: { describe: d } }) => ({
      ...(d.ModelPackageVersion === undefined ? { ModelPackageName: d.ModelPackageName } : {}),
      ...(d.ModelPackageGroupName !== undefined ? { ModelPackageGroupName: d.ModelPackageGroupName } : {}),
      ...(d.ModelPackageVersion !== undefined ? { ModelPackageVersion: d.ModelPackageVersion } : {}),
      ModelPackageArn: d.ModelPackageArn,
      ...(d.ModelPackageDescription !== undefined ? { ModelPackageDescription: d.ModelPackageDescription } : {}),
      CreationTime: d.CreationTime,
      ModelPackageStatus: d.ModelPackageStatus,
      ...(d.ModelApprovalStatus !== undefined ? { ModelApprovalStatus: d.ModelApprovalStatus } : {}),
      ...(d.ModelLifeCycle !== undefined ? { ModelLifeCycle: d.ModelLifeCycle } : {}),
      ...(d.ModelPackageRegistrationType !== undefined ? { ModelPackageRegistrationType: d.ModelPackageRegistrationType } : {}),
    })),
    ...pageToken(q, next),
  };
}
