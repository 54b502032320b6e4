import { getGroup, groupNotFound } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

export async function DescribeModelPackageGroup(ctx: OpContext, input: { ModelPackageGroupName: string }) {
  const row = await getGroup(ctx.store, ctx, input.ModelPackageGroupName);
  if (!row) throw groupNotFound(ctx, input.ModelPackageGroupName);
  return row.data.describe;
}
