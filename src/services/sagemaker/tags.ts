import { validation } from '../../errors.js';
import type { Resource } from '../../store/store.js';
import type { OpContext } from '../context.js';
import { parseArn } from './common.js';

/**
 * The resource an AddTags/ListTags/DeleteTags ARN names. Tags are stored under the
 * resource's own (lower-cased) ARN, so an ARN that spells the name in another case still
 * reaches the same tags. A malformed, foreign or unknown ARN answers as a missing resource:
 * the shape validator has already checked the ARN pattern. (SageMaker answers these with a
 * ValidationException; the exact wording is Slipway's, AWS's could not be confirmed.)
 */
export async function taggedResource(ctx: OpContext, resourceArn: string): Promise<Resource> {
  const target = parseArn(ctx, resourceArn);
  const row = target && (await ctx.store.get(ctx, target.kind, target.name));
  if (!row) throw validation(`Resource ${resourceArn} does not exist.`);
  return row;
}
