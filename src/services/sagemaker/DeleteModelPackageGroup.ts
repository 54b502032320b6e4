import { conflict } from '../../errors.js';
import { getGroup, groupNotFound, PACKAGE_KIND } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

/**
 * A group that still holds versions cannot be deleted: AWS refuses until every version has
 * been deleted (DeleteModelPackageGroup's modelled error is ConflictException; the wording
 * is Slipway's, AWS's could not be confirmed).
 */
export async function DeleteModelPackageGroup(ctx: OpContext, input: { ModelPackageGroupName: string }) {
  const row = await getGroup(ctx.store, ctx, input.ModelPackageGroupName);
  if (!row) throw groupNotFound(ctx, input.ModelPackageGroupName);
  const versions = await ctx.store.list(ctx, PACKAGE_KIND, {
    parent: row.name.toLowerCase(),
    sortBy: 'created',
    descending: false,
    limit: 1,
  });
  if (versions.items.length > 0) {
    throw conflict(
      `Model Package Group ${row.data.describe.ModelPackageGroupArn} cannot be deleted because it contains model packages. Delete its model package versions first.`,
    );
  }
  await ctx.store.delete(ctx, row.kind, row.name);
  return {};
}
