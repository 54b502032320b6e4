import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { aws as awsCli } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { extractArchive } from '../../src/runtime/artifacts.js';
import { jobInput, writeTestImage } from '../training/fixtures.js';

/**
 * botocore's TrainingJobCompletedOrStopped waiter polls every 120 s. AWS_DATA_PATH lets
 * botocore load a waiter model from elsewhere: this copy keeps AWS's acceptors unchanged and
 * only shortens the delay, so the test exercises the real waiter logic in bounded time.
 */
function fastWaiters(dir: string): string {
  const w = JSON.parse(readFileSync(new URL('../../../../shared/specs/sagemaker/waiters-2.json', import.meta.url), 'utf8'));
  for (const name of Object.keys(w.waiters)) w.waiters[name].delay = 1;
  const target = join(dir, 'models', 'sagemaker', '2017-07-24');
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, 'waiters-2.json'), JSON.stringify(w));
  return join(dir, 'models');
}

describe('training with the AWS CLI and slipway logs', { timeout: 240_000 }, () => {
  let t: TestServer;
  let scratch: string;
  let dataPath: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'slipway-e2e-train-'));
    dataPath = fastWaiters(scratch);
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-e2e-data-'));
    writeTestImage(dataDir);
    t = await startTestServer({ dataDir, env: { SLIPWAY_TRAINING_STOP_GRACE_SECONDS: '1' } });
  });
  after(async () => {
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const aws = (args: string[]) => awsCli(args, { endpointUrl: t.url, env: { AWS_DATA_PATH: dataPath } });
  const ok = async (args: string[]) => {
    const r = await aws(args);
    assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
    // `aws s3` prints progress text; the sagemaker commands print JSON.
    return args[0] === 'sagemaker' && r.stdout.trim() ? JSON.parse(r.stdout) : {};
  };

  it('aws s3 cp the CSV, create-training-job with the built-in algorithm, wait, fetch model.tar.gz, read the log', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 200; i++) {
      const x = (i % 20) / 2;
      rows.push(`${(2 * x + 1).toFixed(3)},${x.toFixed(3)}`);
    }
    writeFileSync(join(scratch, 'train.csv'), rows.join('\n') + '\n');
    await ok(['s3', 'mb', 's3://cli-training']);
    await ok(['s3', 'cp', join(scratch, 'train.csv'), 's3://cli-training/input/train/train.csv']);
    const created = await ok([
      'sagemaker', 'create-training-job', '--cli-input-json',
      JSON.stringify({
        TrainingJobName: 'cli-linear',
        AlgorithmSpecification: { TrainingImage: 'slipway/linear-learner:latest', TrainingInputMode: 'File' },
        RoleArn: 'arn:aws:iam::000000000000:role/SageMakerRole',
        HyperParameters: { predictor_type: 'regressor', epochs: '20' },
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://cli-training/input/train' } } }],
        OutputDataConfig: { S3OutputPath: 's3://cli-training/output' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
      }),
    ]);
    assert.equal(created.TrainingJobArn, 'arn:aws:sagemaker:us-east-1:000000000000:training-job/cli-linear');
    await ok(['sagemaker', 'wait', 'training-job-completed-or-stopped', '--training-job-name', 'cli-linear']);
    const d = await ok(['sagemaker', 'describe-training-job', '--training-job-name', 'cli-linear']);
    assert.equal(d.TrainingJobStatus, 'Completed', d.FailureReason);
    await ok(['s3', 'cp', d.ModelArtifacts.S3ModelArtifacts, join(scratch, 'model.tar.gz')]);
    await extractArchive(createReadStream(join(scratch, 'model.tar.gz')), join(scratch, 'model'), 'model.tar.gz');
    const model = JSON.parse(readFileSync(join(scratch, 'model', 'model.json'), 'utf8'));
    assert.equal(model.epochs_completed, 20);
    const listed = await ok(['sagemaker', 'list-training-jobs', '--status-equals', 'Completed']);
    assert.ok(listed.TrainingJobSummaries.some((s: { TrainingJobName: string }) => s.TrainingJobName === 'cli-linear'));

    const logs = await runCli(['logs', 'cli-linear', '--data-dir', t.dataDir], cleanEnv());
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /#quality_metric: host=algo-1, epoch=20, train mse <loss>=/);
  });

  it('the waiter fails on a Failed job and on a missing one, as botocore\'s acceptors say', async () => {
    await ok(['s3', 'mb', 's3://training-out']);
    await ok(['sagemaker', 'create-training-job', '--cli-input-json', JSON.stringify(jobInput('cli-fails', 'fail'))]);
    const failed = await aws(['sagemaker', 'wait', 'training-job-completed-or-stopped', '--training-job-name', 'cli-fails']);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /Waiter TrainingJobCompletedOrStopped failed: Waiter encountered a terminal failure state/);
    const missing = await aws(['sagemaker', 'wait', 'training-job-completed-or-stopped', '--training-job-name', 'cli-nobody']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Matched expected service error code: ValidationException/);
  });

  it('stop-training-job, and slipway logs --follow ends when the training process ends', async () => {
    await ok(['sagemaker', 'create-training-job', '--cli-input-json', JSON.stringify(jobInput('cli-stop', 'save-on-term'))]);
    const logFile = join(t.dataDir, 'training', '000000000000', 'us-east-1', 'cli-stop', 'logs', 'algo-1.log');
    const deadline = Date.now() + 60_000;
    const read = () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    };
    while (!/job: training/.test(read()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const following = runCli(['logs', 'cli-stop', '--follow', '--data-dir', t.dataDir], cleanEnv(), 60_000);
    await ok(['sagemaker', 'stop-training-job', '--training-job-name', 'cli-stop']);
    await ok(['sagemaker', 'wait', 'training-job-completed-or-stopped', '--training-job-name', 'cli-stop']);
    const d = await ok(['sagemaker', 'describe-training-job', '--training-job-name', 'cli-stop']);
    assert.equal(d.TrainingJobStatus, 'Stopped');
    const followed = await following;
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /job: training[\s\S]*job: saved on SIGTERM/);
    const again = await aws(['sagemaker', 'stop-training-job', '--training-job-name', 'cli-stop']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /ValidationException.*The request was rejected because the training job is in status Stopped\./);
  });
});
