import { getPackage, packageNotFound } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

/** Deletes a package (a version by ARN or `group/version`, an unversioned one by name) and its tags. */
export async function DeleteModelPackage(ctx: OpContext, input: { ModelPackageName: string }) {
  const row = await getPackage(ctx.store, ctx, input.ModelPackageName);
  if (!row || !(await ctx.store.delete(ctx, row.kind, row.name))) throw packageNotFound(ctx, input.ModelPackageName);
  return {};
}
