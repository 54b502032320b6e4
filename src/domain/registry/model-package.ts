/**
 * The model registry's records: model package groups and model packages (versioned in a
 * group, or unversioned by name). Plain TypeScript over the Store; no HTTP here.
 *
 * Store layout:
 * - kind `model-package-group`, name = the group name.
 * - kind `model-package`, name = `<group>/<version>` for a versioned package (the part of its
 *   ARN after `model-package/`, so AddTags/ListTags reach it through the ARN) or the package
 *   name for an unversioned one; `parent` = the group name (lower case) for versions only.
 */
import { validation, type AwsError } from '../../errors.js';
import type { Resource, Scope, Store } from '../../store/store.js';

export const GROUP_KIND = 'model-package-group';
export const PACKAGE_KIND = 'model-package';

/** Exactly the members of DescribeModelPackageGroupOutput (plus internal members below). */
export interface GroupDescription {
  ModelPackageGroupName: string;
  ModelPackageGroupArn: string;
  ModelPackageGroupDescription?: string;
  CreationTime: number;
  CreatedBy: Record<string, unknown>;
  ModelPackageGroupStatus: string;
  ManagedConfiguration?: unknown;
}

export interface GroupRecord {
  describe: GroupDescription;
  /** Distinguishes this group from an earlier one of the same name: version counters restart. */
  id: string;
  /** PutModelPackageGroupPolicy's document, as the caller sent it. */
  policy?: string;
}

export interface ContainerDefinition {
  ContainerHostname?: string;
  Image?: string;
  ModelDataUrl?: string;
  Environment?: Record<string, string>;
  [member: string]: unknown;
}

export interface InferenceSpecification {
  Containers: ContainerDefinition[];
  [member: string]: unknown;
}

export interface AdditionalInferenceSpecification extends InferenceSpecification {
  Name: string;
}

export interface StatusItem {
  Name: string;
  Status: 'NotStarted' | 'InProgress' | 'Completed' | 'Failed';
  FailureReason?: string;
}

/** The members of DescribeModelPackageOutput Slipway keeps. */
export interface PackageDescription {
  ModelPackageName: string;
  ModelPackageGroupName?: string;
  ModelPackageVersion?: number;
  ModelPackageArn: string;
  ModelPackageDescription?: string;
  CreationTime: number;
  InferenceSpecification?: InferenceSpecification;
  ModelPackageStatus: 'Pending' | 'InProgress' | 'Completed' | 'Failed' | 'Deleting';
  ModelPackageStatusDetails: { ValidationStatuses: StatusItem[]; ImageScanStatuses?: StatusItem[] };
  CertifyForMarketplace?: boolean;
  ModelApprovalStatus?: 'Approved' | 'Rejected' | 'PendingManualApproval';
  CreatedBy?: Record<string, unknown>;
  LastModifiedTime?: number;
  LastModifiedBy?: Record<string, unknown>;
  ApprovalDescription?: string;
  CustomerMetadataProperties?: Record<string, string>;
  AdditionalInferenceSpecifications?: AdditionalInferenceSpecification[];
  ModelLifeCycle?: { Stage: string; StageStatus: string; StageDescription?: string };
  ModelCard?: { ModelCardContent?: string; ModelCardStatus?: string };
  SourceUri?: string;
  [member: string]: unknown;
}

export interface PackageRecord {
  describe: PackageDescription;
  /** UpdateModelPackage ClientTokens already applied: token → request fingerprint and time. */
  tokens?: Record<string, { hash: string; at: number }>;
}

export type PackageRow = Resource<PackageRecord>;
export type GroupRow = Resource<GroupRecord>;

/** The store name of a versioned package. */
export const versionName = (group: string, version: number) => `${group}/${version}`;

export function isVersioned(row: PackageRow): boolean {
  return row.data.describe.ModelPackageVersion !== undefined;
}

/**
 * Which store name a `VersionedArnOrName` designates: a name, `group/version`, or an ARN of
 * either (`arn:aws:sagemaker:<region>:<account>:model-package/<name>[/<version>]`). An ARN of
 * another account, region or resource type designates nothing Slipway holds.
 */
export function packageKey(scope: Scope, nameOrArn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):([a-z-]*)\/(.+)$/.exec(nameOrArn);
  if (!m) return nameOrArn;
  if (m[1] !== scope.region || m[2] !== scope.account || m[3] !== PACKAGE_KIND) return undefined;
  return m[4];
}

/** The group name an `ArnOrName` designates (a name or a model-package-group ARN). */
export function groupKey(scope: Scope, nameOrArn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):([a-z-]*)\/(.+)$/.exec(nameOrArn);
  if (!m) return nameOrArn;
  if (m[1] !== scope.region || m[2] !== scope.account || m[3] !== GROUP_KIND) return undefined;
  return m[4];
}

export async function getPackage(store: Store, scope: Scope, nameOrArn: string): Promise<PackageRow | undefined> {
  const key = packageKey(scope, nameOrArn);
  return key === undefined ? undefined : store.get<PackageRecord>(scope, PACKAGE_KIND, key);
}

export async function getGroup(store: Store, scope: Scope, nameOrArn: string): Promise<GroupRow | undefined> {
  const key = groupKey(scope, nameOrArn);
  return key === undefined ? undefined : store.get<GroupRecord>(scope, GROUP_KIND, key);
}

/** Every container a package references: the inference specification's and the additional ones'. */
export function allContainers(d: PackageDescription): ContainerDefinition[] {
  return [
    ...(d.InferenceSpecification?.Containers ?? []),
    ...(d.AdditionalInferenceSpecifications ?? []).flatMap((s) => s.Containers),
  ];
}

/** `s3://bucket/key` → its parts; undefined for anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

/** A package ARN for a store name (`group/version` or a name); SageMaker lower-cases names in ARNs. */
export function packageArn(scope: Scope, key: string): string {
  return `arn:aws:sagemaker:${scope.region}:${scope.account}:${PACKAGE_KIND}/${key.toLowerCase()}`;
}

export function groupArn(scope: Scope, name: string): string {
  return `arn:aws:sagemaker:${scope.region}:${scope.account}:${GROUP_KIND}/${name.toLowerCase()}`;
}

/**
 * SageMaker answers a missing package or group with a ValidationException naming its ARN:
 * "ModelPackageGroup arn:aws:sagemaker:…:model-package-group/<name> does not exist." (the
 * group wording is AWS's; the package wording follows it).
 */
export function packageNotFound(scope: Scope, nameOrArn: string): AwsError {
  const key = packageKey(scope, nameOrArn);
  return validation(`ModelPackage ${key === undefined ? nameOrArn : packageArn(scope, key)} does not exist.`);
}

export function groupNotFound(scope: Scope, nameOrArn: string): AwsError {
  const key = groupKey(scope, nameOrArn);
  return validation(`ModelPackageGroup ${key === undefined ? nameOrArn : groupArn(scope, key)} does not exist.`);
}
