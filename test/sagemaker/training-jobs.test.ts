import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AddTagsCommand,
  CreateTrainingJobCommand,
  DeleteTrainingJobCommand,
  DescribeTrainingJobCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  StopTrainingJobCommand,
  UpdateTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { refused } from '../helpers/assert.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { extractArchive } from '../../src/runtime/artifacts.js';
import { jobInput, role, terminal, waitFor, writeTestImage } from '../training/fixtures.js';

/** Downloads `s3://bucket/key` (a tar.gz) and extracts it into a fresh directory. */
export async function fetchArchive(s3: S3Client, bucket: string, key: string, into: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const dir = join(into, `${key.replace(/\W+/g, '-')}-${Date.now()}`);
  await extractArchive(Readable.from(Buffer.from(await got.Body!.transformToByteArray())), dir, key);
  return dir;
}

describe('training jobs through the SageMaker API', { timeout: 240_000 }, () => {
  let t: TestServer;
  let scratch: string;
  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-training-'));
    scratch = mkdtempSync(join(tmpdir(), 'slipway-training-scratch-'));
    writeTestImage(dataDir);
    t = await startTestServer({ dataDir, env: { SLIPWAY_TRAINING_STOP_GRACE_SECONDS: '1', SLIPWAY_MAX_CONCURRENT_TRAINING_JOBS: '4' } });
    await t.s3.send(new CreateBucketCommand({ Bucket: 'training-in' }));
    await t.s3.send(new CreateBucketCommand({ Bucket: 'training-out' }));
    for (const [key, body] of [
      ['data/train/a.csv', '1,2\n'],
      ['data/train/nested/b.csv', '3,4\n'],
      ['data/train-other/c.csv', 'not under data/train/'],
      ['manifested/x/one.txt', 'one'],
      ['manifested/y/two.txt', 'two'],
      ['manifests/train.manifest', JSON.stringify([{ prefix: 's3://training-in/manifested/' }, 'x/one.txt', 'y/two.txt'])],
    ]) {
      await t.s3.send(new PutObjectCommand({ Bucket: 'training-in', Key: key!, Body: body }));
    }
  });
  after(async () => {
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  const sm = () => t.sagemaker;
  const logOf = (name: string) => join(t.dataDir, 'training', '000000000000', 'us-east-1', name.toLowerCase(), 'logs', 'algo-1.log');
  const waitLog = async (name: string, re: RegExp) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      let text = '';
      try {
        text = readFileSync(logOf(name), 'utf8');
      } catch {
        /* not yet */
      }
      if (re.test(text)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`log of ${name} never matched ${re}`);
  };

  it('runs a job through Starting → Downloading → Training → Uploading → Completed with the SageMaker container contract', async () => {
    await sm().send(
      new CreateTrainingJobCommand(
        jobInput(
          'contract-1',
          'env',
          {
            InputDataConfig: [
              { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://training-in/data/train' } }, ContentType: 'text/csv' },
              { ChannelName: 'manifest', DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: 's3://training-in/manifests/train.manifest' } } },
            ],
            Environment: { MY_VAR: 'from-environment' },
            AlgorithmSpecification: {
              TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-test-job:latest',
              TrainingInputMode: 'File',
              MetricDefinitions: [
                { Name: 'score', Regex: 'score: ([0-9.]+)' },
                { Name: 'loss', Regex: 'loss=([0-9.e-]+)' },
                { Name: 'from-stderr', Regex: 'stderr-metric=(\\d+)' },
                { Name: 'never', Regex: 'never-printed=(\\d+)' },
              ],
            },
          },
          { epochs: '3' },
        ),
      ),
    );
    const d = await waitFor(sm(), 'contract-1', terminal);
    assert.equal(d.TrainingJobStatus, 'Completed', d.FailureReason);
    assert.equal(d.SecondaryStatus, 'Completed');
    assert.deepEqual(d.SecondaryStatusTransitions!.map((s) => s.Status), ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    for (const s of d.SecondaryStatusTransitions!) {
      assert.ok(s.StartTime && s.EndTime && s.StatusMessage, JSON.stringify(s));
      assert.ok(s.EndTime! >= s.StartTime!);
    }
    assert.ok(d.TrainingStartTime && d.TrainingEndTime && d.TrainingEndTime >= d.TrainingStartTime);
    assert.equal(typeof d.TrainingTimeInSeconds, 'number');
    assert.equal(d.BillableTimeInSeconds, d.TrainingTimeInSeconds);
    assert.equal(d.ModelArtifacts!.S3ModelArtifacts, 's3://training-out/jobs/contract-1/output/model.tar.gz');
    // Last value per metric, stdout and stderr alike; a metric never printed is absent.
    const metrics = Object.fromEntries(d.FinalMetricDataList!.map((m) => [m.MetricName, m.Value]));
    assert.deepEqual(metrics, { score: 0.5, loss: 0.0015, 'from-stderr': 42 });

    const model = await fetchArchive(t.s3, 'training-out', 'jobs/contract-1/output/model.tar.gz', scratch);
    const seen = JSON.parse(readFileSync(join(model, 'env.json'), 'utf8'));
    const base = join(t.dataDir, 'training', '000000000000', 'us-east-1', 'contract-1', 'opt', 'ml');
    assert.equal(seen.env.SAGEMAKER_BASE_DIR, base);
    assert.equal(seen.env.SM_MODEL_DIR, join(base, 'model'));
    assert.equal(seen.env.SM_CHANNEL_TRAIN, join(base, 'input', 'data', 'train'));
    assert.equal(seen.env.SM_CHANNEL_MANIFEST, join(base, 'input', 'data', 'manifest'));
    assert.deepEqual(JSON.parse(seen.env.SM_CHANNELS), ['manifest', 'train']);
    assert.deepEqual(JSON.parse(seen.env.SM_HPS), { mode: 'env', epochs: 3 });
    assert.equal(seen.env.SM_HP_EPOCHS, '3');
    assert.equal(seen.env.SM_CURRENT_HOST, 'algo-1');
    assert.deepEqual(JSON.parse(seen.env.SM_HOSTS), ['algo-1']);
    assert.equal(seen.env.SM_OUTPUT_DATA_DIR, join(base, 'output', 'data'));
    assert.equal(seen.env.SM_INPUT_CONFIG_DIR, join(base, 'input', 'config'));
    assert.equal(seen.env.SM_NUM_GPUS, '0');
    assert.equal(JSON.parse(seen.env.SM_TRAINING_ENV).job_name, 'contract-1');
    assert.equal(seen.env.TRAINING_JOB_NAME, 'contract-1');
    assert.equal(seen.env.TRAINING_JOB_ARN, 'arn:aws:sagemaker:us-east-1:000000000000:training-job/contract-1');
    assert.equal(seen.env.MY_VAR, 'from-environment');
    assert.equal(seen.env.SLIPWAY_SECRET_ACCESS_KEY, undefined);
    assert.deepEqual(seen.argv, ['train']);
    // S3Prefix keeps each file's path below the prefix, and matches by raw key prefix as S3
    // does (data/train also selects data/train-other/…).
    assert.deepEqual(Object.keys(seen.files).sort(), [
      'manifest/x/one.txt', 'manifest/y/two.txt', 'train/a.csv', 'train/nested/b.csv', 'train/train-other/c.csv',
    ]);
    assert.equal(seen.files['train/a.csv'], '1,2\n');
    assert.equal(seen.files['train/nested/b.csv'], '3,4\n');
    assert.equal(seen.files['manifest/x/one.txt'], 'one');
    assert.equal(seen.files['manifest/y/two.txt'], 'two');
    assert.deepEqual(seen.config['hyperparameters.json'], { mode: 'env', epochs: '3' });
    assert.deepEqual(seen.config['inputdataconfig.json'].train, {
      ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None',
    });
    assert.equal(seen.config['resourceconfig.json'].current_host, 'algo-1');
    assert.deepEqual(seen.config['resourceconfig.json'].hosts, ['algo-1']);
    assert.equal(seen.config['resourceconfig.json'].network_interface_name, 'eth0');

    const output = await fetchArchive(t.s3, 'training-out', 'jobs/contract-1/output/output.tar.gz', scratch);
    assert.equal(readFileSync(join(output, 'report.txt'), 'utf8'), 'extra output');
  });

  it('fails with FailureReason from output/failure, or with the exit code and the log tail', async () => {
    await sm().send(new CreateTrainingJobCommand(jobInput('fails-1', 'fail')));
    await sm().send(new CreateTrainingJobCommand(jobInput('crashes-1', 'crash')));
    const failed = await waitFor(sm(), 'fails-1', terminal);
    assert.equal(failed.TrainingJobStatus, 'Failed');
    assert.equal(failed.SecondaryStatus, 'Failed');
    assert.equal(failed.FailureReason, 'ValueError: the data is not what I expected');
    assert.deepEqual(failed.SecondaryStatusTransitions!.map((s) => s.Status), ['Starting', 'Downloading', 'Training', 'Failed']);
    const crashed = await waitFor(sm(), 'crashes-1', terminal);
    assert.equal(crashed.TrainingJobStatus, 'Failed');
    assert.match(crashed.FailureReason!, /^AlgorithmError: the training process exited with code 3/);
    assert.match(crashed.FailureReason!, /about to crash with code 3/);
    // A failed job uploads no model.
    const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'training-out', Prefix: 'jobs/fails-1/' }));
    assert.equal(listed.KeyCount, 0);
  });

  it('fails with an AWS-like reason when a channel has no input, and when the image is unknown', async () => {
    await sm().send(
      new CreateTrainingJobCommand(
        jobInput('no-input-1', 'env', {
          InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://training-in/nothing/here' } } }],
        }),
      ),
    );
    const d = await waitFor(sm(), 'no-input-1', terminal);
    assert.equal(d.TrainingJobStatus, 'Failed');
    assert.equal(
      d.FailureReason,
      `ClientError: No S3 objects found under S3 URL "s3://training-in/nothing/here" given in input data source. Please ensure that the bucket exists in the selected region (us-east-1), that objects exist under that S3 prefix, and that the role "${role}" has "s3:ListBucket" permissions on bucket "training-in".`,
    );
    await sm().send(
      new CreateTrainingJobCommand(jobInput('bad-image-1', 'env', { AlgorithmSpecification: { TrainingImage: 'nobody/knows:this', TrainingInputMode: 'File' } })),
    );
    const b = await waitFor(sm(), 'bad-image-1', terminal);
    assert.equal(b.TrainingJobStatus, 'Failed');
    assert.match(b.FailureReason!, /^ClientError: Image "nobody\/knows:this" is not known to Slipway/);
  });

  it('StopTrainingJob: SIGTERM lets the algorithm save its model; the job ends Stopped with the artifact', async () => {
    await sm().send(new CreateTrainingJobCommand(jobInput('stop-save-1', 'save-on-term')));
    await waitLog('stop-save-1', /job: training/);
    await sm().send(new StopTrainingJobCommand({ TrainingJobName: 'stop-save-1' }));
    const stopping = await sm().send(new DescribeTrainingJobCommand({ TrainingJobName: 'stop-save-1' }));
    assert.ok(['Stopping', 'Stopped'].includes(stopping.TrainingJobStatus!), stopping.TrainingJobStatus);
    // Stopping a job that is already stopping is harmless.
    if (stopping.TrainingJobStatus === 'Stopping') await sm().send(new StopTrainingJobCommand({ TrainingJobName: 'stop-save-1' }));
    const d = await waitFor(sm(), 'stop-save-1', terminal);
    assert.equal(d.TrainingJobStatus, 'Stopped');
    assert.equal(d.SecondaryStatus, 'Stopped');
    assert.deepEqual(d.SecondaryStatusTransitions!.map((s) => s.Status), ['Starting', 'Downloading', 'Training', 'Stopping', 'Uploading', 'Stopped']);
    assert.equal(d.FailureReason, undefined);
    const model = await fetchArchive(t.s3, 'training-out', 'jobs/stop-save-1/output/model.tar.gz', scratch);
    assert.equal(readFileSync(join(model, 'saved.txt'), 'utf8'), 'saved on SIGTERM');
    await refused(
      sm().send(new StopTrainingJobCommand({ TrainingJobName: 'stop-save-1' })),
      'ValidationException',
      'The request was rejected because the training job is in status Stopped.',
    );
  });

  it('StopTrainingJob on an algorithm that ignores SIGTERM: SIGKILL after the grace period, still Stopped', async () => {
    await sm().send(new CreateTrainingJobCommand(jobInput('stop-kill-1', 'ignore-term')));
    await waitLog('stop-kill-1', /job: training/);
    const asked = Date.now();
    await sm().send(new StopTrainingJobCommand({ TrainingJobName: 'stop-kill-1' }));
    const d = await waitFor(sm(), 'stop-kill-1', terminal);
    assert.ok(Date.now() - asked >= 1000, 'ended before the 1 s grace period');
    assert.equal(d.TrainingJobStatus, 'Stopped');
    await waitLog('stop-kill-1', /job: ignoring SIGTERM/);
    const model = await fetchArchive(t.s3, 'training-out', 'jobs/stop-kill-1/output/model.tar.gz', scratch);
    assert.equal(readFileSync(join(model, 'partial.txt'), 'utf8'), 'partial');
  });

  it('MaxRuntimeInSeconds exceeded: Stopped with secondary status MaxRuntimeExceeded', async () => {
    // 3 s: enough for the program to start and install its SIGTERM handler on a loaded machine.
    await sm().send(new CreateTrainingJobCommand(jobInput('max-runtime-1', 'save-on-term', { StoppingCondition: { MaxRuntimeInSeconds: 3 } })));
    const d = await waitFor(sm(), 'max-runtime-1', terminal);
    assert.equal(d.TrainingJobStatus, 'Stopped');
    assert.equal(d.SecondaryStatus, 'MaxRuntimeExceeded');
    assert.ok(d.TrainingTimeInSeconds! >= 3, String(d.TrainingTimeInSeconds));
    const model = await fetchArchive(t.s3, 'training-out', 'jobs/max-runtime-1/output/model.tar.gz', scratch);
    assert.equal(readFileSync(join(model, 'saved.txt'), 'utf8'), 'saved on SIGTERM');
  });

  it('Stop, Update and Delete answer as AWS for finished, running and missing jobs; List filters, sorts and pages', async () => {
    await sm().send(new CreateTrainingJobCommand(jobInput('Quick-A', 'sleep', {}, { ms: '10' })));
    await sm().send(new CreateTrainingJobCommand(jobInput('quick-b', 'sleep', {}, { ms: '10' })));
    await sm().send(new CreateTrainingJobCommand(jobInput('long-c', 'save-on-term', { Tags: [{ Key: 'team', Value: 'ml' }] })));
    await refused(
      sm().send(new CreateTrainingJobCommand(jobInput('quick-a', 'sleep', {}, { ms: '10' }))),
      'ResourceInUse',
      'Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:us-east-1:000000000000:training-job/quick-a)',
    );
    const done = await waitFor(sm(), 'quick-a', terminal);
    assert.equal(done.TrainingJobStatus, 'Completed', done.FailureReason);
    assert.equal(done.TrainingJobName, 'Quick-A');
    await waitFor(sm(), 'quick-b', terminal);
    await refused(
      sm().send(new StopTrainingJobCommand({ TrainingJobName: 'quick-a' })),
      'ValidationException',
      'The request was rejected because the training job is in status Completed.',
    );
    for (const cmd of [
      new DescribeTrainingJobCommand({ TrainingJobName: 'no-such-job' }),
      new StopTrainingJobCommand({ TrainingJobName: 'no-such-job' }),
      new DeleteTrainingJobCommand({ TrainingJobName: 'no-such-job' }),
      new UpdateTrainingJobCommand({ TrainingJobName: 'no-such-job', ResourceConfig: { KeepAlivePeriodInSeconds: 60 } }),
    ]) {
      await refused(sm().send(cmd as never), 'ValidationException', 'Requested resource not found.');
    }
    await waitFor(sm(), 'long-c', (d) => d.SecondaryStatus === 'Training');
    const upd = await sm().send(
      new UpdateTrainingJobCommand({ TrainingJobName: 'long-c', ProfilerConfig: { ProfilingIntervalInMilliseconds: 500 }, ResourceConfig: { KeepAlivePeriodInSeconds: 120 } }),
    );
    assert.equal(upd.TrainingJobArn, 'arn:aws:sagemaker:us-east-1:000000000000:training-job/long-c');
    const updated = await sm().send(new DescribeTrainingJobCommand({ TrainingJobName: 'long-c' }));
    assert.equal(updated.ProfilerConfig!.ProfilingIntervalInMilliseconds, 500);
    assert.equal(updated.ResourceConfig!.KeepAlivePeriodInSeconds, 120);
    assert.equal(updated.ResourceConfig!.InstanceType, 'ml.m5.large');
    await refused(sm().send(new DeleteTrainingJobCommand({ TrainingJobName: 'long-c' })), 'ResourceInUse', /in status InProgress/);

    const tags = await sm().send(new ListTagsCommand({ ResourceArn: updated.TrainingJobArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ml' }]);
    await sm().send(new AddTagsCommand({ ResourceArn: updated.TrainingJobArn, Tags: [{ Key: 'stage', Value: 'dev' }] }));
    assert.equal((await sm().send(new ListTagsCommand({ ResourceArn: updated.TrainingJobArn }))).Tags!.length, 2);

    const list = async (input: object) =>
      (await sm().send(new ListTrainingJobsCommand({ MaxResults: 100, NameContains: 'quick', ...input }))).TrainingJobSummaries!;
    const byName = await list({ SortBy: 'Name', SortOrder: 'Ascending' });
    assert.deepEqual(byName.map((s) => s.TrainingJobName), ['Quick-A', 'quick-b']);
    assert.equal(byName[0]!.TrainingJobStatus, 'Completed');
    assert.equal(byName[0]!.SecondaryStatus, 'Completed');
    assert.ok(byName[0]!.TrainingEndTime instanceof Date);
    const newest = await list({});
    assert.deepEqual(newest.map((s) => s.TrainingJobName), ['quick-b', 'Quick-A']);
    const inProgress = (await sm().send(new ListTrainingJobsCommand({ StatusEquals: 'InProgress', NameContains: 'long-c' }))).TrainingJobSummaries!;
    assert.deepEqual(inProgress.map((s) => s.TrainingJobName), ['long-c']);
    assert.deepEqual(await list({ StatusEquals: 'Failed' }), []);
    const page1 = await sm().send(new ListTrainingJobsCommand({ MaxResults: 1, NameContains: 'quick', SortBy: 'CreationTime', SortOrder: 'Ascending' }));
    assert.equal(page1.TrainingJobSummaries![0]!.TrainingJobName, 'Quick-A');
    const page2 = await sm().send(
      new ListTrainingJobsCommand({ MaxResults: 1, NameContains: 'quick', SortBy: 'CreationTime', SortOrder: 'Ascending', NextToken: page1.NextToken }),
    );
    assert.equal(page2.TrainingJobSummaries![0]!.TrainingJobName, 'quick-b');
    const later = await list({ CreationTimeAfter: new Date(Date.now() + 60_000) });
    assert.deepEqual(later, []);

    await sm().send(new StopTrainingJobCommand({ TrainingJobName: 'long-c' }));
    await waitFor(sm(), 'long-c', terminal);
    await sm().send(new DeleteTrainingJobCommand({ TrainingJobName: 'quick-a' }));
    await refused(sm().send(new DescribeTrainingJobCommand({ TrainingJobName: 'Quick-A' })), 'ValidationException', 'Requested resource not found.');
    // The name can be used again after a delete, as in AWS.
    await sm().send(new CreateTrainingJobCommand(jobInput('quick-a', 'sleep', {}, { ms: '10' })));
    assert.equal((await waitFor(sm(), 'quick-a', terminal)).TrainingJobStatus, 'Completed');
  });

  it('refuses what cannot run locally before recording anything', async () => {
    await refused(
      sm().send(new CreateTrainingJobCommand({ ...jobInput('refused-1', 'env'), AlgorithmSpecification: { TrainingInputMode: 'File' } })),
      'ValidationException',
      /Either AlgorithmSpecification.TrainingImage or AlgorithmSpecification.AlgorithmName/,
    );
    await refused(
      sm().send(new CreateTrainingJobCommand(jobInput('refused-1', 'env', { AlgorithmSpecification: { TrainingImage: 'x', TrainingInputMode: 'Pipe' } }))),
      'ValidationException',
      /Pipe is not supported/,
    );
    await refused(
      sm().send(new CreateTrainingJobCommand({ ...jobInput('refused-1', 'env'), RoleArn: 'not-a-role' })),
      'ValidationException',
    );
    await refused(sm().send(new DescribeTrainingJobCommand({ TrainingJobName: 'refused-1' })), 'ValidationException', 'Requested resource not found.');
  });
});
