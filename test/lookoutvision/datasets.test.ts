import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ConflictException,
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DeleteDatasetCommand,
  DescribeDatasetCommand,
  DescribeModelCommand,
  ListDatasetEntriesCommand,
  ResourceNotFoundException,
  UpdateDatasetEntriesCommand,
  ValidationException,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { generateSet } from '../../src/domain/lookoutvision/generator.js';
import { lookoutClient, uploadSet, waitFor } from './helpers.js';

const line = (ref: string, cls?: 'normal' | 'anomaly') =>
  JSON.stringify({
    'source-ref': ref,
    ...(cls ? { 'anomaly-label': cls === 'anomaly' ? 1 : 0, 'anomaly-label-metadata': { 'class-name': cls, type: 'groundtruth/image-classification' } } : {}),
  });

describe('Lookout for Vision datasets', { timeout: 300_000 }, () => {
  let t: TestServer;
  let lv: LookoutVisionClient;
  const B = 'ds-data';
  const status = (p: string, type = 'train') => lv.send(new DescribeDatasetCommand({ ProjectName: p, DatasetType: type }));
  const settled = (p: string, type = 'train') => waitFor(() => status(p, type), (d) => !/IN_PROGRESS/.test(d.DatasetDescription!.Status!));

  before(async () => {
    t = await startTestServer();
    lv = lookoutClient(t);
    await uploadSet(t.s3, B, 'a/', { seed: 41, normal: 12, anomalous: 6 });
    for (const p of ['entries', 'bad', 'few', 'mixed']) await lv.send(new CreateProjectCommand({ ProjectName: p }));
  });
  after(async () => {
    lv.destroy();
    await t.close();
  });

  it('refuses datasets for unknown projects and a second dataset of a type', async () => {
    await assert.rejects(lv.send(new CreateDatasetCommand({ ProjectName: 'nope', DatasetType: 'train' })), (e) => e instanceof ResourceNotFoundException && e.ResourceType === 'PROJECT');
    await lv.send(new CreateDatasetCommand({ ProjectName: 'entries', DatasetType: 'test' }));
    assert.equal((await status('entries', 'test')).DatasetDescription?.Status, 'CREATE_COMPLETE', 'an empty dataset is complete at once');
    await assert.rejects(lv.send(new CreateDatasetCommand({ ProjectName: 'entries', DatasetType: 'test' })), (e) => e instanceof ConflictException && e.ResourceType === 'DATASET');
    await lv.send(new DeleteDatasetCommand({ ProjectName: 'entries', DatasetType: 'test' }));
    await assert.rejects(status('entries', 'test'), (e) => e instanceof ResourceNotFoundException && e.ResourceType === 'DATASET');
  });

  it('lists entries with the labeled, anomalyClass, sourceRefContains and date filters, page by page', async () => {
    await lv.send(new CreateDatasetCommand({ ProjectName: 'entries', DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: B, Key: 'a/manifest.jsonl' } } } }));
    const d = await settled('entries');
    assert.equal(d.DatasetDescription?.Status, 'CREATE_COMPLETE');
    assert.deepEqual(d.DatasetDescription?.ImageStats, { Total: 18, Labeled: 18, Normal: 12, Anomaly: 6 });
    const list = async (input: Partial<ConstructorParameters<typeof ListDatasetEntriesCommand>[0]>) => {
      const out: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await lv.send(new ListDatasetEntriesCommand({ ProjectName: 'entries', DatasetType: 'train', MaxResults: 5, ...input, NextToken }));
        assert.ok(page.DatasetEntries!.length <= 5);
        out.push(...page.DatasetEntries!);
        NextToken = page.NextToken;
      } while (NextToken);
      return out.map((l) => JSON.parse(l));
    };
    assert.equal((await list({})).length, 18);
    const anomalies = await list({ AnomalyClass: 'anomaly' });
    assert.equal(anomalies.length, 6);
    assert.ok(anomalies.every((e) => e['anomaly-label-metadata']['class-name'] === 'anomaly'));
    assert.equal((await list({ AnomalyClass: 'normal' })).length, 12);
    assert.equal((await list({ SourceRefContains: 'spot' })).length, 2);
    assert.equal((await list({ Labeled: false })).length, 0);
    const created = Date.now();
    assert.equal((await list({ BeforeCreationDate: new Date(created + 60_000) })).length, 18);
    assert.equal((await list({ AfterCreationDate: new Date(created + 60_000) })).length, 0);

    // UpdateDatasetEntries: one image relabelled, one unlabeled image added.
    const extra = generateSet({ seed: 99, normal: 1, anomalous: 0 })[0];
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: 'a/extra.png', Body: extra.png }));
    const changes = [line(`s3://${B}/a/normal-000.png`, 'anomaly'), line(`s3://${B}/a/extra.png`)].join('\n');
    const up = await lv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'entries', DatasetType: 'train', Changes: Buffer.from(changes) }));
    assert.equal(up.$metadata.httpStatusCode, 202);
    assert.equal(up.Status, 'UPDATE_IN_PROGRESS');
    const u = await settled('entries');
    assert.equal(u.DatasetDescription?.Status, 'UPDATE_COMPLETE');
    assert.deepEqual(u.DatasetDescription?.ImageStats, { Total: 19, Labeled: 18, Normal: 11, Anomaly: 7 });
    const unlabeled = await list({ Labeled: false });
    assert.deepEqual(unlabeled.map((e) => e['source-ref']), [`s3://${B}/a/extra.png`]);
    assert.equal((await list({ AfterCreationDate: new Date(created - 1) , AnomalyClass: 'anomaly', SourceRefContains: 'normal-000' })).length, 1);
  });

  it('rejects malformed UpdateDatasetEntries lines and rolls back when an image is missing', async () => {
    await assert.rejects(
      lv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'entries', DatasetType: 'train', Changes: Buffer.from('{"source-ref": 5}') })),
      (e) => e instanceof ValidationException && /line 1/.test(e.message),
    );
    await lv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'entries', DatasetType: 'train', Changes: Buffer.from(line(`s3://${B}/a/ghost.png`, 'normal')) }));
    const d = await settled('entries');
    assert.equal(d.DatasetDescription?.Status, 'UPDATE_FAILED_ROLLBACK_COMPLETE');
    assert.match(d.DatasetDescription!.StatusMessage!, /ghost\.png does not exist/);
    assert.equal(d.DatasetDescription?.ImageStats?.Total, 19, 'the dataset is unchanged');
  });

  it('fails dataset creation with the reason when the manifest is bad', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad.manifest', Body: `${line(`s3://${B}/a/normal-001.png`, 'normal')}\n{"source-ref":"s3://${B}/a/normal-002.png","anomaly-label":1,"anomaly-label-metadata":{"class-name":"broken"}}\n` }));
    await lv.send(new CreateDatasetCommand({ ProjectName: 'bad', DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: B, Key: 'bad.manifest' } } } }));
    const d = await settled('bad');
    assert.equal(d.DatasetDescription?.Status, 'CREATE_FAILED');
    assert.match(d.DatasetDescription!.StatusMessage!, /line 2: anomaly-label-metadata.class-name must be 'normal' or 'anomaly'/);
    await lv.send(new DeleteDatasetCommand({ ProjectName: 'bad', DatasetType: 'train' }));
    await lv.send(new CreateDatasetCommand({ ProjectName: 'bad', DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: B, Key: 'missing.manifest' } } } }));
    assert.match((await settled('bad')).DatasetDescription!.StatusMessage!, /missing\.manifest could not be read/);
  });

  it('ends training in TRAINING_FAILED with the reason: too few images, mixed sizes', async () => {
    const train = async (project: string, manifest: string) => {
      await t.s3.send(new PutObjectCommand({ Bucket: B, Key: `${project}.manifest`, Body: manifest }));
      await lv.send(new CreateDatasetCommand({ ProjectName: project, DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: B, Key: `${project}.manifest` } } } }));
      assert.equal((await settled(project)).DatasetDescription?.Status, 'CREATE_COMPLETE');
      await lv.send(new CreateModelCommand({ ProjectName: project, OutputConfig: { S3Location: { Bucket: B } } }));
      return (await waitFor(() => lv.send(new DescribeModelCommand({ ProjectName: project, ModelVersion: '1' })), (m) => m.ModelDescription?.Status !== 'TRAINING')).ModelDescription!;
    };
    const few = await train('few', [0, 1, 2, 3, 4].map((i) => line(`s3://${B}/a/normal-00${i}.png`, 'normal')).join('\n'));
    assert.equal(few.Status, 'TRAINING_FAILED');
    assert.match(few.StatusMessage!, /at least 20 normal and 10 anomalous/);

    // 20 normal + 10 anomalous 64×64 images and one 80×80 normal image.
    const { images } = await uploadSet(t.s3, B, 'm/', { seed: 51, normal: 20, anomalous: 10 });
    const big = generateSet({ seed: 5, normal: 1, anomalous: 0, size: 80 })[0];
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: 'm/big.png', Body: big.png }));
    const lines = [...images.map((im) => line(`s3://${B}/m/${im.name}`, im.anomalous ? 'anomaly' : 'normal')), line(`s3://${B}/m/big.png`, 'normal')];
    const m = await train('mixed', lines.join('\n'));
    assert.equal(m.Status, 'TRAINING_FAILED');
    assert.match(m.StatusMessage!, /^All images must have the same dimensions: /);
    assert.match(m.StatusMessage!, /big\.png is 80x80/);
    assert.match(m.StatusMessage!, /64x64/);
  });
});
