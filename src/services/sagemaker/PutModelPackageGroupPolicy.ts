import { validation } from '../../errors.js';
import { GROUP_KIND, groupKey, groupNotFound, type GroupRecord } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

/**
 * Stores a resource policy on a group (how AWS shares a group across accounts). The
 * document must be a JSON object, as an IAM policy is; Slipway keeps and returns it but does
 * not evaluate it (every caller is the account owner).
 */
export async function PutModelPackageGroupPolicy(ctx: OpContext, input: { ModelPackageGroupName: string; ResourcePolicy: string }) {
  let doc: unknown;
  try {
    doc = JSON.parse(input.ResourcePolicy);
  } catch {
    doc = undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw validation('The ResourcePolicy is not a valid JSON policy document.');
  }
  const key = groupKey(ctx, input.ModelPackageGroupName);
  const row =
    key === undefined
      ? undefined
      : await ctx.store.update<GroupRecord>(ctx, GROUP_KIND, key, (r) => ({ ...r, data: { ...r.data, policy: input.ResourcePolicy } }));
  if (!row) throw groupNotFound(ctx, input.ModelPackageGroupName);
  return { ModelPackageGroupArn: row.data.describe.ModelPackageGroupArn };
}
