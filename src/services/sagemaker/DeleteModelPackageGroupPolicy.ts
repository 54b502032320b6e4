import { GROUP_KIND, groupKey, groupNotFound, type GroupRecord } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

export async function DeleteModelPackageGroupPolicy(ctx: OpContext, input: { ModelPackageGroupName: string }) {
  const key = groupKey(ctx, input.ModelPackageGroupName);
  const row =
    key === undefined
      ? undefined
      : await ctx.store.update<GroupRecord>(ctx, GROUP_KIND, key, (r) => {
          if (r.data.policy === undefined) return undefined;
          const { policy: _removed, ...data } = r.data;
          return { ...r, data };
        });
  if (!row) throw groupNotFound(ctx, input.ModelPackageGroupName);
  return {};
}
