import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CreateEndpointCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, runtimeClient, variant } from '../helpers/hosting.js';

/** A bring-your-own model server (mapped through images.json) that misbehaves on request. */
const MODEL = `
import { createServer } from 'node:http';
createServer((req, res) => {
  if (req.url === '/ping') return res.end('ok');
  // Answers a TargetModel call if one ever reaches it (Slipway must refuse those first).
  if (req.headers['x-amzn-sagemaker-target-model'] !== undefined) return res.end('TARGETED');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    if (body === 'fail') { res.writeHead(400, { 'Content-Type': 'text/plain' }); return res.end('bad input: fail'); }
    if (body === 'crash') { res.writeHead(500); return res.end('Worker died.'); }
    if (body === 'slow') return; // never answers
    res.writeHead(200, {
      'Content-Type': 'application/x-answer',
      'X-Amzn-SageMaker-Custom-Attributes': 'seen=' + (req.headers['x-amzn-sagemaker-custom-attributes'] ?? '') + ';id=' + (req.headers['x-amzn-sagemaker-inference-id'] ?? '') + ';accept=' + (req.headers['accept'] ?? ''),
    });
    res.end(body.toUpperCase());
  });
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

describe('InvokeEndpoint errors and pass-through, with a bring-your-own model server', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  before(async () => {
    t = await startTestServer({ env: { ...HOSTING_ENV, SLIPWAY_INVOCATION_TIMEOUT_SECONDS: '1' } });
    rt = runtimeClient(t);
    writeFileSync(join(t.dataDir, 'model.mjs'), MODEL);
    writeFileSync(join(t.dataDir, 'images.json'), JSON.stringify({ images: [{ image: 'example.com/picky:*', command: [process.execPath, 'model.mjs'] }] }));
    await createEchoModel(t.sagemaker, 'picky', { Image: 'example.com/picky:1' });
    await createConfig(t.sagemaker, 'picky', [variant('Main', 'picky')]);
    const d = await createEndpoint(t.sagemaker, 'picky', 'picky');
    assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('passes CustomAttributes, InferenceId and Accept to the model and its CustomAttributes and Content-Type back', async () => {
    const out = await rt.send(
      new InvokeEndpointCommand({ EndpointName: 'picky', Body: Buffer.from('hello'), CustomAttributes: 'trace=7', InferenceId: 'inf-9', Accept: 'application/x-answer' }),
    );
    assert.equal(Buffer.from(out.Body!).toString(), 'HELLO');
    assert.equal(out.ContentType, 'application/x-answer');
    assert.equal(out.CustomAttributes, 'seen=trace=7;id=inf-9;accept=application/x-answer');
    assert.equal(out.InvokedProductionVariant, 'Main');
  });

  it('a 4xx from the model is a ModelError 424 with OriginalStatusCode, OriginalMessage and LogStreamArn', async () => {
    await assert.rejects(rt.send(new InvokeEndpointCommand({ EndpointName: 'picky', Body: Buffer.from('fail') })), (e: any) => {
      assert.equal(e.name, 'ModelError');
      assert.equal(e.$metadata.httpStatusCode, 424);
      assert.equal(e.OriginalStatusCode, 400);
      assert.equal(e.OriginalMessage, 'bad input: fail');
      assert.match(e.message, /^Received client error \(400\) from primary with message "bad input: fail"\. See https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/.*\/aws\/sagemaker\/Endpoints\/picky in account 000000000000 for more information\.$/);
      assert.match(e.LogStreamArn, /^arn:aws:logs:us-east-1:000000000000:log-group:\/aws\/sagemaker\/Endpoints\/picky:log-stream:Main\/i-[0-9a-f]+$/);
      return true;
    });
    await assert.rejects(rt.send(new InvokeEndpointCommand({ EndpointName: 'picky', Body: Buffer.from('crash') })), (e: any) => {
      assert.equal(e.name, 'ModelError');
      assert.match(e.message, /^Received server error \(500\) from primary with message "Worker died\."/);
      return true;
    });
  });

  it('a model that does not answer within the invocation timeout is a ModelError saying so', async () => {
    const started = Date.now();
    await assert.rejects(rt.send(new InvokeEndpointCommand({ EndpointName: 'picky', Body: Buffer.from('slow') })), (e: any) => {
      assert.equal(e.name, 'ModelError');
      assert.match(e.message, /Your invocation timed out while waiting for a response from container primary/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
    // The endpoint still serves afterwards.
    const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'picky', Body: Buffer.from('ok') }));
    assert.equal(Buffer.from(out.Body!).toString(), 'OK');
  });

  it('TargetModel on a single-model endpoint is AWS\'s ValidationError and never reaches the model; on an unknown endpoint, not found', async () => {
    await assert.rejects(rt.send(new InvokeEndpointCommand({ EndpointName: 'picky', Body: Buffer.from('x'), TargetModel: 'model-a.tar.gz' })), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, 'Endpoint picky is not a multi-model endpoint and does not support target model header.');
      return true;
    });
    await assert.rejects(rt.send(new InvokeEndpointCommand({ EndpointName: 'nowhere', Body: Buffer.from('x'), TargetModel: 'model-a.tar.gz' })), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.message, 'Endpoint nowhere of account 000000000000 not found.');
      return true;
    });
    const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'picky', Body: Buffer.from('still') }));
    assert.equal(Buffer.from(out.Body!).toString(), 'STILL');
  });

  it('CreateEndpoint refuses a model with Mode MultiModel (not hosted here) and creates nothing', async () => {
    await t.sagemaker.send(
      new CreateModelCommand({ ModelName: 'mme', PrimaryContainer: { Image: 'example.com/picky:1', Mode: 'MultiModel', ModelDataUrl: 's3://models/mme/' }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/R' }),
    );
    await createConfig(t.sagemaker, 'mme', [variant('Main', 'mme')]);
    await assert.rejects(t.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'mme', EndpointConfigName: 'mme' })), (e: any) => {
      assert.equal(e.name, 'ValidationException');
      assert.match(e.message, /^Model "arn:aws:sagemaker:us-east-1:000000000000:model\/mme" uses Mode MultiModel: multi-model endpoints are not supported by Slipway/);
      return true;
    });
    await assert.rejects(t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'mme' })), (e: any) => e.name === 'ValidationException' && /Could not find endpoint/.test(e.message));
  });
});
