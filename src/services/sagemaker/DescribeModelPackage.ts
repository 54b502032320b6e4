import { getPackage, packageNotFound } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

/** By name (unversioned), `group/version`, or either ARN. */
export async function DescribeModelPackage(ctx: OpContext, input: { ModelPackageName: string }) {
  const row = await getPackage(ctx.store, ctx, input.ModelPackageName);
  if (!row) throw packageNotFound(ctx, input.ModelPackageName);
  return row.data.describe;
}
