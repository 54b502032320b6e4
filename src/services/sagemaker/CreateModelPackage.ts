import { validation } from '../../errors.js';
import type { Tag } from '../../store/store.js';
import { modelPackageStateChange, recordEvent } from '../../domain/registry/events.js';
import {
  getGroup,
  groupNotFound,
  PACKAGE_KIND,
  packageArn,
  versionName,
  type AdditionalInferenceSpecification,
  type InferenceSpecification,
  type PackageDescription,
  type PackageRecord,
} from '../../domain/registry/model-package.js';
import { checkContainerNames, fingerprint, MAX_ADDITIONAL_SPECS, TOKEN_TTL_MS } from '../../domain/registry/update.js';
import type { OpContext } from '../context.js';
import { checkTags, modelled, pick } from './common.js';

interface Input {
  ModelPackageName?: string;
  ModelPackageGroupName?: string;
  ModelApprovalStatus?: PackageDescription['ModelApprovalStatus'];
  InferenceSpecification?: InferenceSpecification;
  AdditionalInferenceSpecifications?: AdditionalInferenceSpecification[];
  CertifyForMarketplace?: boolean;
  ClientToken?: string;
  Tags?: Tag[];
  [member: string]: unknown;
}

/** CreateModelPackageInput members that DescribeModelPackage echoes as they were sent. */
const STORED = [
  'ModelPackageDescription',
  'ModelPackageRegistrationType',
  'InferenceSpecification',
  'ValidationSpecification',
  'SourceAlgorithmSpecification',
  'MetadataProperties',
  'ModelMetrics',
  'Domain',
  'Task',
  'SamplePayloadUrl',
  'CustomerMetadataProperties',
  'DriftCheckBaselines',
  'AdditionalInferenceSpecifications',
  'SkipModelValidation',
  'SourceUri',
  'SecurityConfig',
  'ModelCard',
  'ModelLifeCycle',
  'ManagedStorageType',
] as const;

const TOKEN_KIND = 'model-package-client-token';

/**
 * Registers a model package: a new version in a model package group (versions 1, 2, 3…
 * from an atomic per-group counter, so concurrent registrations never share or skip a
 * number) or an unversioned package by name; exactly one of the two. The call returns at
 * once with the package Pending; the registry controller validates it (Pending →
 * InProgress → Completed | Failed) as AWS does after CreateModelPackage returns.
 */
export async function CreateModelPackage(ctx: OpContext, raw: Input) {
  const input = modelled('CreateModelPackageInput', raw);
  const versioned = input.ModelPackageGroupName !== undefined;
  // Both messages are AWS's (as reported against the live API).
  if (versioned && input.ModelPackageName !== undefined) {
    throw validation('Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.');
  }
  if (!versioned && input.ModelPackageName === undefined) throw validation('Missing ARN.');
  checkTags(input.Tags);
  if (versioned && input.Tags !== undefined) {
    // AWS: a versioned package "uses the tags associated with the model group. In this case,
    // you cannot supply a tag argument." (CreateModelPackage, Tags).
    throw validation('Tags cannot be specified for a versioned model package; it uses the tags of its model package group.');
  }
  const containers = [
    ...(input.InferenceSpecification?.Containers ?? []),
    ...(input.AdditionalInferenceSpecifications ?? []).flatMap((s) => s.Containers),
  ];
  if (!versioned && containers.some((c) => c.Environment !== undefined)) {
    // AWS's refusal, word for word.
    throw validation('1 validation errors detected:Environment variable map cannot be specified when using non-versioned ModelPackages');
  }
  if (input.InferenceSpecification) checkContainerNames(input.InferenceSpecification.Containers, 'InferenceSpecification');
  const names = new Set<string>();
  for (const s of input.AdditionalInferenceSpecifications ?? []) {
    if (names.has(s.Name.toLowerCase())) throw validation(`Duplicate AdditionalInferenceSpecification name ${s.Name}.`);
    names.add(s.Name.toLowerCase());
    checkContainerNames(s.Containers, `AdditionalInferenceSpecification ${s.Name}`);
  }
  if (names.size > MAX_ADDITIONAL_SPECS) throw validation(`A model package can have at most ${MAX_ADDITIONAL_SPECS} AdditionalInferenceSpecifications.`);

  if (input.ClientToken === undefined) return { ModelPackageArn: await create(ctx, input) };
  return { ModelPackageArn: await idempotent(ctx, input.ClientToken, fingerprint(input), () => create(ctx, input)) };
}

