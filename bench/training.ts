/**
 * Training benchmark: Slipway's own overhead around a training process.
 *
 *   node dist/bench/training.js [--rounds 10]
 *
 * For an algorithm that does nothing but wait and exits at once on SIGTERM, measures
 *   create→Training  CreateTrainingJob sent → DescribeTrainingJob shows SecondaryStatus Training
 *                    (the status is recorded before the process starts, so no algorithm time);
 *   create→running   … → the algorithm's first log line (adds process start-up: Node's own);
 *   stop→Stopped     StopTrainingJob sent → DescribeTrainingJob shows Stopped (SIGTERM, the
 *                    algorithm's immediate exit, model.tar.gz upload, final record).
 * Describe is polled every 5 ms, so each figure carries up to ~5 ms of polling granularity.
 * Every loop is bounded by a deadline. Target (issue 4): both under 300 ms of overhead.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, SageMakerClient, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startSlipway } from '../src/server.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' } } });
const rounds = Number(values.rounds);
const IMAGE = 'bench/sigterm-exits:latest';
const ALGO = `
console.log('ready ' + Date.now());
process.on('SIGTERM', () => { console.log('sigterm ' + Date.now()); process.exit(0); });
setInterval(() => {}, 1000);
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms  p90 ${q(0.9).toFixed(1)} ms  max ${s[s.length - 1]!.toFixed(1)} ms  (n=${s.length})`;
};

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-bench-training-'));
  writeFileSync(join(dataDir, 'algo.cjs'), ALGO);
  writeFileSync(join(dataDir, 'images.json'), JSON.stringify({ images: [{ image: IMAGE, command: [process.execPath, 'algo.cjs'] }] }));
  const config = loadConfig({ env: { SLIPWAY_PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_TRAINING_STOP_GRACE_SECONDS: '10', SLIPWAY_MAX_CONCURRENT_TRAINING_JOBS: '4' } });
  const slipway = await startSlipway(config, createLogger('silent'));
  const client = { endpoint: slipway.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  const sm = new SageMakerClient(client);
  const s3 = new S3Client({ ...client, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-out' }));
  const describe = (name: string) => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
  const toTraining: number[] = [];
  const toRunning: number[] = [];
  const toStopped: number[] = [];
  const serverToTraining: number[] = [];
  const serverToStopped: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const name = `bench-${i}`;
      const log = join(dataDir, 'training', '000000000000', 'us-east-1', name, 'logs', 'algo-1.log');
      const t0 = performance.now();
      const wall0 = Date.now();
      await sm.send(
        new CreateTrainingJobCommand({
          TrainingJobName: name,
          AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
          RoleArn: 'arn:aws:iam::000000000000:role/SageMakerRole',
          OutputDataConfig: { S3OutputPath: 's3://bench-out/jobs' },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
          StoppingCondition: { MaxRuntimeInSeconds: 600 },
        }),
      );
      let deadline = Date.now() + 30_000;
      while ((await describe(name)).SecondaryStatus !== 'Training') {
        if (Date.now() > deadline) throw new Error(`${name} never reached Training`);
        await sleep(5);
      }
      toTraining.push(performance.now() - t0);
      let ready: number | undefined;
      deadline = Date.now() + 30_000;
      while (ready === undefined) {
        let text = '';
        try {
          text = readFileSync(log, 'utf8');
        } catch {
          /* not yet */
        }
        const m = /ready (\d+)/.exec(text);
        if (m) ready = Number(m[1]);
        else if (Date.now() > deadline) throw new Error(`${name} never started`);
        else await sleep(5);
      }
      toRunning.push(ready - wall0);
      const t1 = performance.now();
      await sm.send(new StopTrainingJobCommand({ TrainingJobName: name }));
      deadline = Date.now() + 30_000;
      for (;;) {
        const d = await describe(name);
        if (d.TrainingJobStatus === 'Stopped') break;
        if (d.TrainingJobStatus === 'Failed' || d.TrainingJobStatus === 'Completed') throw new Error(`${name} ended ${d.TrainingJobStatus}: ${d.FailureReason}`);
        if (Date.now() > deadline) throw new Error(`${name} never stopped`);
        await sleep(5);
      }
      toStopped.push(performance.now() - t1);
      // The same intervals as the server recorded them (transition times), without client polling.
      const d = await describe(name);
      const at = (status: string) => d.SecondaryStatusTransitions!.find((x) => x.Status === status)!.StartTime!.getTime();
      serverToTraining.push(at('Training') - d.CreationTime!.getTime());
      serverToStopped.push(at('Stopped') - at('Stopping'));
    }
  } finally {
    sm.destroy();
    s3.destroy();
    await slipway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`training benchmark, ${rounds} rounds (algorithm: exits at once on SIGTERM)`);
  console.log(`  create→Training (Slipway only)       ${stats(toTraining)}`);
  console.log(`  create→running (incl. process start) ${stats(toRunning)}`);
  console.log(`  stop→Stopped   (SIGTERM, exit, upload, record) ${stats(toStopped)}`);
  console.log(`  server-recorded CreationTime→Training   ${stats(serverToTraining)}`);
  console.log(`  server-recorded Stopping→Stopped       ${stats(serverToStopped)}`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ok = median(toTraining) < 300 && median(toStopped) < 300;
  console.log(`  target < 300 ms each (client-measured medians): ${ok ? 'met' : 'NOT met'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
