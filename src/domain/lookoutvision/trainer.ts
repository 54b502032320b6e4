import { createHash } from 'node:crypto';
import { Detector, TrainingError, train, type DetectorModel, type TrainingImage } from './detector.js';
import { decodeImage, ImageError, toHex } from './image.js';

/** One labelled image as the worker receives it (bytes fetched from the object store). */
export interface Sample {
  ref: string;
  anomalous: boolean;
  bytes: Uint8Array;
  mask?: Uint8Array;
  /** `#RRGGBB` → class name, from the manifest's internal-color-map. */
  colors?: Record<string, string>;
}

export interface TrainInput {
  train: Sample[];
  /** Empty when the project has only a training dataset: a split is held out instead. */
  test: Sample[];
}

export interface EvaluatedImage {
  ref: string;
  anomalous: boolean;
  predicted: boolean;
  score: number;
  confidence: number;
}

export interface TrainOutput {
  model: DetectorModel;
  performance: { F1Score: number; Precision: number; Recall: number };
  evaluated: EvaluatedImage[];
  trainCount: number;
  /** True when the test images were a split of the training dataset. */
  split: boolean;
}

/**
 * Minimum images, as Lookout for Vision documents them: a single dataset needs at least 20
 * normal and 10 anomalous labelled images (it is split for evaluation); with separate
 * datasets the training dataset needs 10 normal images and the test dataset 10 normal and 10
 * anomalous ones.
 */
export function checkCounts(input: TrainInput): void {
  const n = (s: Sample[], a: boolean) => s.filter((x) => x.anomalous === a).length;
  if (input.test.length === 0) {
    if (n(input.train, false) < 20 || n(input.train, true) < 10) {
      throw new TrainingError(
        `The training dataset needs at least 20 normal and 10 anomalous labeled images when there is no test dataset; it has ${n(input.train, false)} normal and ${n(input.train, true)} anomalous.`,
      );
    }
  } else {
    if (n(input.train, false) < 10) {
      throw new TrainingError(`The training dataset needs at least 10 normal labeled images; it has ${n(input.train, false)}.`);
    }
    if (n(input.test, false) < 10 || n(input.test, true) < 10) {
      throw new TrainingError(
        `The test dataset needs at least 10 normal and 10 anomalous labeled images; it has ${n(input.test, false)} normal and ${n(input.test, true)} anomalous.`,
      );
    }
  }
}

/** A deterministic 80/20 split per class (by a hash of the source-ref, so it is stable across runs). */
function split(samples: Sample[]): { train: Sample[]; test: Sample[] } {
  const key = (s: Sample) => createHash('sha256').update(s.ref).digest('hex');
  const train: Sample[] = [];
  const test: Sample[] = [];
  for (const cls of [false, true]) {
    const group = samples.filter((s) => s.anomalous === cls).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const nTest = Math.ceil(group.length * 0.2);
    test.push(...group.slice(0, nTest));
    train.push(...group.slice(nTest));
  }
  return { train, test };
}

export function trainAndEvaluate(input: TrainInput): TrainOutput {
  checkCounts(input);
  const isSplit = input.test.length === 0;
  const { train: trainSet, test: testSet } = isSplit ? split(input.train) : input;
  let size: { w: number; h: number; ref: string } | undefined;
  const decode = (s: Sample) => {
    let img;
    try {
      img = decodeImage(s.bytes);
    } catch (e) {
      if (e instanceof ImageError) throw new TrainingError(`${s.ref}: ${e.message}`);
      throw e;
    }
    size ??= { w: img.width, h: img.height, ref: s.ref };
    if (img.width !== size.w || img.height !== size.h) {
      throw new TrainingError(
        `All images must have the same dimensions: ${s.ref} is ${img.width}x${img.height} but ${size.ref} is ${size.w}x${size.h}.`,
      );
    }
    return img;
  };
  const images: TrainingImage[] = trainSet.map((s) => {
    const img = decode(s);
    const t: TrainingImage = { img, anomalous: s.anomalous };
    if (s.mask && s.colors) {
      let mask;
      try {
        mask = decodeImage(s.mask, 'image/png');
      } catch (e) {
        throw new TrainingError(`The anomaly mask of ${s.ref} is not a usable PNG image: ${(e as Error).message}`);
      }
      if (mask.width !== img.width || mask.height !== img.height) {
        throw new TrainingError(`The anomaly mask of ${s.ref} is ${mask.width}x${mask.height}; the image is ${img.width}x${img.height}.`);
      }
      t.mask = mask;
      t.colors = new Map(Object.entries(s.colors).map(([hex, name]) => [toHex(parseRgb(hex)), name]));
    }
    return t;
  });
  const model = train(images);
  const detector = new Detector(model);
  const evaluated = testSet.map((s) => {
    const d = detector.detect(decode(s));
    return { ref: s.ref, anomalous: s.anomalous, predicted: d.isAnomalous, score: d.score, confidence: d.confidence };
  });
  return { model, performance: metrics(evaluated), evaluated, trainCount: trainSet.length, split: isSplit };
}

export function metrics(ev: Array<{ anomalous: boolean; predicted: boolean }>): TrainOutput['performance'] {
  const tp = ev.filter((e) => e.anomalous && e.predicted).length;
  const fp = ev.filter((e) => !e.anomalous && e.predicted).length;
  const fn = ev.filter((e) => e.anomalous && !e.predicted).length;
  const Precision = tp + fp ? tp / (tp + fp) : 0;
  const Recall = tp + fn ? tp / (tp + fn) : 0;
  const F1Score = Precision + Recall ? (2 * Precision * Recall) / (Precision + Recall) : 0;
  const r = (v: number) => Math.round(v * 1e4) / 1e4;
  return { F1Score: r(F1Score), Precision: r(Precision), Recall: r(Recall) };
}

function parseRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-fA-F]{6})$/.exec(hex);
  if (!m) throw new TrainingError(`'${hex}' is not a hex colour (#RRGGBB) in the anomaly mask colour map.`);
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