async function create(ctx: OpContext, input: Input): Promise<string> {
  const now = ctx.clock.now();
  const base = {
    ...pick(input, STORED),
    CreationTime: now / 1000,
    ModelPackageStatus: 'Pending' as const,
    ModelPackageStatusDetails: { ValidationStatuses: [] },
    // DescribeModelPackage reports CertifyForMarketplace even when the create left it out.
    CertifyForMarketplace: input.CertifyForMarketplace ?? false,
    CreatedBy: {},
  };
  let describe: PackageDescription;
  let name: string;
  let parent: string | undefined;
  let groupId: string | undefined;
  if (input.ModelPackageGroupName !== undefined) {
    const group = await getGroup(ctx.store, ctx, input.ModelPackageGroupName);
    if (!group) throw groupNotFound(ctx, input.ModelPackageGroupName);
    // Everything is checked above: from here on the version number is used, leaving no gap.
    const version = await ctx.store.nextSequence(ctx, `model-package-group/${group.data.id}`);
    name = versionName(group.name, version);
    groupId = group.data.id;
    parent = group.name.toLowerCase();
    describe = {
      // AWS names a version after its group.
      ModelPackageName: group.name,
      ModelPackageGroupName: group.name,
      ModelPackageVersion: version,
      ModelPackageArn: packageArn(ctx, name),
      ...base,
      // Versions need a reviewer's approval unless the registration says otherwise.
      ModelApprovalStatus: input.ModelApprovalStatus ?? 'PendingManualApproval',
    };
  } else {
    name = input.ModelPackageName!;
    // ModelApprovalStatus "does not apply to unversioned models" (AWS API reference).
    describe = { ModelPackageName: name, ModelPackageArn: packageArn(ctx, name), ...base };
  }
  const created = await ctx.store.insert<PackageRecord>(
    ctx,
    { kind: PACKAGE_KIND, name, arn: describe.ModelPackageArn, createdAt: now, modifiedAt: now, status: 'Pending', parent, data: { describe } },
    input.Tags,
  );
  if (!created) throw validation(`Model Package already exists: ${describe.ModelPackageArn}`);
  if (parent !== undefined) {
    // The group may have been deleted between the look-up and the insert (it had no version
    // yet): then the version must not outlive it.
    const group = await getGroup(ctx.store, ctx, parent);
    if (!group || group.data.id !== groupId) {
      await ctx.store.delete(ctx, PACKAGE_KIND, name);
      throw groupNotFound(ctx, input.ModelPackageGroupName!);
    }
    await recordEvent(ctx.store, modelPackageStateChange(describe, ctx, ctx.ids.uuid(), now), now);
  }
  ctx.controllers.registry?.kick(ctx, name);
  return describe.ModelPackageArn;
}

/**
 * ClientToken: the same token with the same parameters answers the first call's ARN and
 * registers nothing new (within 8 hours); the same token with other parameters is refused.
 * The token row is inserted before the work, so two concurrent calls with one token cannot
 * both register.
 */
async function idempotent(ctx: OpContext, token: string, hash: string, work: () => Promise<string>): Promise<string> {
  const now = ctx.clock.now();
  const row = { kind: TOKEN_KIND, name: token, arn: `client-token/${token}`, createdAt: now, modifiedAt: now, data: { hash } as { hash: string; arn?: string } };
  for (let attempt = 0; ; attempt++) {
    // Bounded: a first call still registering after ~5 s is reported rather than waited for.
    if (attempt > 100) throw validation(`A CreateModelPackage call with ClientToken ${token} is still in progress.`);
    if (await ctx.store.insert(ctx, row)) break;
    const seen = await ctx.store.get<{ hash: string; arn?: string }>(ctx, TOKEN_KIND, token);
    if (!seen) continue;
    if (now - seen.createdAt > TOKEN_TTL_MS) {
      await ctx.store.delete(ctx, TOKEN_KIND, token);
      continue;
    }
    if (seen.data.hash !== hash) throw validation(`ClientToken ${token} was already used with different parameters.`);
    if (seen.data.arn) return seen.data.arn;
    // The first call with this token is still registering: wait for its answer.
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    const arn = await work();
    await ctx.store.update<{ hash: string; arn?: string }>(ctx, TOKEN_KIND, token, (r) => ({ ...r, data: { ...r.data, arn } }));
    return arn;
  } catch (err) {
    await ctx.store.delete(ctx, TOKEN_KIND, token);
    throw err;
  }
}
