import type { Operation } from '../context.js';
import { ImageError } from '../../domain/lookoutvision/image.js';
import { conflict, controller, getModel, scope, validation } from './common.js';

interface Input {
  ProjectName: string;
  ModelVersion: string;
  Body: Buffer;
  ContentType: string;
}

const TYPES = ['image/png', 'image/jpeg'];

/**
 * Runs the hosted model on one image. AWS: the model must be running (StartModel);
 * ContentType is image/png or image/jpeg; "The images must have the same dimensions as the
 * images used to train the model". Classification models answer IsAnomalous and Confidence;
 * segmentation models add Anomalies (first entry 'background') and AnomalyMask (PNG).
 */
export const DetectAnomalies: Operation<Input> = async (ctx, input) => {
  const m = await getModel(ctx, input.ProjectName, input.ModelVersion);
  const type = input.ContentType.split(';')[0].trim().toLowerCase();
  // AWS's own wording, as quoted in aws/aws-sdk-js issue #3631.
  if (!TYPES.includes(type)) throw validation('content-type must be one of the following. image/jpeg, image/png');
  const running = m.status === 'HOSTED' ? controller(ctx).detect(scope(ctx), m.name, input.Body, type) : undefined;
  if (!running) {
    throw conflict('MODEL', String(m.data.version), `Model version ${m.data.version} of project ${m.data.project} is not running (status ${m.status}). Start it with StartModel.`);
  }
  let d;
  try {
    d = await running;
  } catch (e) {
    if (e instanceof ImageError) throw validation(e.message);
    throw e;
  }
  return {
    DetectAnomalyResult: {
      Source: { Type: 'direct' },
      IsAnomalous: d.isAnomalous,
      Confidence: d.confidence,
      Anomalies: d.anomalies,
      // A blob member of a JSON body travels base64-encoded.
      AnomalyMask: d.mask?.toString('base64'),
    },
  };
};
