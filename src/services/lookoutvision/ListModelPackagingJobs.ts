import type { Operation } from '../context.js';
import { getProject } from './common.js';

/** A project's packaging jobs: always none here (see StartModelPackagingJob). */
export const ListModelPackagingJobs: Operation<{ ProjectName: string }> = async (ctx, input) => {
  await getProject(ctx, input.ProjectName);
  return { ModelPackagingJobs: [] };
};
