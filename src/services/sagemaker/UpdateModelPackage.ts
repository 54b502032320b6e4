import { modelPackageStateChange, recordEvent } from '../../domain/registry/events.js';
import { PACKAGE_KIND, packageKey, packageNotFound, type PackageRecord } from '../../domain/registry/model-package.js';
import { applyUpdate, type UpdateInput, type UpdateResult } from '../../domain/registry/update.js';
import type { OpContext } from '../context.js';
import { modelled } from './common.js';

/**
 * Approves or rejects a version and edits what AWS lets one edit after registration
 * (metadata, additional inference specifications, inference specification, life cycle,
 * source URI, model card). All rules run inside the store's atomic update: a refused call
 * changes nothing. Every approval change is recorded as a "SageMaker Model Package State
 * Change" event.
 */
export async function UpdateModelPackage(ctx: OpContext, raw: UpdateInput) {
  const input = modelled('UpdateModelPackageInput', raw);
  const key = packageKey(ctx, input.ModelPackageArn);
  const now = ctx.clock.now();
  let result: UpdateResult | undefined;
  const row =
    key === undefined
      ? undefined
      : await ctx.store.update<PackageRecord>(ctx, PACKAGE_KIND, key, (r) => {
          result = applyUpdate(r.data, input, now);
          if (!result) return undefined;
          return { ...r, modifiedAt: now, status: result.record.describe.ModelPackageStatus, data: result.record };
        });
  if (!row) throw packageNotFound(ctx, input.ModelPackageArn);
  if (result?.approvalChanged) {
    await recordEvent(ctx.store, modelPackageStateChange(row.data.describe, ctx, ctx.ids.uuid(), now), now);
  }
  if (result?.revalidate) ctx.controllers.registry?.kick(ctx, row.name);
  return { ModelPackageArn: row.data.describe.ModelPackageArn };
}
