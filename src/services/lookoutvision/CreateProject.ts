import type { Operation } from '../context.js';
import { conflict, idempotent, KIND, projectArn, scope, seconds, withoutToken } from './common.js';

interface Input {
  ProjectName: string;
  ClientToken?: string;
}

/** Creates an empty project; a second project of the same name is a ConflictException. */
export const CreateProject: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'CreateProject', input.ClientToken, withoutToken(input), { type: 'PROJECT', id: input.ProjectName }, async () => {
    const now = ctx.clock.now();
    const arn = projectArn(ctx, input.ProjectName);
    const ok = await ctx.store.insert(scope(ctx), { kind: KIND.project, name: input.ProjectName, arn, createdAt: now, modifiedAt: now, data: {} });
    if (!ok) throw conflict('PROJECT', input.ProjectName, `A project named ${input.ProjectName} already exists.`);
    return { ProjectMetadata: { ProjectArn: arn, ProjectName: input.ProjectName, CreationTimestamp: seconds(now) } };
  });
