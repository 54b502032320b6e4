/**
 * A small training "image" for tests, mapped through images.json: one Node program whose
 * behaviour is chosen by the `mode` hyperparameter, so each test states what the algorithm does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  type DescribeTrainingJobCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';

export const TEST_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-test-job:latest';
export const role = 'arn:aws:iam::000000000000:role/SageMakerRole';

const JOB_SCRIPT = `
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const base = process.env.SAGEMAKER_BASE_DIR;
const hp = JSON.parse(readFileSync(join(process.env.SM_INPUT_CONFIG_DIR, 'hyperparameters.json'), 'utf8'));
const model = process.env.SM_MODEL_DIR;
mkdirSync(model, { recursive: true });
// The exit recorder is this process's parent and the group leader.
writeFileSync(join(base, 'pgid'), String(process.ppid));
const log = (s) => console.log(s);
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const mode = hp.mode;
log('job: mode=' + mode + ' argv=' + process.argv.slice(2).join(' '));
if (mode === 'env') {
  const files = {};
  const walk = (d, rel) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p, rel + e.name + '/'); else files[rel + e.name] = readFileSync(p, 'utf8'); } };
  walk(join(base, 'input', 'data'), '');
  const config = {};
  for (const f of readdirSync(process.env.SM_INPUT_CONFIG_DIR)) config[f] = JSON.parse(readFileSync(join(process.env.SM_INPUT_CONFIG_DIR, f), 'utf8'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SM_') || k.startsWith('TRAINING_') || k.startsWith('SAGEMAKER_') || k === 'MY_VAR' || k === 'SLIPWAY_SECRET_ACCESS_KEY'));
  writeFileSync(join(model, 'env.json'), JSON.stringify({ env, files, config, argv: process.argv.slice(2) }));
  mkdirSync(process.env.SM_OUTPUT_DATA_DIR, { recursive: true });
  writeFileSync(join(process.env.SM_OUTPUT_DATA_DIR, 'report.txt'), 'extra output');
  log('score: 0.25'); log('score: 0.5'); log('loss=1.5e-3'); console.error('stderr-metric=42');
} else if (mode === 'fail') {
  mkdirSync(join(base, 'output'), { recursive: true });
  writeFileSync(join(base, 'output', 'failure'), 'ValueError: the data is not what I expected');
  process.exit(1);
} else if (mode === 'crash') {
  console.error('about to crash with code 3');
  process.exit(3);
} else if (mode === 'save-on-term') {
  process.on('SIGTERM', () => { writeFileSync(join(model, 'saved.txt'), 'saved on SIGTERM'); log('job: saved on SIGTERM'); process.exit(0); });
  log('job: training');
  setInterval(() => {}, 1000);
} else if (mode === 'ignore-term') {
  process.on('SIGTERM', () => log('job: ignoring SIGTERM'));
  writeFileSync(join(model, 'partial.txt'), 'partial');
  log('job: training');
  setInterval(() => {}, 1000);
} else if (mode === 'sleep') {
  const start = Date.now();
  log('job: training');
  await wait(Number(hp.ms));
  if (hp.record) appendFileSync(hp.record, JSON.stringify({ job: process.env.TRAINING_JOB_NAME, start, end: Date.now() }) + '\\n');
  writeFileSync(join(model, 'done.txt'), 'done after ' + hp.ms + ' ms');
  log('job: done');
} else {
  console.error('unknown mode ' + mode);
  process.exit(2);
}
`;

/** Writes the test image program and its images.json mapping into `dir`. */
export function writeTestImage(dir: string): string {
  writeFileSync(join(dir, 'job.mjs'), JOB_SCRIPT);
  const file = join(dir, 'images.json');
  writeFileSync(file, JSON.stringify({ images: [{ image: TEST_IMAGE, command: [process.execPath, 'job.mjs'] }] }));
  return file;
}

/** A CreateTrainingJob input for the test image in `mode`. */
export function jobInput(name: string, mode: string, extra: Partial<CreateTrainingJobCommandInput> = {}, hps: Record<string, string> = {}): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: TEST_IMAGE, TrainingInputMode: 'File' },
    RoleArn: role,
    HyperParameters: { mode, ...hps },
    OutputDataConfig: { S3OutputPath: 's3://training-out/jobs' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls DescribeTrainingJob until `until` holds; bounded by `timeoutMs`. */
export async function waitFor(
  sm: SageMakerClient,
  name: string,
  until: (d: DescribeTrainingJobCommandOutput) => boolean,
  timeoutMs = 60_000,
): Promise<DescribeTrainingJobCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  let last: DescribeTrainingJobCommandOutput | undefined;
  while (Date.now() < deadline) {
    last = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (until(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${name}; last: ${last?.TrainingJobStatus}/${last?.SecondaryStatus} ${last?.FailureReason ?? ''}`);
}

export const terminal = (d: DescribeTrainingJobCommandOutput) => ['Completed', 'Failed', 'Stopped'].includes(d.TrainingJobStatus ?? '');
