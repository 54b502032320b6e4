import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DescribeDatasetCommand,
  DescribeModelCommand,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { lookoutClient, uploadSet, waitFor } from './helpers.js';

/**
 * Training decodes and fits 130 images of 256×256 (seconds of CPU). It runs in a worker
 * thread, so the server's event loop (this process: the test server runs in-process) keeps
 * ticking and answering while it trains.
 */
describe('training runs off the request path', { timeout: 300_000 }, () => {
  let t: TestServer;
  let lv: LookoutVisionClient;
  before(async () => {
    t = await startTestServer();
    lv = lookoutClient(t);
    await uploadSet(t.s3, 'big', 'set/', { seed: 71, size: 256 });
    await lv.send(new CreateProjectCommand({ ProjectName: 'big' }));
    await lv.send(new CreateDatasetCommand({ ProjectName: 'big', DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: 'big', Key: 'set/manifest.jsonl' } } } }));
    await waitFor(() => lv.send(new DescribeDatasetCommand({ ProjectName: 'big', DatasetType: 'train' })), (d) => d.DatasetDescription?.Status === 'CREATE_COMPLETE');
  });
  after(async () => {
    lv.destroy();
    await t.close();
  });

  it('keeps the event loop responsive while a model trains', async () => {
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const t0 = performance.now();
    let answered = 0;
    try {
      await lv.send(new CreateModelCommand({ ProjectName: 'big', OutputConfig: { S3Location: { Bucket: 'big' } } }));
      const m = await waitFor(
        async () => (answered++, lv.send(new DescribeModelCommand({ ProjectName: 'big', ModelVersion: '1' }))),
        (m) => m.ModelDescription?.Status !== 'TRAINING',
        240_000,
      );
      assert.equal(m.ModelDescription?.Status, 'TRAINED', m.ModelDescription?.StatusMessage);
    } finally {
      clearInterval(timer);
    }
    const trainMs = performance.now() - t0;
    // The check only means something if training takes long enough to show a stall.
    assert.ok(trainMs > 400, `training took ${trainMs.toFixed(0)} ms`);
    assert.ok(maxGap < trainMs / 3, `the event loop stalled for ${maxGap.toFixed(0)} ms during ${trainMs.toFixed(0)} ms of training`);
    assert.ok(answered >= 5, `${answered} DescribeModel answers during training`);
  });
});
