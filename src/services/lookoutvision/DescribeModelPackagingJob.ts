import type { Operation } from '../context.js';
import { getProject, notFound } from './common.js';

/** No packaging job can exist here (see StartModelPackagingJob), so every name is not found. */
export const DescribeModelPackagingJob: Operation<{ ProjectName: string; JobName: string }> = async (ctx, input) => {
  await getProject(ctx, input.ProjectName);
  throw notFound('MODEL_PACKAGE_JOB', input.JobName, `The model packaging job ${input.JobName} does not exist. Slipway does not run model packaging jobs (no AWS IoT Greengrass).`);
};
