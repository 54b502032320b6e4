import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer } from '../helpers/server.js';
import { jobInput, terminal, waitFor, writeTestImage } from '../training/fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = { SLIPWAY_TRAINING_STOP_GRACE_SECONDS: '1' };

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = fn();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const readOr = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

describe('training jobs across a Slipway restart', { timeout: 180_000 }, () => {
  it('a job still running when Slipway restarts is re-attached and completes with its artifact', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-restart-'));
    writeTestImage(dataDir);
    let t = await startTestServer({ dataDir, env });
    try {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'training-out' }));
      await t.sagemaker.send(new CreateTrainingJobCommand(jobInput('survivor', 'sleep', {}, { ms: '3000' })));
      const log = join(dataDir, 'training', '000000000000', 'us-east-1', 'survivor', 'logs', 'algo-1.log');
      await until('the job to train', () => (/job: training/.test(readOr(log) ?? '') ? true : undefined));
      await t.close({ keepData: true });
      t = await startTestServer({ dataDir, env });
      const during = await t.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'survivor' }));
      assert.equal(during.TrainingJobStatus, 'InProgress');
      const d = await waitFor(t.sagemaker, 'survivor', terminal);
      assert.equal(d.TrainingJobStatus, 'Completed', d.FailureReason);
      await t.s3.send(new HeadObjectCommand({ Bucket: 'training-out', Key: 'jobs/survivor/output/model.tar.gz' }));
    } finally {
      await t.close();
    }
  });

  it('a job whose process died while Slipway was down is Failed with an honest reason, never left InProgress', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-restart-'));
    writeTestImage(dataDir);
    let t = await startTestServer({ dataDir, env });
    try {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'training-out' }));
      await t.sagemaker.send(new CreateTrainingJobCommand(jobInput('casualty', 'ignore-term')));
      const pgidFile = join(dataDir, 'training', '000000000000', 'us-east-1', 'casualty', 'opt', 'ml', 'pgid');
      const pgid = await until('the job to record its process group', () => {
        const text = readOr(pgidFile);
        return text ? Number(text) : undefined;
      });
      await t.close({ keepData: true });
      // What a host crash does: the whole group dies at once and nobody records how.
      process.kill(-pgid, 'SIGKILL');
      await until('the group to be gone', () => {
        try {
          process.kill(-pgid, 0);
          return undefined;
        } catch {
          return true;
        }
      });
      t = await startTestServer({ dataDir, env });
      const d = await waitFor(t.sagemaker, 'casualty', terminal, 30_000);
      assert.equal(d.TrainingJobStatus, 'Failed');
      assert.match(d.FailureReason!, /Slipway restarted while this job was training and found its process gone without a recorded exit status/);
    } finally {
      await t.close();
    }
  });

  it('jobs queued when Slipway stops are started after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-restart-'));
    writeTestImage(dataDir);
    const limited = { ...env, SLIPWAY_MAX_CONCURRENT_TRAINING_JOBS: '1' };
    let t = await startTestServer({ dataDir, env: limited });
    try {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'training-out' }));
      await t.sagemaker.send(new CreateTrainingJobCommand(jobInput('first', 'sleep', {}, { ms: '1500' })));
      await t.sagemaker.send(new CreateTrainingJobCommand(jobInput('second', 'sleep', {}, { ms: '10' })));
      const waiting = await waitFor(t.sagemaker, 'second', (d) => d.SecondaryStatus === 'Pending', 30_000);
      assert.equal(waiting.TrainingJobStatus, 'InProgress');
      await t.close({ keepData: true });
      t = await startTestServer({ dataDir, env: limited });
      for (const name of ['first', 'second']) {
        const d = await waitFor(t.sagemaker, name, terminal);
        assert.equal(d.TrainingJobStatus, 'Completed', `${name}: ${d.FailureReason}`);
      }
    } finally {
      await t.close();
    }
  });
});

describe('training concurrency limit', { timeout: 180_000 }, () => {
  it('a job waiting for a slot can be stopped: it ends Stopped without ever running', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-limit-'));
    writeTestImage(dataDir);
    const t = await startTestServer({ dataDir, env: { ...env, SLIPWAY_MAX_CONCURRENT_TRAINING_JOBS: '1' } });
    try {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'training-out' }));
      await t.sagemaker.send(new CreateTrainingJobCommand(jobInput('holder', 'save-on-term')));
      await t.sagemaker.send(new CreateTrainingJobCommand(jobInput('waiter', 'env')));
      await waitFor(t.sagemaker, 'waiter', (d) => d.SecondaryStatus === 'Pending', 30_000);
      await t.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'waiter' }));
      const d = await waitFor(t.sagemaker, 'waiter', terminal, 30_000);
      assert.equal(d.TrainingJobStatus, 'Stopped');
      assert.deepEqual(d.SecondaryStatusTransitions!.map((x) => x.Status), ['Starting', 'Pending', 'Stopping', 'Stopped']);
      assert.equal(d.TrainingStartTime, undefined);
      await t.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'holder' }));
      assert.equal((await waitFor(t.sagemaker, 'holder', terminal, 30_000)).TrainingJobStatus, 'Stopped');
    } finally {
      await t.close();
    }
  });

  it('5 jobs with a limit of 2: never more than 2 run at once, the others wait as Pending, all complete', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-limit-'));
    writeTestImage(dataDir);
    const record = join(dataDir, 'runs.jsonl');
    const t = await startTestServer({ dataDir, env: { ...env, SLIPWAY_MAX_CONCURRENT_TRAINING_JOBS: '2' } });
    try {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'training-out' }));
      const names = ['par-1', 'par-2', 'par-3', 'par-4', 'par-5'];
      for (const n of names) await t.sagemaker.send(new CreateTrainingJobCommand(jobInput(n, 'sleep', {}, { ms: '1500', record })));
      const waiting = await t.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'par-5' }));
      assert.equal(waiting.TrainingJobStatus, 'InProgress');
      for (const n of names) {
        const d = await waitFor(t.sagemaker, n, terminal, 120_000);
        assert.equal(d.TrainingJobStatus, 'Completed', `${n}: ${d.FailureReason}`);
      }
      const p5 = await t.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'par-5' }));
      assert.deepEqual(p5.SecondaryStatusTransitions!.map((s) => s.Status), ['Starting', 'Pending', 'Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
      const runs = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { start: number; end: number });
      assert.equal(runs.length, 5);
      // The most runs in progress at any instant (a sweep over starts and ends; an end at the
      // same instant as a start comes first). Counting the runs that overlap one run would
      // over-count: with a limit of 2, a run can overlap the end of one and the start of another.
      const events = runs.flatMap((r) => [{ at: r.start, step: 1 }, { at: r.end, step: -1 }]).sort((a, b) => a.at - b.at || a.step - b.step);
      let running = 0;
      let most = 0;
      for (const e of events) most = Math.max(most, (running += e.step));
      assert.ok(most <= 2, `${most} jobs ran at once`);
      assert.equal(most, 2, 'two jobs ran side by side');
    } finally {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
