import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import {
  DetectAnomaliesCommand,
  ListDatasetEntriesCommand,
  ListTagsForResourceCommand,
  LookoutVisionClient,
  StopModelCommand,
} from '@aws-sdk/client-lookoutvision';
import { handleRestJson, RawResponse, type RestJsonService } from '../../src/http/restjson.js';
import { parseClaim } from '../../src/http/sigv4.js';
import { AwsError } from '../../src/errors.js';
import { spec } from '../../src/spec/generated/lookoutvision.js';
import { credentials, region, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The REST-JSON protocol layer alone, driven by the real Lookout for Vision SDK: operations
 * here only report what the binding handed them, so every assertion is about the wire.
 */
describe('REST-JSON protocol (bindings from the service model)', () => {
  let t: TestServer;
  let server: Server;
  let client: LookoutVisionClient;
  const seen: Record<string, any> = {};

  const svc: RestJsonService = {
    specName: 'lookoutvision',
    tables: spec,
    signingName: 'lookoutvision',
    pathPrefix: '/2020-11-20/',
    validationCode: 'ValidationException',
    bodyLimit: 1024 * 1024,
    operations: {
      StopModel: (_ctx, input) => ((seen.StopModel = input), { Status: 'STOPPING_HOSTING' }),
      ListDatasetEntries: (_ctx, input) => ((seen.ListDatasetEntries = input), { DatasetEntries: ['{"a":1}'] }),
      ListTagsForResource: (_ctx, input) => ((seen.ListTagsForResource = input), { Tags: [] }),
      DetectAnomalies: (ctx, input) => {
        seen.DetectAnomalies = { ...input, region: ctx.region };
        if (input.ProjectName === 'conflict') {
          throw new AwsError('ConflictException', 'busy', 409, { ResourceId: 'p', ResourceType: 'MODEL' });
        }
        return new RawResponse(200, { 'Content-Type': 'application/json' }, JSON.stringify({ DetectAnomalyResult: { IsAnomalous: true, Confidence: 0.5 } }));
      },
    },
  };

  before(async () => {
    t = await startTestServer();
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const raw = { method: req.method ?? 'GET', rawPath: q < 0 ? url : url.slice(0, q), rawQuery: q < 0 ? '' : url.slice(q + 1), headers: req.headers };
      void handleRestJson(svc, t.slipway.services, req, res, raw, parseClaim(raw), undefined, 'req-1');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    client = new LookoutVisionClient({ endpoint: `http://127.0.0.1:${port}`, region, credentials, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await new Promise((r) => server.close(r));
    await t.close();
  });

  it('binds URI labels and the idempotency header, and answers with the modelled 202', async () => {
    const out = await client.send(new StopModelCommand({ ProjectName: 'parts', ModelVersion: '3', ClientToken: 'tok-1' }));
    assert.equal(out.$metadata.httpStatusCode, 202);
    assert.equal(out.Status, 'STOPPING_HOSTING');
    assert.deepEqual(seen.StopModel, { ProjectName: 'parts', ModelVersion: '3', ClientToken: 'tok-1' });
  });

  it('converts query members to the modelled types (boolean, integer, ISO timestamps)', async () => {
    const before = new Date('2026-01-02T03:04:05Z');
    await client.send(
      new ListDatasetEntriesCommand({ ProjectName: 'parts', DatasetType: 'train', Labeled: true, MaxResults: 7, BeforeCreationDate: before, SourceRefContains: 'a b+c' }),
    );
    assert.deepEqual(seen.ListDatasetEntries, {
      ProjectName: 'parts',
      DatasetType: 'train',
      Labeled: true,
      MaxResults: 7,
      BeforeCreationDate: before.getTime() / 1000,
      SourceRefContains: 'a b+c',
    });
  });

  it('decodes an ARN label after splitting the path, so its encoded slashes stay inside the label', async () => {
    const arn = 'arn:aws:lookoutvision:us-east-1:000000000000:model/parts/1';
    await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    assert.equal(seen.ListTagsForResource.ResourceArn, arn);
  });

  it('hands a blob payload over as bytes with its Content-Type header, and passes raw responses through', async () => {
    const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const out = await client.send(new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '1', ContentType: 'image/png', Body: image }));
    assert.equal(out.DetectAnomalyResult?.IsAnomalous, true);
    assert.ok(Buffer.from(seen.DetectAnomalies.Body).equals(image));
    assert.equal(seen.DetectAnomalies.ContentType, 'image/png');
    assert.equal(seen.DetectAnomalies.region, region);
  });

  it('answers validation failures with the modelled exception and AWS text, before the operation runs', async () => {
    delete seen.StopModel;
    await assert.rejects(client.send(new StopModelCommand({ ProjectName: 'bad name!', ModelVersion: '1' })), (e: any) => {
      assert.equal(e.name, 'ValidationException');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.match(e.message, /^1 validation error detected: Value 'bad name!' at 'projectName' failed to satisfy constraint: Member must satisfy regular expression pattern: /);
      return true;
    });
    assert.equal(seen.StopModel, undefined);
  });

  it('serialises typed errors with x-amzn-ErrorType, status and modelled members', async () => {
    await assert.rejects(
      client.send(new DetectAnomaliesCommand({ ProjectName: 'conflict', ModelVersion: '1', ContentType: 'image/png', Body: Buffer.from([1]) })),
      (e: any) => {
        assert.equal(e.name, 'ConflictException');
        assert.equal(e.$metadata.httpStatusCode, 409);
        assert.equal(e.message, 'busy');
        assert.equal(e.ResourceId, 'p');
        assert.equal(e.ResourceType, 'MODEL');
        return true;
      },
    );
  });

  it('refuses a request signed with a wrong secret with InvalidSignatureException', async () => {
    const port = (server.address() as { port: number }).port;
    const bad = new LookoutVisionClient({ endpoint: `http://127.0.0.1:${port}`, region, credentials: { ...credentials, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    await assert.rejects(bad.send(new StopModelCommand({ ProjectName: 'parts', ModelVersion: '1' })), (e: any) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403);
    bad.destroy();
  });
});
