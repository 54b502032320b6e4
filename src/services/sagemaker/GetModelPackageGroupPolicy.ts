import { validation } from '../../errors.js';
import { getGroup, groupNotFound } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

export async function GetModelPackageGroupPolicy(ctx: OpContext, input: { ModelPackageGroupName: string }) {
  const row = await getGroup(ctx.store, ctx, input.ModelPackageGroupName);
  if (!row) throw groupNotFound(ctx, input.ModelPackageGroupName);
  // ResourcePolicy is a required output member: a group without one is answered with an error.
  if (row.data.policy === undefined) {
    throw validation(`Cannot find resource policy for ${row.data.describe.ModelPackageGroupArn}.`);
  }
  return { ResourcePolicy: row.data.policy };
}
