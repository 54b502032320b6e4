import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { extractArchive } from '../../src/runtime/artifacts.js';
import { role, terminal, waitFor } from './fixtures.js';

const IMAGES = fileURLToPath(new URL('../../../examples/python-train/images.json', import.meta.url));

describe('examples/python-train: a bring-your-own Python script through images.json', { timeout: 120_000 }, () => {
  let t: TestServer;
  let scratch: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'slipway-py-'));
    t = await startTestServer({ env: { SLIPWAY_IMAGES_FILE: IMAGES } });
    await t.s3.send(new CreateBucketCommand({ Bucket: 'py-demo' }));
    // y = 2·a − b + 3 exactly: least squares must recover it.
    const rows = [];
    for (let a = 0; a < 6; a++) for (let b = 0; b < 4; b++) rows.push(`${2 * a - b + 3},${a},${b}`);
    await t.s3.send(new PutObjectCommand({ Bucket: 'py-demo', Key: 'train/part-0.csv', Body: rows.join('\n') + '\n' }));
  });
  after(async () => {
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reads SM_CHANNEL_TRAIN, writes SM_MODEL_DIR, reports its metric', async () => {
    await t.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'py-1',
        AlgorithmSpecification: {
          TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/python-train:latest',
          TrainingInputMode: 'File',
          MetricDefinitions: [{ Name: 'train:mse', Regex: 'train_mse=([0-9.]+)' }],
        },
        RoleArn: role,
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://py-demo/train' } } }],
        OutputDataConfig: { S3OutputPath: 's3://py-demo/output' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 300 },
      }),
    );
    const d = await waitFor(t.sagemaker, 'py-1', terminal);
    assert.equal(d.TrainingJobStatus, 'Completed', d.FailureReason);
    assert.ok(d.FinalMetricDataList![0]!.Value! < 1e-6);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'py-demo', Key: 'output/py-1/output/model.tar.gz' }));
    await extractArchive(Readable.from(Buffer.from(await got.Body!.transformToByteArray())), join(scratch, 'model'), 'model.tar.gz');
    const model = JSON.parse(readFileSync(join(scratch, 'model', 'model.json'), 'utf8'));
    assert.ok(Math.abs(model.intercept - 3) < 1e-4, JSON.stringify(model));
    assert.ok(Math.abs(model.coefficients[0] - 2) < 1e-4 && Math.abs(model.coefficients[1] + 1) < 1e-4, JSON.stringify(model));
  });
});
