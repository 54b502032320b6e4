/**
 * Deploying from the registry: CreateModel may name a model package instead of an image
 * (`PrimaryContainer.ModelPackageName` or `Containers[].ModelPackageName`). The model then
 * runs the package's container: its image, model data and environment.
 */
import { validation } from '../../errors.js';
import type { Scope, Store } from '../../store/store.js';
import { getPackage, packageNotFound, type ContainerDefinition } from './model-package.js';

/**
 * The container a CreateModel container definition that names a model package stands for.
 * A versioned package must be Approved (AWS refuses to create a model from a version that is
 * PendingManualApproval or Rejected) and must have passed validation (Completed).
 */
export async function resolvePackageContainer<C extends { ModelPackageName?: string; Environment?: Record<string, string> }>(
  store: Store,
  scope: Scope,
  container: C,
): Promise<C> {
  const ref = container.ModelPackageName;
  if (ref === undefined) return container;
  const row = await getPackage(store, scope, ref);
  if (!row) throw packageNotFound(scope, ref);
  const d = row.data.describe;
  if (d.ModelPackageVersion !== undefined && d.ModelApprovalStatus !== 'Approved') {
    // Slipway's wording: AWS's exact message for this refusal could not be confirmed.
    throw validation(
      `Model package ${d.ModelPackageArn} cannot be used to create a model: its ModelApprovalStatus is ${d.ModelApprovalStatus}; only an Approved model package version can be deployed.`,
    );
  }
  if (d.ModelPackageStatus !== 'Completed') {
    const reason = d.ModelPackageStatusDetails.ValidationStatuses.find((s) => s.FailureReason)?.FailureReason;
    throw validation(
      `Model package ${d.ModelPackageArn} cannot be used to create a model: its ModelPackageStatus is ${d.ModelPackageStatus}${reason ? ` (${reason})` : ''}.`,
    );
  }
  const source: ContainerDefinition | undefined = d.InferenceSpecification?.Containers[0];
  if (!source) {
    throw validation(`Model package ${d.ModelPackageArn} has no InferenceSpecification to create a model from.`);
  }
  const environment = { ...(source.Environment ?? {}), ...(container.Environment ?? {}) };
  return {
    ...container,
    ...(source.Image !== undefined ? { Image: source.Image } : {}),
    ...(source.ModelDataUrl !== undefined ? { ModelDataUrl: source.ModelDataUrl } : {}),
    ...(Object.keys(environment).length > 0 ? { Environment: environment } : {}),
    // The model records the package by its ARN, however the caller named it.
    ModelPackageName: d.ModelPackageArn,
  };
}
