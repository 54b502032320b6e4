/**
 * UpdateModelPackage's rules, applied to a package record as one pure step so that the
 * store can run it inside its atomic read-modify-write: every rule is checked against the
 * row as it is at that moment and a refusal throws before anything is written, so a
 * refused call changes nothing (AWS: "Updates are atomic").
 */
import { createHash } from 'node:crypto';
import { validation } from '../../errors.js';
import type { AdditionalInferenceSpecification, InferenceSpecification, PackageDescription, PackageRecord } from './model-package.js';

export interface UpdateInput {
  ModelPackageArn: string;
  ModelApprovalStatus?: PackageDescription['ModelApprovalStatus'];
  ModelPackageRegistrationType?: string;
  ApprovalDescription?: string;
  CustomerMetadataProperties?: Record<string, string>;
  CustomerMetadataPropertiesToRemove?: string[];
  AdditionalInferenceSpecificationsToAdd?: AdditionalInferenceSpecification[];
  InferenceSpecification?: InferenceSpecification;
  SourceUri?: string;
  ModelCard?: PackageDescription['ModelCard'];
  ModelLifeCycle?: PackageDescription['ModelLifeCycle'];
  ClientToken?: string;
}

/** AWS's limits (API reference: CustomerMetadataProperties, AdditionalInferenceSpecifications). */
export const MAX_METADATA = 50;
export const MAX_ADDITIONAL_SPECS = 15;
/** How long an UpdateModelPackage ClientToken is remembered (AWS keeps idempotency tokens 8 hours). */
export const TOKEN_TTL_MS = 8 * 3600 * 1000;
const MAX_TOKENS = 100;

export interface UpdateResult {
  record: PackageRecord;
  /** The approval status moved: an event is due. */
  approvalChanged: boolean;
  /** A new inference specification: validation runs again. */
  revalidate: boolean;
}

/** A fingerprint of a request, independent of member order, for ClientToken comparisons. */
export function fingerprint(input: object): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
        : v;
  const { ClientToken: _t, ...rest } = input as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(canon(rest))).digest('hex');
}

/**
 * The package after the update, or `undefined` when the call repeats an earlier one with the
 * same ClientToken (its result is the package as it is: nothing is applied twice).
 */
export function applyUpdate(current: PackageRecord, input: UpdateInput, now: number): UpdateResult | undefined {
  const d = current.describe;
  const tokens = { ...(current.tokens ?? {}) };
  for (const [t, v] of Object.entries(tokens)) if (now - v.at > TOKEN_TTL_MS) delete tokens[t];
  const hash = fingerprint(input);
  if (input.ClientToken !== undefined && tokens[input.ClientToken]) {
    if (tokens[input.ClientToken].hash === hash) return undefined;
    throw validation(
      `ClientToken ${input.ClientToken} was already used with different parameters for ${d.ModelPackageArn}.`,
    );
  }

  const next: PackageDescription = { ...d };

  // CustomerMetadataProperties are merged into the existing map and the keys to remove are
  // removed; a key in both lists is ambiguous and refused, and the result must still hold at
  // most 50 entries (the shape validator has already checked each list's own 1–50 bound and
  // the key/value lengths).
  const add = input.CustomerMetadataProperties;
  const remove = input.CustomerMetadataPropertiesToRemove;
  if (add || remove) {
    const both = remove?.filter((k) => add && Object.hasOwn(add, k)) ?? [];
    if (both.length > 0) {
      throw validation(
        `CustomerMetadataProperties and CustomerMetadataPropertiesToRemove cannot contain the same key: ${both.join(', ')}.`,
      );
    }
    const merged = { ...(d.CustomerMetadataProperties ?? {}), ...(add ?? {}) };
    for (const k of remove ?? []) delete merged[k];
    const count = Object.keys(merged).length;
    if (count > MAX_METADATA) {
      throw validation(
        `The model package would have ${count} CustomerMetadataProperties; a model package can have at most ${MAX_METADATA}.`,
      );
    }
    if (count > 0) next.CustomerMetadataProperties = merged;
    else delete next.CustomerMetadataProperties;
  }

  // AdditionalInferenceSpecificationsToAdd are appended; names are unique within the package
  // and the package never holds more than 15: the whole call is refused otherwise.
  const specs = input.AdditionalInferenceSpecificationsToAdd;
  if (specs) {
    const existing = d.AdditionalInferenceSpecifications ?? [];
    const total = existing.length + specs.length;
    if (total > MAX_ADDITIONAL_SPECS) {
      throw validation(
        `A model package can have at most ${MAX_ADDITIONAL_SPECS} AdditionalInferenceSpecifications; this update would make ${total}.`,
      );
    }
    const names = new Set(existing.map((s) => s.Name.toLowerCase()));
    for (const s of specs) {
      if (names.has(s.Name.toLowerCase())) {
        throw validation(`An AdditionalInferenceSpecification named ${s.Name} already exists in ${d.ModelPackageArn}.`);
      }
      names.add(s.Name.toLowerCase());
      checkContainerNames(s.Containers, `AdditionalInferenceSpecification ${s.Name}`);
    }
    next.AdditionalInferenceSpecifications = [...existing, ...specs];
  }

  let revalidate = false;
  if (input.InferenceSpecification) {
    checkContainerNames(input.InferenceSpecification.Containers, 'InferenceSpecification');
    next.InferenceSpecification = input.InferenceSpecification;
  }
  // New containers are validated again (images resolve, model data exists), as at registration.
  if (input.InferenceSpecification || specs) {
    revalidate = true;
    next.ModelPackageStatus = 'Pending';
    next.ModelPackageStatusDetails = {
      ...d.ModelPackageStatusDetails,
      ValidationStatuses: [{ Name: d.ModelPackageName, Status: 'NotStarted' }],
    };
  }

  // ApprovalDescription and ModelApprovalStatus are kept when not passed.
  if (input.ModelApprovalStatus !== undefined) next.ModelApprovalStatus = input.ModelApprovalStatus;
  if (input.ApprovalDescription !== undefined) next.ApprovalDescription = input.ApprovalDescription;
  if (input.ModelLifeCycle !== undefined) next.ModelLifeCycle = input.ModelLifeCycle;
  if (input.SourceUri !== undefined) next.SourceUri = input.SourceUri;
  if (input.ModelCard !== undefined) next.ModelCard = input.ModelCard;
  if (input.ModelPackageRegistrationType !== undefined) next.ModelPackageRegistrationType = input.ModelPackageRegistrationType;

  next.LastModifiedTime = now / 1000;
  // AWS fills UserContext for SageMaker Studio users only; a plain IAM caller gets an empty one.
  next.LastModifiedBy = {};

  if (input.ClientToken !== undefined) {
    tokens[input.ClientToken] = { hash, at: now };
    const keys = Object.keys(tokens);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_TOKENS))) delete tokens[k];
  }
  return {
    record: { ...current, describe: next, ...(Object.keys(tokens).length ? { tokens } : { tokens: undefined }) },
    approvalChanged: input.ModelApprovalStatus !== undefined && input.ModelApprovalStatus !== d.ModelApprovalStatus,
    revalidate,
  };
}

/** Container host names identify containers within one specification: no two may share one. */
export function checkContainerNames(containers: Array<{ ContainerHostname?: string }>, where: string): void {
  const seen = new Set<string>();
  for (const c of containers) {
    if (c.ContainerHostname === undefined) continue;
    const k = c.ContainerHostname.toLowerCase();
    if (seen.has(k)) throw validation(`Duplicate ContainerHostname ${c.ContainerHostname} in ${where}.`);
    seen.add(k);
  }
}
