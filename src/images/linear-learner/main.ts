/**
 * Built-in image `slipway/linear-learner`: a small, real linear learner honouring both
 * SageMaker container contracts, so the README's main job needs nothing but Node.
 *
 *   main.js train  CSV (label in the first column, no header, as SageMaker's built-in
 *                  algorithms expect) from the `train` channel (and `validation` when given);
 *                  mini-batch SGD on standardised features; a linear regressor
 *                  (predictor_type=regressor, squared loss) or a logistic classifier
 *                  (predictor_type=binary_classifier, log loss). Each epoch logs
 *                  `#quality_metric: host=algo-1, epoch=<n>, train <loss>=<v>` (and the
 *                  validation loss), writes a checkpoint (resumed from when present), and on
 *                  SIGTERM saves the current model and exits 0, as the stop contract asks.
 *   main.js serve  loads model.json from SM_MODEL_DIR; GET /ping; POST /invocations with
 *                  text/csv (one row of features per line) or application/json
 *                  ({"instances": [[...], ...]} or {"instances": [{"features": [...]}]});
 *                  answers {"predictions": [{"score": s, "predicted_label": l}]} as JSON, or
 *                  one score per line for Accept: text/csv.
 *
 * Hyperparameters (all optional, hyperparameters.json strings): predictor_type (regressor),
 * epochs (15), learning_rate (0.05, or "auto"), l2 (0; AWS's `wd` is accepted too),
 * mini_batch_size (32), normalize_data (true), seed (1).
 */
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { score, type LinearModel } from './model.js';

const env = process.env;
const baseDir = env.SAGEMAKER_BASE_DIR ?? '/opt/ml';
const inputDir = env.SM_INPUT_DIR ?? join(baseDir, 'input');
const modelDir = env.SM_MODEL_DIR ?? join(baseDir, 'model');

function parseCsv(text: string, where: string): number[][] {
  const rows: number[][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const row = line.split(',').map(Number);
    if (row.some((v) => !Number.isFinite(v))) throw new Error(`${where} line ${i + 1}: not a row of numbers: ${line.slice(0, 80)}`);
    rows.push(row);
  });
  return rows;
}

function readChannel(name: string): number[][] | undefined {
  const dir = env[`SM_CHANNEL_${name.toUpperCase()}`] ?? join(inputDir, 'data', name);
  if (!existsSync(dir)) return undefined;
  const rows: number[][] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size > 0) rows.push(...parseCsv(readFileSync(p, 'utf8'), p));
    }
  };
  walk(dir);
  return rows;
}

function hyperparameters(): Record<string, string> {
  const file = join(env.SM_INPUT_CONFIG_DIR ?? join(inputDir, 'config'), 'hyperparameters.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

/** Deterministic PRNG (mulberry32) so a seed reproduces a run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeAtomic(file: string, value: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}

function loss(m: LinearModel, rows: number[][]): number {
  let total = 0;
  for (const r of rows) {
    const p = score(m, r.slice(1));
    const y = r[0]!;
    if (m.predictor_type === 'binary_classifier') {
      const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
      total += -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
    } else total += (p - y) ** 2;
  }
  return rows.length ? total / rows.length : NaN;
}

function fail(message: string): never {
  console.error(message);
  try {
    mkdirSync(join(baseDir, 'output'), { recursive: true });
    writeFileSync(join(baseDir, 'output', 'failure'), message);
  } catch {
    /* nothing more to report with */
  }
  process.exit(1);
}

