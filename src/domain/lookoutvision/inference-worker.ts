import { parentPort } from 'node:worker_threads';
import { Detector, type DetectorModel } from './detector.js';
import { decodeImage, ImageError } from './image.js';

/**
 * Inference worker: decoding a PNG/JPEG and scoring it takes milliseconds of CPU per image,
 * which would otherwise stall every other request on the server's event loop. Each worker
 * keeps the hosted models it has been sent.
 */
export interface InferenceRequest {
  id: number;
  key: string;
  model?: DetectorModel;
  bytes?: Uint8Array;
  type?: string;
  unload?: boolean;
}

const models = new Map<string, Detector>();

parentPort!.on('message', (m: InferenceRequest) => {
  if (m.unload) {
    models.delete(m.key);
    return;
  }
  if (m.model) models.set(m.key, new Detector(m.model));
  const detector = models.get(m.key);
  if (!detector) {
    parentPort!.postMessage({ id: m.id, error: { kind: 'internal', message: `model ${m.key} is not loaded in this worker` } });
    return;
  }
  try {
    const img = decodeImage(m.bytes!, m.type);
    const { width, height } = detector.model;
    if (img.width !== width || img.height !== height) {
      throw new ImageError(`The image is ${img.width}x${img.height}; this model was trained on ${width}x${height} images and only accepts that size.`);
    }
    const d = detector.detect(img);
    parentPort!.postMessage({ id: m.id, result: d });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: { kind: e instanceof ImageError ? 'image' : 'internal', message: (e as Error).message } });
  }
});
