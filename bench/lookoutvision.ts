/**
 * Lookout for Vision benchmark: training time for 130 images (100 normal + 30 anomalous,
 * 256×256 PNG, one dataset so 20 % is held out) and DetectAnomalies throughput and p50/p99
 * latency on 256×256 PNGs at concurrency 8, through @aws-sdk/client-lookoutvision against a
 * Slipway server in its own process (so the load generator does not share its event loop).
 * Every answer is checked; the run is bounded by --requests and --max-seconds.
 *
 *   node dist/bench/lookoutvision.js [--requests 800] [--concurrency 8] [--max-seconds 120]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DescribeDatasetCommand,
  DescribeModelCommand,
  DetectAnomaliesCommand,
  LookoutVisionClient,
  StartModelCommand,
  StopModelCommand,
} from '@aws-sdk/client-lookoutvision';
import { generateSet, manifest } from '../src/domain/lookoutvision/generator.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '800' },
    concurrency: { type: 'string', default: '8' },
    'max-seconds': { type: 'string', default: '120' },
    size: { type: 'string', default: '256' },
  },
});
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const MAX_MS = Number(args['max-seconds']) * 1000;
const SIZE = Number(args.size);
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-lv-bench-'));
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('server did not start')), 20_000);
    child.stdout!.on('data', (c) => {
      buf += c;
      for (const line of buf.split('\n')) {
        try {
          const u = JSON.parse(line).url;
          if (u) (clearTimeout(timer), resolve(u));
        } catch {
          /* partial line */
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  child.stdout!.resume();
  const cfg = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });
  const lv = new LookoutVisionClient(cfg);
  try {
    let t0 = performance.now();
    const images = generateSet({ seed: 2026, size: SIZE, normal: 100, anomalous: 30 });
    console.log(`generated 130 ${SIZE}x${SIZE} PNGs in ${Math.round(performance.now() - t0)} ms (${Math.round(images.reduce((s, i) => s + i.png.length, 0) / 130)} bytes each)`);
    await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    for (const im of images) await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `set/${im.name}`, Body: im.png }));
    await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'set/manifest.jsonl', Body: manifest(images, 'bench', 'set/') }));
    await lv.send(new CreateProjectCommand({ ProjectName: 'bench' }));
    await lv.send(new CreateDatasetCommand({ ProjectName: 'bench', DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: 'bench', Key: 'set/manifest.jsonl' } } } }));
    await until(async () => (await lv.send(new DescribeDatasetCommand({ ProjectName: 'bench', DatasetType: 'train' }))).DatasetDescription?.Status === 'CREATE_COMPLETE');

    t0 = performance.now();
    await lv.send(new CreateModelCommand({ ProjectName: 'bench', OutputConfig: { S3Location: { Bucket: 'bench', Prefix: 'out/' } } }));
    const model = await until(async () => {
      const d = (await lv.send(new DescribeModelCommand({ ProjectName: 'bench', ModelVersion: '1' }))).ModelDescription!;
      return d.Status !== 'TRAINING' ? d : undefined;
    });
    const trainMs = performance.now() - t0;
    if (model.Status !== 'TRAINED') throw new Error(`training failed: ${model.StatusMessage}`);
    console.log(`training: 130 images (${SIZE}x${SIZE}; 104 train / 26 held out) CreateModel → TRAINED in ${(trainMs / 1000).toFixed(2)} s; F1 ${model.Performance?.F1Score} precision ${model.Performance?.Precision} recall ${model.Performance?.Recall}`);

    await lv.send(new StartModelCommand({ ProjectName: 'bench', ModelVersion: '1', MinInferenceUnits: 1 }));
    await until(async () => (await lv.send(new DescribeModelCommand({ ProjectName: 'bench', ModelVersion: '1' }))).ModelDescription?.Status === 'HOSTED');

    // Warm-up, then the measured run.
    for (let i = 0; i < 8; i++) await lv.send(new DetectAnomaliesCommand({ ProjectName: 'bench', ModelVersion: '1', ContentType: 'image/png', Body: images[i].png }));
    const lat: number[] = [];
    let next = 0;
    let correct = 0;
    const deadline = performance.now() + MAX_MS;
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS && performance.now() < deadline) {
          const im = images[next++ % images.length];
          const s = performance.now();
          const r = await lv.send(new DetectAnomaliesCommand({ ProjectName: 'bench', ModelVersion: '1', ContentType: 'image/png', Body: im.png }));
          lat.push(performance.now() - s);
          const res = r.DetectAnomalyResult;
          if (typeof res?.IsAnomalous !== 'boolean' || typeof res.Confidence !== 'number') throw new Error(`bad answer ${JSON.stringify(res)}`);
          if (res.IsAnomalous === im.anomalous) correct++;
        }
      }),
    );
    const wall = performance.now() - t0;
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    console.log(
      `DetectAnomalies: ${lat.length} requests of ${SIZE}x${SIZE} PNG at concurrency ${CONCURRENCY} in ${(wall / 1000).toFixed(2)} s → ${(lat.length / (wall / 1000)).toFixed(1)} req/s; ` +
        `latency p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${lat[lat.length - 1].toFixed(1)} ms; ${correct}/${lat.length} answers match the label (training images included)`,
    );
    await lv.send(new StopModelCommand({ ProjectName: 'bench', ModelVersion: '1' }));
  } finally {
    lv.destroy();
    s3.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function until<T>(f: () => Promise<T | undefined | false>, timeoutMs = 600_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
