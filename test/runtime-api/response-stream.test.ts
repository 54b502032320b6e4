import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  InvokeEndpointWithResponseStreamCommand,
  type InvokeEndpointWithResponseStreamCommandInput,
  type InvokeEndpointWithResponseStreamCommandOutput,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { request } from 'node:http';
import { EventStreamCodec, type Message } from '@smithy/core/event-streams';
import { sign } from '../helpers/raw.js';
import type { ProductionObservation } from '../../src/domain/endpoints/controller.js';
import { region, startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, HOSTING_TIMING, runtimeClient, variant } from '../helpers/hosting.js';
import { until } from '../helpers/wait.js';

/** A bring-your-own streaming server that answers with the headers SageMaker passed it, in two parts. */
const HEADERS_MODEL = `
import { createServer } from 'node:http';
createServer((req, res) => {
  if (req.url === '/ping') return res.end('ok');
  req.resume();
  req.on('end', () => {
    if (req.url !== '/invocations-response-stream') { res.writeHead(404); return res.end('streaming only'); }
    if (req.headers['x-amzn-sagemaker-custom-attributes'] === 'never-answer') return;
    res.writeHead(200, { 'Content-Type': 'application/x-seen' });
    res.write(req.headers['accept'] ?? '-');
    setTimeout(() => res.end('|' + (req.headers['content-type'] ?? '-') + '|' + (req.headers['x-amzn-sagemaker-inference-id'] ?? '-') + '|' + (req.headers['x-amzn-sagemaker-custom-attributes'] ?? '-')), 50);
  });
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

interface Streamed {
  out: InvokeEndpointWithResponseStreamCommandOutput;
  parts: Buffer[];
  /** Milliseconds since the call was sent, when each part arrived. */
  at: number[];
  /** The error the SDK raised while iterating, if any. */
  error?: any;
}

describe('InvokeEndpointWithResponseStream through real echo model servers', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  const scope = { account: '000000000000', region };

  /** Sends the command and reads the whole event stream, as an application would. */
  async function stream(input: Partial<InvokeEndpointWithResponseStreamCommandInput>): Promise<Streamed> {
    const t0 = performance.now();
    const out = await rt.send(new InvokeEndpointWithResponseStreamCommand({ EndpointName: 'streamer', Body: Buffer.from('x'), ...input }));
    const parts: Buffer[] = [];
    const at: number[] = [];
    let error: any;
    try {
      for await (const event of out.Body!) {
        assert.ok(event.PayloadPart, `unexpected event ${JSON.stringify(Object.keys(event))}`);
        parts.push(Buffer.from(event.PayloadPart.Bytes!));
        at.push(performance.now() - t0);
      }
    } catch (e) {
      error = e;
    }
    return { out, parts, at, error };
  }

  const outstanding = () =>
    t.slipway.services.controllers.endpoints!.describeInstances(scope, 'streamer').reduce((n, i) => n + i.outstanding, 0);

  before(async () => {
    t = await startTestServer({ env: { ...HOSTING_ENV, SLIPWAY_INVOCATION_TIMEOUT_SECONDS: '3' }, timing: HOSTING_TIMING });
    rt = runtimeClient(t);
    await t.s3.send(new CreateBucketCommand({ Bucket: 'ml-data' }));
    await createEchoModel(t.sagemaker, 'echo');
    // Main takes all traffic; Spare (weight 0) is reachable only through TargetVariant.
    await createConfig(t.sagemaker, 'streamer', [variant('Main', 'echo', 1), variant('Spare', 'echo', 0)], {
      DataCaptureConfig: {
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://ml-data/capture',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
      },
    });
    writeFileSync(join(t.dataDir, 'headers-model.mjs'), HEADERS_MODEL);
    writeFileSync(join(t.dataDir, 'images.json'), JSON.stringify({ images: [{ image: 'example.com/headers:*', command: [process.execPath, 'headers-model.mjs'] }] }));
    await createEchoModel(t.sagemaker, 'headers', { Image: 'example.com/headers:1' });
    await createConfig(t.sagemaker, 'headers', [variant('Only', 'headers')]);
    const [a, b] = await Promise.all([createEndpoint(t.sagemaker, 'streamer', 'streamer'), createEndpoint(t.sagemaker, 'headers', 'headers')]);
    assert.equal(a.EndpointStatus, 'InService', a.FailureReason);
    assert.equal(b.EndpointStatus, 'InService', b.FailureReason);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('relays the model answer as several PayloadPart events that concatenate to it, with the model content type and the invoked variant', async () => {
    const body = 'The quick brown fox jumps over the lazy dog.';
    const s = await stream({ Body: Buffer.from(body), ContentType: 'text/plain', CustomAttributes: 'echo-chunks=4;echo-delay-ms=50' });
    assert.equal(s.error, undefined);
    assert.equal(Buffer.concat(s.parts).toString(), body);
    assert.ok(s.parts.length > 1 && s.parts.length <= 4, `${s.parts.length} parts`);
    assert.equal(s.out.ContentType, 'text/plain');
    assert.equal(s.out.InvokedProductionVariant, 'Main');
    assert.equal(s.out.$metadata.httpStatusCode, 200);
    assert.equal(outstanding(), 0);
  });

  it('the first part arrives while the model is still producing the rest', async () => {
    // Five pieces 300 ms apart: the model needs ≥ 1.2 s. A buffering proxy would deliver
    // every part at the same moment, after the last one was written.
    const s = await stream({ Body: Buffer.from('abcdefghij'), CustomAttributes: 'echo-chunks=5;echo-delay-ms=300' });
    assert.equal(s.error, undefined);
    assert.equal(Buffer.concat(s.parts).toString(), 'abcdefghij');
    assert.ok(s.parts.length >= 3, `${s.parts.length} parts`);
    const spread = s.at[s.at.length - 1]! - s.at[0]!;
    assert.ok(spread >= 900, `parts arrived within ${Math.round(spread)} ms of each other: ${s.at.map(Math.round).join(', ')}`);
  });

  it('custom attributes reach the model and the model custom attributes come back', async () => {
    const s = await stream({ Body: Buffer.from('hi'), CustomAttributes: 'trace=7;echo-chunks=2' });
    assert.equal(s.out.CustomAttributes, 'trace=7;echo-chunks=2');
    assert.equal(Buffer.concat(s.parts).toString(), 'hi');
  });

  it('Accept (sent as X-Amzn-SageMaker-Accept), Content-Type, InferenceId and CustomAttributes reach the container as SageMaker passes them', async () => {
    const s = await stream({ EndpointName: 'headers', Body: Buffer.from('{}'), Accept: 'application/x-seen', ContentType: 'application/json', InferenceId: 'inf-42', CustomAttributes: 'k=v' });
    assert.equal(s.error, undefined);
    assert.equal(Buffer.concat(s.parts).toString(), 'application/x-seen|application/json|inf-42|k=v');
    assert.equal(s.out.ContentType, 'application/x-seen');
    assert.equal(s.out.InvokedProductionVariant, 'Only');
    assert.equal(s.out.CustomAttributes, undefined);
  });

  it('a container that sends nothing within the invocation timeout is a ModelError saying so, and the endpoint still serves', async () => {
    const started = Date.now();
    await assert.rejects(stream({ EndpointName: 'headers', CustomAttributes: 'never-answer' }), (e: any) => {
      assert.equal(e.name, 'ModelError');
      assert.equal(e.$metadata.httpStatusCode, 424);
      assert.match(e.message, /Your invocation timed out while waiting for a response from container primary/);
      return true;
    });
    assert.ok(Date.now() - started < 8000);
    const s = await stream({ EndpointName: 'headers', Accept: 'a/b' });
    assert.match(Buffer.concat(s.parts).toString(), /^a\/b\|/);
  });

  it('TargetVariant pins the call to that variant, even one of weight 0; an unknown one is a ValidationError', async () => {
    for (let i = 0; i < 5; i++) {
      const s = await stream({ Body: Buffer.from(`v${i}`), TargetVariant: 'Spare' });
      assert.equal(s.out.InvokedProductionVariant, 'Spare');
      assert.equal(Buffer.concat(s.parts).toString(), `v${i}`);
    }
    await assert.rejects(stream({ TargetVariant: 'Nope' }), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, 'Variant Nope not found for endpoint streamer of account 000000000000.');
      return true;
    });
  });

  it('an unknown endpoint is a ValidationError naming the endpoint and account', async () => {
    await assert.rejects(stream({ EndpointName: 'nope' }), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, 'Endpoint nope of account 000000000000 not found.');
      return true;
    });
  });

  it('a body over 6 MB is refused with a ValidationError before reaching the model', async () => {
    await assert.rejects(stream({ Body: Buffer.alloc(6 * 1024 * 1024 + 1, 1) }), (e: any) => e.name === 'ValidationError' && e.$metadata.httpStatusCode === 400);
  });

  it('a container that answers 500 is a ModelError 424 with OriginalStatusCode and OriginalMessage, before any event', async () => {
    await assert.rejects(stream({ CustomAttributes: 'echo-status=500' }), (e: any) => {
      assert.equal(e.name, 'ModelError');
      assert.equal(e.$metadata.httpStatusCode, 424);
      assert.equal(e.OriginalStatusCode, 500);
      assert.equal(e.OriginalMessage, 'echo: simulated status 500');
      assert.match(e.message, /^Received server error \(500\) from primary with message "echo: simulated status 500"\./);
      assert.match(e.LogStreamArn, /:log-group:\/aws\/sagemaker\/Endpoints\/streamer:log-stream:Main\/i-[0-9a-f]+$/);
      return true;
    });
    assert.equal(outstanding(), 0);
  });

  it('a container that hangs up mid-stream ends it with a ModelStreamError (StreamBroken) raised while iterating, after the parts it sent', async () => {
    const s = await stream({ Body: Buffer.from('0123456789'), CustomAttributes: 'echo-chunks=5;echo-delay-ms=50;echo-hang-up-after=2' });
    assert.equal(Buffer.concat(s.parts).toString(), '0123');
    assert.ok(s.error, 'the SDK raised no error');
    assert.equal(s.error.name, 'ModelStreamError');
    assert.equal(s.error.ErrorCode, 'StreamBroken');
    assert.match(s.error.message, /stream was broken/);
    assert.equal(outstanding(), 0);
    // The endpoint still serves.
    const ok = await stream({ Body: Buffer.from('after') });
    assert.equal(Buffer.concat(ok.parts).toString(), 'after');
  });

  it('a stream still running at the invocation timeout ends with a ModelStreamError (ModelInvocationTimeExceeded)', async () => {
    // Timeout 3 s; pieces 2 s apart: the third would come at 4 s.
    const s = await stream({ Body: Buffer.from('abc'), CustomAttributes: 'echo-chunks=3;echo-delay-ms=2000' });
    assert.equal(Buffer.concat(s.parts).toString(), 'ab');
    assert.equal(s.error?.name, 'ModelStreamError');
    assert.equal(s.error.ErrorCode, 'ModelInvocationTimeExceeded');
    assert.equal(outstanding(), 0);
  });

  it('a client that stops reading early frees the instance', async () => {
    const out = await rt.send(new InvokeEndpointWithResponseStreamCommand({ EndpointName: 'streamer', Body: Buffer.from('abcdefgh'), CustomAttributes: 'echo-chunks=8;echo-delay-ms=200' }));
    for await (const event of out.Body!) {
      assert.equal(Buffer.from(event.PayloadPart!.Bytes!).toString(), 'a');
      break;
    }
    await until('the instance to be released', async () => (outstanding() === 0 ? true : undefined), 5000);
  });

  it('on the wire: an application/vnd.amazon.eventstream answer of PayloadPart event messages, then a ModelStreamError exception message', async () => {
    const u = new URL(t.url);
    const body = '0123456789';
    const signed = await sign({
      method: 'POST',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: '/endpoints/streamer/invocations-response-stream',
      query: {},
      headers: {
        host: u.host,
        'content-type': 'text/plain',
        'content-length': String(body.length),
        'x-amzn-sagemaker-custom-attributes': 'echo-chunks=5;echo-delay-ms=30;echo-hang-up-after=3',
      },
      body,
    });
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }>((resolve, reject) => {
      const r = request({ host: signed.hostname, port: signed.port, method: 'POST', path: signed.path, headers: signed.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(body);
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.amazon.eventstream');
    assert.equal(res.headers['x-amzn-sagemaker-content-type'], 'text/plain');
    assert.equal(res.headers['x-amzn-invoked-production-variant'], 'Main');
    assert.equal(res.headers['x-amzn-sagemaker-custom-attributes'], 'echo-chunks=5;echo-delay-ms=30;echo-hang-up-after=3');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.ok(res.headers['x-amzn-requestid']);
    // Decoding checks both CRCs of every message.
    const codec = new EventStreamCodec((b) => Buffer.from(b).toString('utf8'), (s) => Buffer.from(s, 'utf8'));
    const messages: Message[] = [];
    for (let off = 0; off < res.bytes.length; ) {
      const len = res.bytes.readUInt32BE(off);
      messages.push(codec.decode(res.bytes.subarray(off, off + len)));
      off += len;
    }
    const headersOf = (m: Message) => Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.value]));
    const events = messages.slice(0, -1);
    assert.ok(events.length >= 1 && events.length <= 3, `${events.length} events`);
    for (const m of events) assert.deepEqual(headersOf(m), { ':event-type': 'PayloadPart', ':message-type': 'event', ':content-type': 'application/octet-stream' });
    assert.equal(Buffer.concat(events.map((m) => m.body)).toString(), '012345');
    const last = messages[messages.length - 1]!;
    assert.deepEqual(headersOf(last), { ':exception-type': 'ModelStreamError', ':message-type': 'exception', ':content-type': 'application/json' });
    const error = JSON.parse(Buffer.from(last.body).toString());
    assert.equal(error.ErrorCode, 'StreamBroken');
    assert.match(error.Message, /stream was broken/);
  });

  it('a running shadow test is handed the whole streamed answer once the stream has ended, and a broken stream as a failed call', async () => {
    // The inference-experiment controller plugs its tap in here; a recording tap shows what it is given.
    const live = t.slipway.services.controllers.endpoints!.endpoint(scope, 'streamer')!;
    const seen: ProductionObservation[] = [];
    live.shadow = { variant: live.variants[1]!, tap: { observe: (o) => seen.push(o) } };
    try {
      const s = await stream({ Body: Buffer.from('shadowed answer'), ContentType: 'text/plain', InferenceId: 'sh-1', CustomAttributes: 'echo-chunks=3;echo-delay-ms=20' });
      assert.ok(s.parts.length > 1);
      await until('the observation', async () => (seen.length > 0 ? true : undefined), 2000);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.ok, true);
      assert.equal(seen[0]!.variant, 'Main');
      assert.equal(seen[0]!.inferenceId, 'sh-1');
      assert.equal(seen[0]!.body.toString(), 'shadowed answer');
      assert.equal(seen[0]!.output?.toString(), 'shadowed answer');
      assert.equal(seen[0]!.outputContentType, 'text/plain');
      const broken = await stream({ Body: Buffer.from('abcd'), CustomAttributes: 'echo-chunks=4;echo-hang-up-after=1' });
      assert.equal(broken.error?.name, 'ModelStreamError');
      await until('the failed observation', async () => (seen.length > 1 ? true : undefined), 2000);
      assert.equal(seen[1]!.ok, false);
    } finally {
      live.shadow = undefined;
    }
  });

  it('data capture records the whole streamed answer once the stream has ended', async () => {
    const body = 'id,score\n1,0.5\n2,0.25\n3,0.125';
    const s = await stream({ Body: Buffer.from(body), ContentType: 'text/csv', InferenceId: 'captured-stream', CustomAttributes: 'echo-chunks=4;echo-delay-ms=20' });
    assert.ok(s.parts.length > 1);
    const line = await until('the captured line', async () => {
      const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'ml-data', Prefix: 'capture/streamer/' }));
      for (const o of listed.Contents ?? []) {
        const text = await (await t.s3.send(new GetObjectCommand({ Bucket: 'ml-data', Key: o.Key! }))).Body!.transformToString();
        for (const l of text.split('\n').filter(Boolean)) {
          const parsed = JSON.parse(l);
          if (parsed.eventMetadata.inferenceId === 'captured-stream') return { key: o.Key!, line: parsed };
        }
      }
      return undefined;
    });
    assert.match(line.key, /^capture\/streamer\/Main\/\d{4}\/\d{2}\/\d{2}\/\d{2}\//);
    assert.deepEqual(line.line.captureData.endpointInput, { observedContentType: 'text/csv', mode: 'INPUT', data: body, encoding: 'CSV' });
    assert.deepEqual(line.line.captureData.endpointOutput, { observedContentType: 'text/csv', mode: 'OUTPUT', data: body, encoding: 'CSV' });
  });
});
