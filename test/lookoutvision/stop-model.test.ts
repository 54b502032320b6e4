import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConflictException,
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DescribeDatasetCommand,
  DescribeModelCommand,
  LookoutVisionClient,
  ResourceNotFoundException,
  StartModelCommand,
  StopModelCommand,
  ValidationException,
} from '@aws-sdk/client-lookoutvision';
import { credentials, region, startTestServer, type TestServer } from '../helpers/server.js';
import { lookoutClient, uploadSet, waitFor } from './helpers.js';

const EIGHT_HOURS = 8 * 60 * 60 * 1000;

/**
 * StopModel as AWS documents it: 202 with the model's status (STOPPING_HOSTING), then
 * TRAINED; ProjectName/ModelVersion/ClientToken checked against the model's constraints
 * (400); unknown project or version → ResourceNotFoundException (404, ResourceId +
 * ResourceType); a model that is not hosted → ConflictException (409); a ClientToken repeats
 * the first answer without stopping anything again, refuses other parameters, and expires
 * after 8 hours.
 */
describe('StopModel', { timeout: 300_000 }, () => {
  let t: TestServer;
  let lv: LookoutVisionClient;
  const P = 'stopper';
  const describeStatus = async (c: LookoutVisionClient = lv) => (await c.send(new DescribeModelCommand({ ProjectName: P, ModelVersion: '1' }))).ModelDescription!.Status;
  const host = async () => {
    await lv.send(new StartModelCommand({ ProjectName: P, ModelVersion: '1', MinInferenceUnits: 1 }));
    await waitFor(() => describeStatus(), (s) => s === 'HOSTED', 60_000, 'HOSTED');
  };

  before(async () => {
    t = await startTestServer();
    lv = lookoutClient(t);
    // One dataset of 20 normal + 10 anomalous images: the smallest project AWS trains (it splits off a test set).
    await uploadSet(t.s3, 'stop-data', 'set/', { seed: 21, normal: 20, anomalous: 10 });
    await lv.send(new CreateProjectCommand({ ProjectName: P }));
    await lv.send(new CreateDatasetCommand({ ProjectName: P, DatasetType: 'train', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: 'stop-data', Key: 'set/manifest.jsonl' } } } }));
    await waitFor(() => lv.send(new DescribeDatasetCommand({ ProjectName: P, DatasetType: 'train' })), (d) => d.DatasetDescription?.Status === 'CREATE_COMPLETE');
    await lv.send(new CreateModelCommand({ ProjectName: P, OutputConfig: { S3Location: { Bucket: 'stop-data', Prefix: 'out/' } } }));
    await waitFor(() => describeStatus(), (s) => s !== 'TRAINING', 120_000, 'training');
    assert.equal(await describeStatus(), 'TRAINED');
  });
  after(async () => {
    lv.destroy();
    await t.close();
  });

  it('refuses a model that is not hosted with ConflictException (409) naming the model', async () => {
    await assert.rejects(lv.send(new StopModelCommand({ ProjectName: P, ModelVersion: '1' })), (e) => {
      assert.ok(e instanceof ConflictException);
      assert.equal(e.$metadata.httpStatusCode, 409);
      assert.equal(e.ResourceType, 'MODEL');
      assert.equal(e.ResourceId, '1');
      assert.match(e.message, /not hosted \(status TRAINED\)/);
      return true;
    });
  });

  it('answers 404 ResourceNotFoundException for an unknown project or model version', async () => {
    await assert.rejects(lv.send(new StopModelCommand({ ProjectName: 'no-such-project', ModelVersion: '1' })), (e) => {
      assert.ok(e instanceof ResourceNotFoundException);
      assert.equal(e.$metadata.httpStatusCode, 404);
      assert.equal(e.ResourceType, 'PROJECT');
      assert.equal(e.ResourceId, 'no-such-project');
      return true;
    });
    await assert.rejects(lv.send(new StopModelCommand({ ProjectName: P, ModelVersion: '42' })), (e) => {
      assert.ok(e instanceof ResourceNotFoundException);
      assert.equal(e.ResourceType, 'MODEL');
      assert.equal(e.ResourceId, '42');
      return true;
    });
  });

  for (const [what, input, member] of [
    ['a ProjectName that breaks the pattern', { ProjectName: '-parts', ModelVersion: '1' }, 'projectName'],
    ['a ProjectName longer than 255', { ProjectName: 'p'.repeat(256), ModelVersion: '1' }, 'projectName'],
    ['a ModelVersion of 0', { ProjectName: P, ModelVersion: '0' }, 'modelVersion'],
    ['a ModelVersion that is not a number or latest', { ProjectName: P, ModelVersion: 'newest' }, 'modelVersion'],
    ['a ModelVersion longer than 10', { ProjectName: P, ModelVersion: '12345678901' }, 'modelVersion'],
    ['a ClientToken with other characters', { ProjectName: P, ModelVersion: '1', ClientToken: 'tok_1!' }, 'clientToken'],
    ['a ClientToken longer than 64', { ProjectName: P, ModelVersion: '1', ClientToken: 'a'.repeat(65) }, 'clientToken'],
  ] as const) {
    it(`answers 400 ValidationException for ${what}`, async () => {
      await assert.rejects(lv.send(new StopModelCommand(input)), (e) => {
        assert.ok(e instanceof ValidationException, String(e));
        assert.equal(e.$metadata.httpStatusCode, 400);
        assert.match(e.message, new RegExp(member, 'i'));
        return true;
      });
    });
  }

  it('stops a hosted model: 202 STOPPING_HOSTING, then TRAINED', async () => {
    await host();
    const out = await lv.send(new StopModelCommand({ ProjectName: P, ModelVersion: 'latest', ClientToken: 'stop-1' }));
    assert.equal(out.$metadata.httpStatusCode, 202);
    assert.equal(out.Status, 'STOPPING_HOSTING');
    assert.equal(await describeStatus(), 'STOPPING_HOSTING');
    // Stopping again while it stops is a conflict (a new token is a new call).
    await assert.rejects(lv.send(new StopModelCommand({ ProjectName: P, ModelVersion: '1' })), ConflictException);
    await waitFor(() => describeStatus(), (s) => s === 'TRAINED', 60_000, 'TRAINED');
  });

  it('replays the first answer for the same ClientToken and parameters, and stops nothing twice', async () => {
    await host();
    const again = await lv.send(new StopModelCommand({ ProjectName: P, ModelVersion: 'latest', ClientToken: 'stop-1' }));
    assert.equal(again.$metadata.httpStatusCode, 202);
    assert.equal(again.Status, 'STOPPING_HOSTING');
    assert.equal(await describeStatus(), 'HOSTED', 'the replay did not stop the re-hosted model');
  });

  it('refuses the same ClientToken with other parameters', async () => {
    await assert.rejects(lv.send(new StopModelCommand({ ProjectName: P, ModelVersion: '1', ClientToken: 'stop-1' })), (e) => {
      assert.ok(e instanceof ConflictException);
      assert.match(e.message, /ClientToken stop-1 was already used/);
      return true;
    });
    assert.equal(await describeStatus(), 'HOSTED');
  });

  it('treats a ClientToken as new after 8 hours (time from the injected clock)', async () => {
    const clock = t.slipway.services.clock;
    const realNow = clock.now;
    const skew = EIGHT_HOURS + 1000;
    clock.now = () => realNow() + skew;
    // The client's clock moves too, or SigV4 would refuse the request as skewed.
    const later = new LookoutVisionClient({ endpoint: t.url, region, credentials, maxAttempts: 1, systemClockOffset: skew });
    try {
      const out = await later.send(new StopModelCommand({ ProjectName: P, ModelVersion: '1', ClientToken: 'stop-1' }));
      assert.equal(out.Status, 'STOPPING_HOSTING');
      assert.equal(await describeStatus(later), 'STOPPING_HOSTING', 'this time the model really stops');
    } finally {
      later.destroy();
      clock.now = realNow;
    }
    await waitFor(() => describeStatus(), (s) => s === 'TRAINED', 60_000, 'TRAINED');
  });
});
