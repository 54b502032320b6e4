import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateTrainingJobCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { extractArchive } from '../../src/runtime/artifacts.js';
import { ProcessBackend } from '../../src/runtime/process-backend.js';
import { score, type LinearModel } from '../../src/images/linear-learner/model.js';
import { role, terminal, waitFor } from '../training/fixtures.js';

/** y = 3·x1 − 2·x2 + 0.5·x3 + 1 + noise, label first (the built-in algorithms' CSV layout). */
function dataset(n: number, seed: number): number[][] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x = [rand() * 10, rand() * 5 - 2, rand() * 100];
    const y = 3 * x[0]! - 2 * x[1]! + 0.5 * x[2]! + 1 + (rand() - 0.5) * 0.5;
    rows.push([y, ...x]);
  }
  return rows;
}
const csv = (rows: number[][]) => rows.map((r) => r.map((v) => v.toFixed(6)).join(',')).join('\n') + '\n';
const mse = (pred: (x: number[]) => number, rows: number[][]) => rows.reduce((a, r) => a + (pred(r.slice(1)) - r[0]!) ** 2, 0) / rows.length;

describe('built-in algorithm slipway/linear-learner', { timeout: 240_000 }, () => {
  let t: TestServer;
  let scratch: string;
  const backend = new ProcessBackend();
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'slipway-ll-'));
    t = await startTestServer({ env: { SLIPWAY_TRAINING_STOP_GRACE_SECONDS: '5' } });
    await t.s3.send(new CreateBucketCommand({ Bucket: 'ml-data' }));
    await t.s3.send(new PutObjectCommand({ Bucket: 'ml-data', Key: 'data/train/train.csv', Body: csv(dataset(400, 1)) }));
    await t.s3.send(new PutObjectCommand({ Bucket: 'ml-data', Key: 'data/validation/validation.csv', Body: csv(dataset(100, 2)) }));
  });
  after(async () => {
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const create = (name: string, hps: Record<string, string>, extra: object = {}) =>
    t.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: name,
        AlgorithmSpecification: {
          TrainingImage: 'slipway/linear-learner:latest',
          TrainingInputMode: 'File',
          MetricDefinitions: [
            { Name: 'train:mse', Regex: 'train mse <loss>=([0-9.eE+-]+)' },
            { Name: 'validation:mse', Regex: 'validation mse <loss>=([0-9.eE+-]+)' },
          ],
        },
        RoleArn: role,
        HyperParameters: hps,
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://ml-data/data/train' } }, ContentType: 'text/csv' },
          { ChannelName: 'validation', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://ml-data/data/validation' } }, ContentType: 'text/csv' },
        ],
        OutputDataConfig: { S3OutputPath: 's3://ml-data/output/' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        ...extra,
      }),
    );

  async function model(key: string): Promise<{ dir: string; m: LinearModel }> {
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'ml-data', Key: key }));
    const dir = join(scratch, key.replace(/\W+/g, '-'));
    await extractArchive(Readable.from(Buffer.from(await got.Body!.transformToByteArray())), dir, key);
    return { dir, m: JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) };
  }

  it('trains a model that predicts far better than a constant, reports metrics, mirrors checkpoints, and serves it', async () => {
    await create('ll-happy', { predictor_type: 'regressor', epochs: '30', learning_rate: '0.05', mini_batch_size: '16' }, {
      CheckpointConfig: { S3Uri: 's3://ml-data/checkpoints/ll-happy' },
    });
    const d = await waitFor(t.sagemaker, 'll-happy', terminal, 120_000);
    assert.equal(d.TrainingJobStatus, 'Completed', d.FailureReason);
    assert.equal(d.ModelArtifacts!.S3ModelArtifacts, 's3://ml-data/output/ll-happy/output/model.tar.gz');
    const metrics = Object.fromEntries(d.FinalMetricDataList!.map((x) => [x.MetricName, x.Value!]));
    assert.deepEqual(Object.keys(metrics).sort(), ['train:mse', 'validation:mse']);

    const { m } = await model('output/ll-happy/output/model.tar.gz');
    assert.equal(m.epochs_completed, 30);
    const test = dataset(200, 3);
    const mean = test.reduce((a, r) => a + r[0]!, 0) / test.length;
    const constant = mse(() => mean, test);
    const learned = mse((x) => score(m, x), test);
    assert.ok(learned < constant / 100, `model MSE ${learned} vs constant ${constant}`);
    assert.ok(metrics['validation:mse']! < constant / 100, `validation metric ${metrics['validation:mse']}`);

    const cps = await t.s3.send(new ListObjectsV2Command({ Bucket: 'ml-data', Prefix: 'checkpoints/ll-happy/' }));
    assert.deepEqual(cps.Contents?.map((c) => c.Key), ['checkpoints/ll-happy/linear-learner-checkpoint.json']);

    // The serve side of the same image, through the process backend, on the artifact.
    const base = join(scratch, 'serve-base');
    mkdirSync(base, { recursive: true });
    const resolved = t.slipway.services.runtime.catalog.resolve('slipway/linear-learner:latest');
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'ml-data', Key: 'output/ll-happy/output/model.tar.gz' }));
    await extractArchive(Readable.from(Buffer.from(await got.Body!.transformToByteArray())), join(base, 'model'), 'model.tar.gz');
    const h = await backend.start({ id: 'll-serve', role: 'serve', resolved, baseDir: base });
    try {
      await backend.waitHealthy(h, 30_000);
      const url = `http://${backend.address(h)}/invocations`;
      const rows = test.slice(0, 5);
      const r1 = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' }, body: rows.map((r) => r.slice(1).join(',')).join('\n') });
      assert.equal(r1.status, 200);
      const scores = (await r1.text()).trim().split('\n').map(Number);
      scores.forEach((s, i) => assert.ok(Math.abs(s - rows[i]![0]!) < 1, `prediction ${s} vs label ${rows[i]![0]}`));
      const r2 = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ instances: [rows[0]!.slice(1)] }) });
      const body = (await r2.json()) as { predictions: Array<{ score: number }> };
      assert.ok(Math.abs(body.predictions[0]!.score - scores[0]!) < 1e-9);
      const bad = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: '1,2' });
      assert.equal(bad.status, 400);
    } finally {
      await backend.stop(h, 5000);
    }
  });

  it('on StopTrainingJob saves the model it has so far and the job ends Stopped with that artifact', async () => {
    await create('ll-stop', { predictor_type: 'regressor', epochs: '1000000', mini_batch_size: '1' });
    const logFile = join(t.dataDir, 'training', '000000000000', 'us-east-1', 'll-stop', 'logs', 'algo-1.log');
    const deadline = Date.now() + 60_000;
    const read = () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    };
    while (!/epoch=2,/.test(read()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(read(), /epoch=2,/);
    await t.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'll-stop' }));
    const d = await waitFor(t.sagemaker, 'll-stop', terminal, 60_000);
    assert.equal(d.TrainingJobStatus, 'Stopped');
    assert.match(readFileSync(logFile, 'utf8'), /SIGTERM: saved the model after \d+ epochs/);
    const { m } = await model('output/ll-stop/output/model.tar.gz');
    assert.ok(m.epochs_completed >= 2 && m.epochs_completed < 1000000, String(m.epochs_completed));
  });

  it('a job that names no MetricDefinitions gets the built-in algorithm\'s own, as AWS built-ins do', async () => {
    await t.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'll-default-metrics',
        AlgorithmSpecification: { TrainingImage: 'slipway/linear-learner', TrainingInputMode: 'File' },
        RoleArn: role,
        HyperParameters: { epochs: '3' },
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://ml-data/data/train' } } }],
        OutputDataConfig: { S3OutputPath: 's3://ml-data/output' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
      }),
    );
    const d = await waitFor(t.sagemaker, 'll-default-metrics', terminal, 60_000);
    assert.equal(d.TrainingJobStatus, 'Completed', d.FailureReason);
    assert.ok(d.AlgorithmSpecification!.MetricDefinitions!.some((m) => m.Name === 'train:mse'));
    assert.deepEqual(d.FinalMetricDataList!.map((m) => m.MetricName), ['train:mse']);
  });

  it('a bad hyperparameter fails the job with the algorithm\'s own FailureReason', async () => {
    await create('ll-bad', { predictor_type: 'multiclass_classifier' });
    const d = await waitFor(t.sagemaker, 'll-bad', terminal, 60_000);
    assert.equal(d.TrainingJobStatus, 'Failed');
    assert.equal(d.FailureReason, 'ClientError: predictor_type must be regressor or binary_classifier, got multiclass_classifier');
  });
});
