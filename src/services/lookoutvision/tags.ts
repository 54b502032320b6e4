import { AwsError } from '../../errors.js';
import type { OpContext } from '../context.js';
import { getModel, notFound } from './common.js';

/** Lookout for Vision tags models; AWS allows at most 200 tags on one. */
export const MAX_TAGS = 200;

/** The model a tagging ARN names (`arn:aws:lookoutvision:<region>:<account>:model/<project>/<version>`). */
export async function taggedModel(ctx: OpContext, arn: string) {
  const m = /^arn:aws[a-z-]*:lookoutvision:([a-z0-9-]+):(\d{12}):model\/([a-zA-Z0-9][a-zA-Z0-9_-]*)\/([1-9][0-9]*)$/.exec(arn);
  if (!m) throw new AwsError('ValidationException', `${arn} is not a Lookout for Vision model ARN.`, 400);
  if (m[1] !== ctx.region || m[2] !== ctx.account) throw notFound('MODEL', arn, `The model ${arn} does not exist.`);
  const row = await getModel(ctx, m[3], m[4]);
  if (row.arn !== arn) throw notFound('MODEL', arn, `The model ${arn} does not exist.`);
  return row;
}
