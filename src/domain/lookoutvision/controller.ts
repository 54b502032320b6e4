import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Resource, Scope, Store } from '../../store/store.js';
import type { ObjectStore } from '../../objects/object-store.js';
import { Detector, type Detection, type DetectorModel } from './detector.js';
import { InferencePool } from './inference-pool.js';
import { ManifestError, parseManifest, parseManifestLine, parseS3Uri, type DatasetEntry } from './manifest.js';
import type { Sample, TrainInput, TrainOutput } from './trainer.js';

/** Store kinds of Lookout for Vision resources. */
export const KIND = {
  project: 'lookoutvision-project',
  dataset: 'lookoutvision-dataset',
  model: 'lookoutvision-model',
  token: 'lookoutvision-client-token',
} as const;

export type DatasetType = 'train' | 'test';

export interface DatasetData {
  project: string;
  type: DatasetType;
  entries: DatasetEntry[];
  statusMessage?: string;
  /** Work the controller still has to do (recorded first, so a restart resumes it). */
  pending?: { manifest: { bucket: string; key: string; versionId?: string } } | { changes: string[] };
}

export interface ModelData {
  project: string;
  version: number;
  description?: string;
  outputConfig: { S3Location: { Bucket: string; Prefix?: string } };
  kmsKeyId?: string;
  statusMessage?: string;
  performance?: { F1Score: number; Recall: number; Precision: number };
  evaluationManifest?: { Bucket: string; Key: string };
  evaluationResult?: { Bucket: string; Key: string };
  evaluationEnd?: number;
  minInferenceUnits?: number;
  maxInferenceUnits?: number;
  detector?: DetectorModel;
}

export const datasetName = (project: string, type: string) => `${project}/${type}`;
export const modelName = (project: string, version: number | string) => `${project}/${version}`;

export interface LookoutDeps {
  store: Store;
  objects: ObjectStore;
  clock: { now(): number };
  log: Logger;
}

export interface LookoutOptions {
  /** How long STARTING_HOSTING and STOPPING_HOSTING last (AWS: minutes; here the model loads in milliseconds). */
  hostingDelayMs?: number;
  /** Inference worker threads shared by all hosted models. */
  inferenceWorkers?: number;
}

/**
 * Drives Lookout for Vision datasets (manifest import, entry updates) and models (training in
 * a worker thread, hosting in memory, stopping, deleting) to the state their operations
 * recorded, and resumes all of it from the store after a restart: a model that was HOSTED
 * before is loaded and HOSTED again.
 */
export class LookoutController {
  private readonly hosted = new Map<string, Detector>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly workers = new Map<string, Worker>();
  private trainingQueue: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly hostingDelayMs: number;
  private readonly pool: InferencePool;

  constructor(private readonly d: LookoutDeps, opts: LookoutOptions = {}) {
    this.hostingDelayMs = opts.hostingDelayMs ?? 300;
    // Workers start on the first DetectAnomalies; leave a core to the event loop on big machines.
    this.pool = new InferencePool(opts.inferenceWorkers ?? Math.min(4, Math.max(2, availableParallelism() - 1)));
  }

