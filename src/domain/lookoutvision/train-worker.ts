import { parentPort, workerData } from 'node:worker_threads';
import { TrainingError } from './detector.js';
import { trainAndEvaluate, type TrainInput } from './trainer.js';

/**
 * Worker-thread entry: training decodes every image and fits the model, which would stall
 * the event loop for seconds; here it runs beside the server instead (DESIGN: long-running
 * work never runs inside a request).
 */
const input = workerData as TrainInput;
try {
  parentPort!.postMessage({ ok: true, result: trainAndEvaluate(input) });
} catch (e) {
  parentPort!.postMessage({ ok: false, message: e instanceof TrainingError ? e.message : `Training failed: ${(e as Error).message}`, expected: e instanceof TrainingError });
}
