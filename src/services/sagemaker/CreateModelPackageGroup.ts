import { validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import { GROUP_KIND, groupArn, type GroupRecord } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';
import { checkTags, modelled } from './common.js';

interface Input {
  ModelPackageGroupName: string;
  ModelPackageGroupDescription?: string;
  Tags?: Tag[];
  ManagedConfiguration?: unknown;
}

export async function CreateModelPackageGroup(ctx: OpContext, raw: Input) {
  const input = modelled('CreateModelPackageGroupInput', raw);
  checkTags(input.Tags);
  const now = ctx.clock.now();
  const ModelPackageGroupArn = groupArn(ctx, input.ModelPackageGroupName);
  const data: GroupRecord = {
    id: ctx.ids.uuid(),
    describe: {
      ModelPackageGroupName: input.ModelPackageGroupName,
      ModelPackageGroupArn,
      ...(input.ModelPackageGroupDescription !== undefined
        ? { ModelPackageGroupDescription: input.ModelPackageGroupDescription }
        : {}),
      CreationTime: now / 1000,
      // AWS fills UserContext for SageMaker Studio users only; a plain IAM caller gets an empty one.
      CreatedBy: {},
      // Creating a group has nothing to wait for: AWS reports it Completed at once.
      ModelPackageGroupStatus: 'Completed',
      ...(input.ManagedConfiguration !== undefined ? { ManagedConfiguration: input.ManagedConfiguration } : {}),
    },
  };
  const created = await ctx.store.insert(
    ctx,
    { kind: GROUP_KIND, name: input.ModelPackageGroupName, arn: ModelPackageGroupArn, createdAt: now, modifiedAt: now, status: 'Completed', data },
    input.Tags,
  );
  // AWS's wording for a duplicate group: "Model Package Group already exists: <arn>".
  if (!created) throw validation(`Model Package Group already exists: ${ModelPackageGroupArn}`);
  return { ModelPackageGroupArn };
}
