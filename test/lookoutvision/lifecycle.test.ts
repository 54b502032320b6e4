import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  ConflictException,
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DeleteDatasetCommand,
  DeleteModelCommand,
  DeleteProjectCommand,
  DescribeDatasetCommand,
  DescribeModelCommand,
  DescribeProjectCommand,
  DetectAnomaliesCommand,
  ListModelsCommand,
  ListProjectsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  StartModelCommand,
  StartModelPackagingJobCommand,
  StopModelCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { PNG } from 'pngjs';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { encodeJpeg, decodeImage } from '../../src/domain/lookoutvision/image.js';
import { DEFECT_COLORS, type GeneratedImage } from '../../src/domain/lookoutvision/generator.js';
import { lookoutClient, uploadSet, waitFor } from './helpers.js';

/**
 * The user's story end to end through @aws-sdk/client-lookoutvision: images and Ground Truth
 * manifests uploaded to S3, a project with train and test datasets, a model trained on them
 * (the generated benchmark: 100 normal + 30 anomalous parts per set, 64×64), hosted,
 * asked about normal and defective parts, stopped and deleted.
 */
describe('Lookout for Vision lifecycle (SDK)', { timeout: 600_000 }, () => {
  let t: TestServer;
  let lv: LookoutVisionClient;
  let testImages: GeneratedImage[];
  const P = 'parts';

  before(async () => {
    t = await startTestServer();
    lv = lookoutClient(t);
    await uploadSet(t.s3, 'lv-data', 'train/', { seed: 11, masks: true });
    testImages = (await uploadSet(t.s3, 'lv-data', 'test/', { seed: 12, masks: true })).images;
  });
  after(async () => {
    lv.destroy();
    await t.close();
  });

  it('creates a project and finds it in DescribeProject and ListProjects', async () => {
    const out = await lv.send(new CreateProjectCommand({ ProjectName: P }));
    assert.equal(out.ProjectMetadata?.ProjectName, P);
    assert.equal(out.ProjectMetadata?.ProjectArn, 'arn:aws:lookoutvision:us-east-1:000000000000:project/parts'.replace('000000000000', out.ProjectMetadata!.ProjectArn!.split(':')[4]));
    assert.ok(out.ProjectMetadata?.CreationTimestamp instanceof Date);
    await assert.rejects(lv.send(new CreateProjectCommand({ ProjectName: P })), (e) => e instanceof ConflictException && e.ResourceType === 'PROJECT');
    const list = await lv.send(new ListProjectsCommand({}));
    assert.deepEqual(list.Projects?.map((p) => p.ProjectName), [P]);
  });

  it('creates train and test datasets from manifests and reports their image statistics', async () => {
    for (const [type, prefix] of [['train', 'train/'], ['test', 'test/']] as const) {
      const out = await lv.send(
        new CreateDatasetCommand({
          ProjectName: P,
          DatasetType: type,
          DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: 'lv-data', Key: `${prefix}manifest.jsonl` } } },
        }),
      );
      assert.equal(out.$metadata.httpStatusCode, 202);
      assert.equal(out.DatasetMetadata?.Status, 'CREATE_IN_PROGRESS');
    }
    for (const type of ['train', 'test']) {
      const d = await waitFor(
        () => lv.send(new DescribeDatasetCommand({ ProjectName: P, DatasetType: type })),
        (d) => d.DatasetDescription?.Status !== 'CREATE_IN_PROGRESS',
      );
      assert.equal(d.DatasetDescription?.Status, 'CREATE_COMPLETE', d.DatasetDescription?.StatusMessage);
      assert.deepEqual(d.DatasetDescription?.ImageStats, { Total: 130, Labeled: 130, Normal: 100, Anomaly: 30 });
    }
    const p = await lv.send(new DescribeProjectCommand({ ProjectName: P }));
    assert.deepEqual(p.ProjectDescription?.Datasets?.map((d) => [d.DatasetType, d.Status]), [['train', 'CREATE_COMPLETE'], ['test', 'CREATE_COMPLETE']]);
  });

  it('trains a model to TRAINED with F1 ≥ 0.9 on the test set and writes the evaluation files', async () => {
    const out = await lv.send(
      new CreateModelCommand({ ProjectName: P, Description: 'flange-v1', OutputConfig: { S3Location: { Bucket: 'lv-data', Prefix: 'out/' } }, Tags: [{ Key: 'line', Value: 'A' }] }),
    );
    assert.equal(out.$metadata.httpStatusCode, 202);
    assert.equal(out.ModelMetadata?.ModelVersion, '1');
    assert.equal(out.ModelMetadata?.Status, 'TRAINING');
    const m = await waitFor(
      () => lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' })),
      (m) => m.ModelDescription?.Status !== 'TRAINING',
      300_000,
      'training',
    );
    const d = m.ModelDescription!;
    assert.equal(d.Status, 'TRAINED', d.StatusMessage);
    console.log(`# F1 ${d.Performance?.F1Score} precision ${d.Performance?.Precision} recall ${d.Performance?.Recall}`);
    assert.ok(d.Performance!.F1Score! >= 0.9, `F1 ${d.Performance?.F1Score}`);
    assert.deepEqual(d.EvaluationResult, { Bucket: 'lv-data', Key: 'out/EvaluationResult-parts-1.json' });
    assert.deepEqual(d.EvaluationManifest, { Bucket: 'lv-data', Key: 'out/EvaluationManifest-parts-1.json' });
    const res = JSON.parse(await (await t.s3.send(new GetObjectCommand({ Bucket: 'lv-data', Key: 'out/EvaluationResult-parts-1.json' }))).Body!.transformToString());
    assert.equal(res.performance.f1_score, d.Performance?.F1Score);
    assert.equal(res.evaluation_details.number_of_testing_images, 130);
    const lines = (await (await t.s3.send(new GetObjectCommand({ Bucket: 'lv-data', Key: 'out/EvaluationManifest-parts-1.json' }))).Body!.transformToString()).trim().split('\n');
    assert.equal(lines.length, 130);
    const models = await lv.send(new ListModelsCommand({ ProjectName: P }));
    assert.deepEqual(models.Models?.map((x) => [x.ModelVersion, x.Status]), [['1', 'TRAINED']]);
  });

  it('tags the model', async () => {
    const arn = (await lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: 'latest' }))).ModelDescription!.ModelArn!;
    await lv.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'owner', Value: 'qa' }] }));
    await lv.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['line'] }));
    assert.deepEqual((await lv.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags, [{ Key: 'owner', Value: 'qa' }]);
    await assert.rejects(lv.send(new ListTagsForResourceCommand({ ResourceArn: arn.replace(/\/1$/, '/9') })), ResourceNotFoundException);
  });

  it('refuses DetectAnomalies before the model is hosted', async () => {
    await assert.rejects(
      lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/png', Body: testImages[0].png })),
      (e) => e instanceof ConflictException && e.ResourceType === 'MODEL',
    );
  });

  it('hosts the model (STARTING_HOSTING → HOSTED) and detects anomalies on normal and defective parts', async () => {
    const s = await lv.send(new StartModelCommand({ ProjectName: P, ModelVersion: '1', MinInferenceUnits: 1, MaxInferenceUnits: 2 }));
    assert.equal(s.$metadata.httpStatusCode, 202);
    assert.equal(s.Status, 'STARTING_HOSTING');
    await assert.rejects(lv.send(new DeleteModelCommand({ ProjectName: P, ModelVersion: '1' })), ConflictException);
    const m = await waitFor(() => lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' })), (m) => m.ModelDescription?.Status === 'HOSTED');
    assert.equal(m.ModelDescription?.MinInferenceUnits, 1);
    assert.equal(m.ModelDescription?.MaxInferenceUnits, 2);

    let correct = 0;
    const sample = [...testImages.slice(0, 10), ...testImages.slice(100, 110)];
    for (const im of sample) {
      const r = (await lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/png', Body: im.png }))).DetectAnomalyResult!;
      assert.equal(r.Source?.Type, 'direct');
      assert.ok(r.Confidence! >= 0.5 && r.Confidence! <= 1);
      if (r.IsAnomalous === im.anomalous) correct++;
      // A segmentation model (the manifest has masks): background first, then the anomaly types found.
      assert.equal(r.Anomalies?.[0].Name, 'background');
      const mask = PNG.sync.read(Buffer.from(r.AnomalyMask!));
      assert.equal(mask.width, 64);
      if (!im.anomalous) assert.equal(r.Anomalies?.length, 1, `${im.name} has no anomaly area`);
      if (im.anomalous && r.IsAnomalous) {
        assert.ok(r.Anomalies!.length > 1, `${im.name}: anomaly types found`);
        const colors = new Set(Object.values(DEFECT_COLORS));
        for (const a of r.Anomalies!.slice(1)) assert.ok(colors.has(a.PixelAnomaly!.Color!), a.PixelAnomaly!.Color);
        const area = r.Anomalies!.reduce((s, a) => s + a.PixelAnomaly!.TotalPercentageArea!, 0);
        assert.ok(Math.abs(area - 1) < 1e-3, `areas sum to the whole image (${area})`);
      }
    }
    assert.ok(correct >= 18, `${correct}/20 correct`);

    // JPEG works too; wrong size and wrong type are ValidationException.
    const img = decodeImage(testImages[1].png);
    const jpg = await lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: 'latest', ContentType: 'image/jpeg', Body: encodeJpeg(img, 95) }));
    assert.equal(typeof jpg.DetectAnomalyResult?.IsAnomalous, 'boolean');
    const big = new PNG({ width: 96, height: 96 });
    big.data.fill(200);
    await assert.rejects(
      lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/png', Body: PNG.sync.write(big) })),
      (e) => e instanceof ValidationException && /96x96.*64x64/.test(e.message),
    );
    await assert.rejects(lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/gif', Body: testImages[0].png })), (e) => e instanceof ValidationException && e.message === 'content-type must be one of the following. image/jpeg, image/png');
    await assert.rejects(lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/png', Body: Buffer.from('not an image') })), ValidationException);
  });

  it('answers model packaging jobs with a documented error (no Greengrass)', async () => {
    await assert.rejects(
      lv.send(new StartModelPackagingJobCommand({ ProjectName: P, ModelVersion: '1', Configuration: { Greengrass: { ComponentName: 'c', S3OutputLocation: { Bucket: 'lv-data' } } } })),
      (e) => e instanceof ValidationException && /Greengrass/.test(e.message),
    );
  });

  it('stops the model (STOPPING_HOSTING → TRAINED) and deletes model, datasets and project', async () => {
    const s = await lv.send(new StopModelCommand({ ProjectName: P, ModelVersion: '1' }));
    assert.equal(s.$metadata.httpStatusCode, 202);
    assert.equal(s.Status, 'STOPPING_HOSTING');
    await waitFor(() => lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' })), (m) => m.ModelDescription?.Status === 'TRAINED');
    await assert.rejects(lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/png', Body: testImages[0].png })), ConflictException);
    await assert.rejects(lv.send(new DeleteProjectCommand({ ProjectName: P })), (e) => e instanceof ConflictException && e.ResourceType === 'PROJECT');
    const del = await lv.send(new DeleteModelCommand({ ProjectName: P, ModelVersion: '1' }));
    assert.equal(del.$metadata.httpStatusCode, 202);
    assert.match(del.ModelArn!, /:model\/parts\/1$/);
    await waitFor(() => lv.send(new ListModelsCommand({ ProjectName: P })), (l) => l.Models?.length === 0);
    await lv.send(new DeleteDatasetCommand({ ProjectName: P, DatasetType: 'train' }));
    await lv.send(new DeleteDatasetCommand({ ProjectName: P, DatasetType: 'test' }));
    const gone = await lv.send(new DeleteProjectCommand({ ProjectName: P }));
    assert.match(gone.ProjectArn!, /:project\/parts$/);
    await assert.rejects(lv.send(new DescribeProjectCommand({ ProjectName: P })), (e) => e instanceof ResourceNotFoundException && e.ResourceType === 'PROJECT' && e.ResourceId === P);
  });
});
