import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DescribeDatasetCommand,
  DescribeModelCommand,
  DetectAnomaliesCommand,
  StartModelCommand,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { GeneratedImage } from '../../src/domain/lookoutvision/generator.js';
import { lookoutClient, uploadSet, waitFor } from './helpers.js';

/**
 * Slipway keeps every transition in its store: a model HOSTED before a restart is loaded and
 * HOSTED again after it (DetectAnomalies answers at once), and ClientTokens survive too.
 */
describe('Lookout for Vision across a restart', { timeout: 300_000 }, () => {
  let t: TestServer;
  let lv: LookoutVisionClient;
  let images: GeneratedImage[];
  const P = 'restarts';

  before(async () => {
    t = await startTestServer();
    lv = lookoutClient(t);
    images = (await uploadSet(t.s3, 'rs-data', 'set/', { seed: 31, normal: 20, anomalous: 10 })).images;
    await lv.send(new CreateProjectCommand({ ProjectName: P }));
    await lv.send(new CreateDatasetCommand({ ProjectName: P, DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: 'rs-data', Key: 'set/manifest.jsonl' } } } }));
    await waitFor(() => lv.send(new DescribeDatasetCommand({ ProjectName: P, DatasetType: 'train' })), (d) => d.DatasetDescription?.Status === 'CREATE_COMPLETE');
    await lv.send(new CreateModelCommand({ ProjectName: P, OutputConfig: { S3Location: { Bucket: 'rs-data' } } }));
    await waitFor(() => lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' })), (m) => m.ModelDescription?.Status === 'TRAINED', 120_000, 'TRAINED');
  });
  after(async () => {
    lv.destroy();
    await t.close();
  });

  it('a model hosted before a restart is hosted after it and answers DetectAnomalies', async () => {
    const first = await lv.send(new StartModelCommand({ ProjectName: P, ModelVersion: '1', MinInferenceUnits: 1, ClientToken: 'start-1' }));
    assert.equal(first.Status, 'STARTING_HOSTING');
    await waitFor(() => lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' })), (m) => m.ModelDescription?.Status === 'HOSTED');
    const before = (await lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/png', Body: images[25].png }))).DetectAnomalyResult;

    lv.destroy();
    await t.close({ keepData: true });
    t = await startTestServer({ dataDir: t.dataDir });
    lv = lookoutClient(t);

    const m = await lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' }));
    assert.equal(m.ModelDescription?.Status, 'HOSTED');
    const afterRestart = (await lv.send(new DetectAnomaliesCommand({ ProjectName: P, ModelVersion: '1', ContentType: 'image/png', Body: images[25].png }))).DetectAnomalyResult;
    assert.deepEqual(afterRestart, before, 'the same model answers the same way');

    // The ClientToken of the StartModel before the restart still replays its first answer.
    const replay = await lv.send(new StartModelCommand({ ProjectName: P, ModelVersion: '1', MinInferenceUnits: 1, ClientToken: 'start-1' }));
    assert.equal(replay.Status, 'STARTING_HOSTING');
    assert.equal((await lv.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' }))).ModelDescription?.Status, 'HOSTED');
  });
});