  async start(): Promise<void> {
    // ClientTokens: drop those past their 8 hours, and those of calls that never finished
    // (the server stopped mid-call), so a retry with the same token can run again.
    const now = this.d.clock.now();
    for (const tok of await this.d.store.scan(KIND.token)) {
      if (tok.status === 'pending' || now - tok.createdAt >= 8 * 60 * 60 * 1000) {
        await this.d.store.delete({ account: tok.account, region: tok.region }, KIND.token, tok.name);
      }
    }
    for (const row of await this.d.store.scan<DatasetData>(KIND.dataset)) {
      if (row.data.pending) this.kickDataset(row, row.name);
    }
    for (const row of await this.d.store.scan<ModelData>(KIND.model)) {
      const scope = { account: row.account, region: row.region };
      if (row.status === 'HOSTED' && row.data.detector) {
        // Loaded before the server answers, so DetectAnomalies works from the first request.
        this.hosted.set(key(scope, row.name), new Detector(row.data.detector));
      } else this.kickModel(scope, row.name);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.workers.values()].map((w) => w.terminate()));
    this.workers.clear();
    this.hosted.clear();
    await this.pool.close();
  }

  /** The in-memory model answering DetectAnomalies, when hosted. */
  detector(scope: Scope, name: string): Detector | undefined {
    return this.hosted.get(key(scope, name));
  }

  /**
   * Runs a hosted model on image bytes in the inference pool (decoding and scoring off the
   * event loop). Undefined when the model is not hosted; ImageError for a bad image.
   */
  detect(scope: Scope, name: string, bytes: Buffer, type: string): Promise<Detection> | undefined {
    const k = key(scope, name);
    const detector = this.hosted.get(k);
    return detector && this.pool.detect(`${k}@${detector.id}`, detector.model, bytes, type);
  }

  private later(ms: number, f: () => Promise<void>): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      f().catch((err) => this.d.log.error({ err }, 'lookoutvision controller step failed'));
    }, ms);
    this.timers.add(t);
  }

  // ------------------------------------------------------------------ datasets

  kickDataset(scope: Scope, name: string): void {
    this.later(0, () => this.importDataset(scope, name));
  }

  private async importDataset(scope: Scope, name: string): Promise<void> {
    const row = await this.d.store.get<DatasetData>(scope, KIND.dataset, name);
    if (!row?.data.pending) return;
    const pending = row.data.pending;
    const creating = row.status === 'CREATE_IN_PROGRESS';
    let entries: DatasetEntry[];
    try {
      const now = this.d.clock.now();
      if ('manifest' in pending) {
        const { bucket, key: k } = pending.manifest;
        const got = await this.d.objects.get(bucket, k).catch(() => undefined);
        if (!got) throw new ManifestError(`The manifest file s3://${bucket}/${k} could not be read: it does not exist.`);
        entries = parseManifest((await readAll(got.body)).toString('utf8'), now);
      } else {
        // UpdateDatasetEntries: a line for an image already in the dataset replaces it.
        const byRef = new Map(row.data.entries.map((e) => [e.ref, e]));
        pending.changes.forEach((line, i) => {
          const e = parseManifestLine(line, i + 1, now);
          byRef.set(e.ref, e);
        });
        entries = [...byRef.values()];
      }
      for (const e of entries) {
        await this.mustExist(e.ref, 'image');
        if (e.maskRef) await this.mustExist(e.maskRef, 'anomaly mask');
      }
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      await this.d.store.update<DatasetData>(scope, KIND.dataset, name, (r) => ({
        ...r,
        status: creating ? 'CREATE_FAILED' : 'UPDATE_FAILED_ROLLBACK_COMPLETE',
        modifiedAt: this.d.clock.now(),
        data: { ...r.data, pending: undefined, statusMessage: e.message },
      }));
      return;
    }
    await this.d.store.update<DatasetData>(scope, KIND.dataset, name, (r) => ({
      ...r,
      status: creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE',
      modifiedAt: this.d.clock.now(),
      data: { ...r.data, entries, pending: undefined, statusMessage: creating ? 'Dataset created.' : 'Dataset updated.' },
    }));
  }

  private async mustExist(uri: string, what: string): Promise<void> {
    const loc = parseS3Uri(uri)!;
    const info = await this.d.objects.head(loc.bucket, loc.key).catch(() => undefined);
    if (!info) throw new ManifestError(`The ${what} ${uri} does not exist.`);
  }

  // ------------------------------------------------------------------ models

  kickModel(scope: Scope, name: string): void {
    this.later(0, async () => {
      const row = await this.d.store.get<ModelData>(scope, KIND.model, name);
      if (!row) return;
      switch (row.status) {
        case 'TRAINING':
          this.trainingQueue = this.trainingQueue.then(() => this.train(scope, name)).catch((err) => this.d.log.error({ err }, 'training failed'));
          return;
        case 'STARTING_HOSTING':
          return this.later(this.hostingDelayMs, () => this.host(scope, name));
        case 'HOSTED':
          return this.host(scope, name);
        case 'STOPPING_HOSTING':
          return this.later(this.hostingDelayMs, () => this.unhost(scope, name));
        case 'DELETING':
          return this.remove(scope, name);
      }
    });
  }

  private async host(scope: Scope, name: string): Promise<void> {
    const row = await this.d.store.get<ModelData>(scope, KIND.model, name);
    if (!row || (row.status !== 'STARTING_HOSTING' && row.status !== 'HOSTED')) return;
    let detector: Detector | undefined;
    let message = 'Hosting failed: the model has no trained detector.';
    try {
      if (row.data.detector) detector = new Detector(row.data.detector);
    } catch (e) {
      message = `Hosting failed: ${(e as Error).message}`;
    }
    if (detector) this.hosted.set(key(scope, name), detector);
    await this.d.store.update<ModelData>(scope, KIND.model, name, (r) =>
      r.status === 'STARTING_HOSTING' || r.status === 'HOSTED'
        ? {
            ...r,
            status: detector ? 'HOSTED' : 'HOSTING_FAILED',
            modifiedAt: this.d.clock.now(),
            data: { ...r.data, statusMessage: detector ? 'Hosted.' : message },
          }
        : undefined,
    );
  }

  private async unhost(scope: Scope, name: string): Promise<void> {
    this.forget(key(scope, name));
    await this.d.store.update<ModelData>(scope, KIND.model, name, (r) =>
      r.status === 'STOPPING_HOSTING'
        ? { ...r, status: 'TRAINED', modifiedAt: this.d.clock.now(), data: { ...r.data, statusMessage: 'Training completed successfully.' } }
        : undefined,
    );
  }

  private forget(k: string): void {
    const d = this.hosted.get(k);
    if (d) this.pool.unload(`${k}@${d.id}`);
    this.hosted.delete(k);
  }

  private async remove(scope: Scope, name: string): Promise<void> {
    this.forget(key(scope, name));
    await this.workers.get(key(scope, name))?.terminate();
    await this.d.store.delete(scope, KIND.model, name);
  }

  private async train(scope: Scope, name: string): Promise<void> {
    if (this.stopped) return;
    const row = await this.d.store.get<ModelData>(scope, KIND.model, name);
    if (!row || row.status !== 'TRAINING') return;
    const fail = (message: string) =>
      this.d.store.update<ModelData>(scope, KIND.model, name, (r) =>
        r.status === 'TRAINING'
          ? { ...r, status: 'TRAINING_FAILED', modifiedAt: this.d.clock.now(), data: { ...r.data, statusMessage: message } }
          : undefined,
      );
    const project = row.data.project;
    const trainDs = await this.d.store.get<DatasetData>(scope, KIND.dataset, datasetName(project, 'train'));
    const testDs = await this.d.store.get<DatasetData>(scope, KIND.dataset, datasetName(project, 'test'));
    const usable = (ds: Resource<DatasetData> | undefined) => ds && (ds.status === 'CREATE_COMPLETE' || ds.status === 'UPDATE_COMPLETE' || ds.status === 'UPDATE_FAILED_ROLLBACK_COMPLETE');
    if (!usable(trainDs)) {
      await fail(`The project ${project} has no training dataset that is ready (CREATE_COMPLETE or UPDATE_COMPLETE).`);
      return;
    }
    if (testDs && !usable(testDs)) {
      await fail(`The test dataset of project ${project} is not ready (status ${testDs.status}).`);
      return;
    }
    let input: TrainInput;
    try {
      input = { train: await this.samples(trainDs!.data.entries), test: testDs ? await this.samples(testDs.data.entries) : [] };
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      await fail(e.message);
      return;
    }
    const outcome = await this.runWorker(key(scope, name), input);
    if (this.stopped) return;
    if (!outcome.ok) {
      await fail(outcome.message);
      return;
    }
    const result = outcome.result;
    const cur = await this.d.store.get<ModelData>(scope, KIND.model, name);
    if (!cur || cur.status !== 'TRAINING') return;
    const files = await this.writeEvaluation(cur, result).catch((e: Error) => e);
    if (files instanceof Error) {
      await fail(`Training completed but the evaluation results could not be written to the output location: ${files.message}`);
      return;
    }
    await this.d.store.update<ModelData>(scope, KIND.model, name, (r) =>
      r.status === 'TRAINING'
        ? {
            ...r,
            status: 'TRAINED',
            modifiedAt: this.d.clock.now(),
            data: {
              ...r.data,
              statusMessage: 'Training completed successfully.',
              performance: result.performance,
              detector: result.model,
              evaluationManifest: files.manifest,
              evaluationResult: files.result,
              evaluationEnd: files.end,
            },
          }
        : undefined,
    );
  }

  /** Labeled entries with their bytes (unlabeled images do not take part in training). */
  private async samples(entries: DatasetEntry[]): Promise<Sample[]> {
    const out: Sample[] = [];
    for (const e of entries) {
      if (!e.cls) continue;
      const s: Sample = { ref: e.ref, anomalous: e.cls === 'anomaly', bytes: await this.fetch(e.ref) };
      if (e.maskRef && e.colors) {
        s.mask = await this.fetch(e.maskRef);
        s.colors = e.colors;
      }
      out.push(s);
    }
    return out;
  }

  private async fetch(uri: string): Promise<Buffer> {
    const loc = parseS3Uri(uri)!;
    const got = await this.d.objects.get(loc.bucket, loc.key).catch(() => undefined);
    if (!got) throw new ManifestError(`The image ${uri} no longer exists in the object store.`);
    return readAll(got.body);
  }

  private runWorker(id: string, input: TrainInput): Promise<{ ok: true; result: TrainOutput } | { ok: false; message: string }> {
    return new Promise((resolve) => {
      const w = new Worker(new URL('./train-worker.js', import.meta.url), { workerData: input });
      this.workers.set(id, w);
      let settled = false;
      const done = (v: { ok: true; result: TrainOutput } | { ok: false; message: string }) => {
        if (settled) return;
        settled = true;
        this.workers.delete(id);
        resolve(v);
      };
      w.once('message', (m) => {
        done(m);
        void w.terminate();
      });
      w.once('error', (err) => done({ ok: false, message: `Training failed: ${err.message}` }));
      w.once('exit', (code) => done({ ok: false, message: `Training was interrupted (worker exit ${code}).` }));
    });
  }

  /**
   * Writes the evaluation files where AWS puts them, named as in DescribeModel's
   * EvaluationManifest / EvaluationResult: `<Prefix>EvaluationManifest-<project>-<version>.json`
   * and `<Prefix>EvaluationResult-<project>-<version>.json`.
   */
  private async writeEvaluation(row: Resource<ModelData>, r: TrainOutput) {
    const { Bucket, Prefix = '' } = row.data.outputConfig.S3Location;
    const base = `${row.data.project}-${row.data.version}.json`;
    const manifestKey = `${Prefix}EvaluationManifest-${base}`;
    const resultKey = `${Prefix}EvaluationResult-${base}`;
    const end = this.d.clock.now();
    const lines = r.evaluated.map((e) =>
      JSON.stringify({
        'source-ref': e.ref,
        'anomaly-label': e.anomalous ? 1 : 0,
        'anomaly-label-metadata': { 'class-name': e.anomalous ? 'anomaly' : 'normal' },
        'anomaly-label-detected': e.predicted ? 1 : 0,
        'anomaly-label-detected-metadata': {
          'class-name': e.predicted ? 'anomaly' : 'normal',
          confidence: e.confidence,
          score: Math.round(e.score * 1e4) / 1e4,
          threshold: Math.round(r.model.threshold * 1e4) / 1e4,
        },
      }),
    );
    const result = {
      version: 1,
      evaluation_details: {
        model_arn: row.arn,
        evaluation_end_timestamp: new Date(end).toISOString(),
        number_of_training_images: r.trainCount,
        number_of_testing_images: r.evaluated.length,
        number_of_testing_normal_images: r.evaluated.filter((e) => !e.anomalous).length,
        number_of_testing_anomalous_images: r.evaluated.filter((e) => e.anomalous).length,
        test_images_from: r.split ? 'a 20% split of the training dataset' : 'the test dataset',
      },
      performance: {
        f1_score: r.performance.F1Score,
        precision: r.performance.Precision,
        recall: r.performance.Recall,
        threshold: r.model.threshold,
      },
    };
    await this.d.objects.put(Bucket, manifestKey, Buffer.from(lines.join('\n') + '\n'), { contentType: 'application/json' });
    await this.d.objects.put(Bucket, resultKey, Buffer.from(JSON.stringify(result, null, 2)), { contentType: 'application/json' });
    return { manifest: { Bucket, Key: manifestKey }, result: { Bucket, Key: resultKey }, end };
  }
}

const key = (scope: Scope, name: string) => `${scope.account}:${scope.region}:${name.toLowerCase()}`;

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