async function train(): Promise<void> {
  let stopRequested = false;
  process.once('SIGTERM', () => {
    stopRequested = true;
  });
  const hp = hyperparameters();
  const type = (hp.predictor_type ?? 'regressor') as LinearModel['predictor_type'];
  if (type !== 'regressor' && type !== 'binary_classifier') fail(`ClientError: predictor_type must be regressor or binary_classifier, got ${type}`);
  const epochs = Number(hp.epochs ?? 15);
  const lr = hp.learning_rate === undefined || hp.learning_rate === 'auto' ? 0.05 : Number(hp.learning_rate);
  const l2 = Number(hp.l2 ?? hp.wd ?? 0);
  const batch = Number(hp.mini_batch_size ?? 32);
  const normalize = (hp.normalize_data ?? 'true') !== 'false';
  for (const [k, v] of Object.entries({ epochs, learning_rate: lr, l2, mini_batch_size: batch })) {
    if (!Number.isFinite(v) || v < 0 || (k !== 'l2' && v === 0)) fail(`ClientError: hyperparameter ${k} must be a positive number`);
  }
  const trainRows = readChannel('train');
  if (!trainRows || trainRows.length === 0) fail('ClientError: the train channel holds no CSV rows (label in the first column)');
  const validation = readChannel('validation');
  const features = trainRows[0]!.length - 1;
  if (features < 1) fail('ClientError: rows need a label and at least one feature');
  for (const r of trainRows) if (r.length !== features + 1) fail(`ClientError: every row must have ${features + 1} columns`);
  if (type === 'binary_classifier' && trainRows.some((r) => r[0] !== 0 && r[0] !== 1)) fail('ClientError: binary_classifier labels must be 0 or 1');
  if (hp.feature_dim !== undefined && hp.feature_dim !== 'auto' && Number(hp.feature_dim) !== features) {
    fail(`ClientError: feature_dim is ${hp.feature_dim} but the data has ${features} features`);
  }

  const mean = new Array<number>(features).fill(0);
  const std = new Array<number>(features).fill(1);
  if (normalize) {
    for (const r of trainRows) for (let i = 0; i < features; i++) mean[i]! += r[i + 1]! / trainRows.length;
    for (let i = 0; i < features; i++) {
      let v = 0;
      for (const r of trainRows) v += (r[i + 1]! - mean[i]!) ** 2 / trainRows.length;
      std[i] = Math.sqrt(v) || 1;
    }
  }
  const checkpointDir = (() => {
    const file = join(env.SM_INPUT_CONFIG_DIR ?? join(inputDir, 'config'), 'checkpointconfig.json');
    const local = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')).LocalPath as string | undefined) : undefined;
    return local && local.startsWith('/opt/ml/') ? join(baseDir, local.slice('/opt/ml/'.length)) : join(baseDir, 'checkpoints');
  })();
  const checkpoint = join(checkpointDir, 'linear-learner-checkpoint.json');
  let model: LinearModel = {
    format: 'slipway-linear-learner/1',
    predictor_type: type,
    features,
    weights: new Array<number>(features).fill(0),
    bias: 0,
    mean,
    std,
    epochs_completed: 0,
  };
  if (existsSync(checkpoint)) {
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as LinearModel;
    if (saved.features === features && saved.predictor_type === type) {
      model = saved;
      console.log(`resuming from checkpoint after epoch ${saved.epochs_completed}`);
    }
  }
  const save = () => writeAtomic(join(modelDir, 'model.json'), model);
  const rand = rng(Number(hp.seed ?? 1));
  const order = trainRows.map((_, i) => i);
  console.log(`linear-learner: ${trainRows.length} rows, ${features} features, ${type}, ${epochs} epochs`);
  while (model.epochs_completed < epochs) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < order.length; start += batch) {
      const end = Math.min(order.length, start + batch);
      const gw = new Array<number>(features).fill(0);
      let gb = 0;
      for (let k = start; k < end; k++) {
        const r = trainRows[order[k]!]!;
        // Squared loss and log loss share the gradient (prediction - label) * x.
        const err = score(model, r.slice(1)) - r[0]!;
        for (let i = 0; i < features; i++) gw[i]! += (err * ((r[i + 1]! - mean[i]!) / std[i]!)) / (end - start);
        gb += err / (end - start);
      }
      for (let i = 0; i < features; i++) model.weights[i] = model.weights[i]! - lr * (gw[i]! + l2 * model.weights[i]!);
      model.bias -= lr * gb;
      // A synchronous loop never lets the SIGTERM handler run: yield now and then.
      if ((start / batch) % 200 === 199) await new Promise((r) => setImmediate(r));
      if (stopRequested) break;
    }
    if (stopRequested) break;
    model.epochs_completed++;
    const line = [`#quality_metric: host=algo-1, epoch=${model.epochs_completed}, train ${type === 'regressor' ? 'mse' : 'binary_log_loss'} <loss>=${loss(model, trainRows).toFixed(6)}`];
    if (validation?.length) line.push(`validation ${type === 'regressor' ? 'mse' : 'binary_log_loss'} <loss>=${loss(model, validation).toFixed(6)}`);
    console.log(line.join(', '));
    writeAtomic(checkpoint, model);
    await new Promise((r) => setImmediate(r));
  }
  save();
  if (stopRequested) {
    console.log(`SIGTERM: saved the model after ${model.epochs_completed} epochs`);
    return;
  }
  console.log(`linear-learner: training complete after ${model.epochs_completed} epochs`);
}

function loadModel(): LinearModel {
  const file = join(modelDir, 'model.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as LinearModel;
  if (m.format !== 'slipway-linear-learner/1') throw new Error(`${file} is not a linear-learner model`);
  return m;
}

function serve(): void {
  const port = Number(env.SAGEMAKER_BIND_TO_PORT ?? 8080);
  const model = loadModel();
  const predict = (x: number[]) => {
    if (x.length !== model.features) throw new Error(`expected ${model.features} features, got ${x.length}`);
    const s = score(model, x);
    return model.predictor_type === 'binary_classifier' ? { score: s, predicted_label: s >= 0.5 ? 1 : 0 } : { score: s };
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/ping') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    if (req.method !== 'POST' || path !== '/invocations') return void res.writeHead(404).end('not found');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const type = (req.headers['content-type'] ?? 'text/csv').split(';')[0]!.trim();
      const accept = (req.headers.accept ?? 'application/json').split(',')[0]!.trim();
      try {
        let rows: number[][];
        if (type === 'application/json') {
          const doc = JSON.parse(body);
          const instances = Array.isArray(doc) ? doc : doc.instances;
          if (!Array.isArray(instances)) throw new Error('JSON input must be {"instances": [...]}');
          rows = instances.map((i: unknown) => (Array.isArray(i) ? i : (i as { features: number[] }).features).map(Number));
        } else if (type === 'text/csv') {
          rows = parseCsv(body, 'request');
        } else {
          return void res.writeHead(415, { 'Content-Type': 'text/plain' }).end(`unsupported content type ${type}; use text/csv or application/json`);
        }
        const predictions = rows.map(predict);
        if (accept === 'text/csv') {
          return void res.writeHead(200, { 'Content-Type': 'text/csv' }).end(predictions.map((p) => p.score).join('\n') + '\n');
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ predictions }));
      } catch (err) {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`invalid input: ${(err as Error).message}`);
      }
    });
  });
  server.listen(port, '127.0.0.1', () => console.log(`linear-learner: serving ${model.predictor_type} with ${model.features} features on 127.0.0.1:${port}`));
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}

const mode = process.argv[process.argv.length - 1];
if (mode === 'train') {
  train().catch((err) => fail(`AlgorithmError: ${(err as Error).message}`));
} else if (mode === 'serve') {
  try {
    serve();
  } catch (err) {
    console.error(`linear-learner: cannot serve: ${(err as Error).message}`);
    process.exit(1);
  }
} else {
  console.error(`usage: linear-learner train|serve (got ${JSON.stringify(mode)})`);
  process.exit(2);
}
