import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { DescribeModelCommand } from '@aws-sdk/client-sagemaker';
import { credentials, region, startTestServer, type TestServer } from '../helpers/server.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const signer = new SignatureV4({ credentials, region, service: 'sagemaker', sha256: Hash.bind(null, 'sha256') });

/**
 * Signs exactly the bytes given with the AWS SDK's own signer and sends them: the SDKs
 * never send a malformed body, so the protocol's error paths need raw requests.
 */
async function post(url: string, target: string, body: string): Promise<Reply> {
  const u = new URL(url);
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: '/',
    query: {},
    headers: { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method: 'POST', path: '/', headers: { ...signed.headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** JSON 1.1 errors: code in the body's `__type` (what botocore reads) and in `x-amzn-ErrorType`. */
function assertError(r: Reply, code: string, status = 400) {
  assert.equal(r.status, status);
  assert.equal(r.headers['content-type'], 'application/x-amz-json-1.1');
  assert.equal(r.headers['x-amzn-errortype'], code);
  assert.ok(r.headers['x-amzn-requestid']);
  const json = JSON.parse(r.body);
  assert.equal(json.__type, code);
  assert.equal(typeof json.message, 'string');
  return json as { __type: string; message: string };
}

describe('JSON 1.1 wire protocol', () => {
  let t: TestServer;
  before(async () => (t = await startTestServer()));
  after(() => t.close());

  it('a correctly signed request succeeds and carries x-amzn-RequestId', async () => {
    const r = await post(t.url, 'SageMaker.ListModels', '{}');
    assert.equal(r.status, 200);
    assert.ok(r.headers['x-amzn-requestid']);
    assert.deepEqual(JSON.parse(r.body), { Models: [] });
  });

  it('a malformed JSON body is a SerializationException (400)', async () => {
    assertError(await post(t.url, 'SageMaker.CreateModel', '{"ModelName": "x",'), 'SerializationException');
  });

  it('a JSON array body is a SerializationException', async () => {
    assertError(await post(t.url, 'SageMaker.ListModels', '[]'), 'SerializationException');
  });

  it('an unknown X-Amz-Target is an UnknownOperationException', async () => {
    assertError(await post(t.url, 'SageMaker.NoSuchOperation', '{}'), 'UnknownOperationException');
    assertError(await post(t.url, 'Other.ListModels', '{}'), 'UnknownOperationException');
  });

  it('unknown members are ignored: the model is created and the member is not echoed', async () => {
    const body = JSON.stringify({
      ModelName: 'with-extra',
      PrimaryContainer: { Image: 'a:1', NestedUnknown: { x: 1 } },
      NotAMember: 'ignored',
      Tags: [],
    });
    const r = await post(t.url, 'SageMaker.CreateModel', body);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { ModelArn: 'arn:aws:sagemaker:us-east-1:000000000000:model/with-extra' });
    const raw = JSON.parse((await post(t.url, 'SageMaker.DescribeModel', '{"ModelName":"with-extra"}')).body);
    assert.equal('NotAMember' in raw, false);
    assert.deepEqual(raw.PrimaryContainer, { Image: 'a:1' }, 'unknown members are dropped at every depth');
    assert.deepEqual(Object.keys(raw).sort(), ['CreationTime', 'EnableNetworkIsolation', 'ModelArn', 'ModelName', 'PrimaryContainer']);
    assert.equal(typeof raw.CreationTime, 'number', 'JSON 1.1 timestamps are epoch seconds');
    assert.ok(Math.abs(raw.CreationTime - Date.now() / 1000) < 60);
    const d = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'with-extra' }));
    assert.equal(d.ModelName, 'with-extra');
  });

  it('unknown members inside an endpoint configuration variant are dropped too', async () => {
    await post(t.url, 'SageMaker.CreateModel', JSON.stringify({ ModelName: 'ec-wire', PrimaryContainer: { Image: 'a:1' } }));
    const body = JSON.stringify({
      EndpointConfigName: 'ec-wire',
      ProductionVariants: [{ VariantName: 'v', ModelName: 'ec-wire', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, Bogus: true }],
    });
    assert.equal((await post(t.url, 'SageMaker.CreateEndpointConfig', body)).status, 200);
    const raw = JSON.parse((await post(t.url, 'SageMaker.DescribeEndpointConfig', '{"EndpointConfigName":"ec-wire"}')).body);
    assert.deepEqual(raw.ProductionVariants, [{ VariantName: 'v', ModelName: 'ec-wire', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }]);
  });
});
