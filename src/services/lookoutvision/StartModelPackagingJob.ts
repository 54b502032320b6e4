import type { Operation } from '../context.js';
import { getModel, idempotent, validation, withoutToken } from './common.js';

interface Input {
  ProjectName: string;
  ModelVersion: string;
  JobName?: string;
  ClientToken?: string;
}

/**
 * Model packaging jobs compile a model into an AWS IoT Greengrass V2 component for edge
 * devices. Slipway has no Greengrass, so after the usual project/model checks (404s stay
 * accurate) the call is refused with a ValidationException that says so; README.md documents
 * it. Host the model with StartModel and call DetectAnomalies instead.
 */
export const PACKAGING_UNSUPPORTED =
  'Model packaging jobs build AWS IoT Greengrass V2 components for edge devices, and Slipway has no Greengrass. Host the model with StartModel and call DetectAnomalies instead.';

export const StartModelPackagingJob: Operation<Input> = (ctx, input) =>
  idempotent(ctx, 'StartModelPackagingJob', input.ClientToken, withoutToken(input), { type: 'MODEL', id: input.ModelVersion }, async () => {
    await getModel(ctx, input.ProjectName, input.ModelVersion);
    throw validation(PACKAGING_UNSUPPORTED);
  });
