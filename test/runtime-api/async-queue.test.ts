import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteEndpointCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, type InvokeEndpointAsyncCommandInput, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, pool, runtimeClient, variant } from '../helpers/hosting.js';
import { calls, IMAGE, installModel, killModels, putInput, readLocation, sleep, until, type ModelFiles } from './async-fixtures.js';

const asyncConfig = (endpoint: string, max?: number) => ({
  AsyncInferenceConfig: {
    OutputConfig: { S3OutputPath: `s3://ml-data/${endpoint}/out`, S3FailurePath: `s3://ml-data/${endpoint}/fail` },
    ...(max ? { ClientConfig: { MaxConcurrentInvocationsPerInstance: max } } : {}),
  },
});

describe('InvokeEndpointAsync: a durable queue per endpoint', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  let model: ModelFiles;
  const submit = (input: Partial<InvokeEndpointAsyncCommandInput> & { EndpointName: string }) =>
    rt.send(new InvokeEndpointAsyncCommand({ ContentType: 'application/json', ...input } as InvokeEndpointAsyncCommandInput));
  const startsOf = (ids: Set<string>) => calls(model).filter((c) => c.ev === 'start' && ids.has(c.id));

  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    rt = runtimeClient(t);
    model = installModel(t.dataDir);
    await t.s3.send(new CreateBucketCommand({ Bucket: 'ml-data' }));
    await createEchoModel(t.sagemaker, 'counting', { Image: IMAGE, Environment: model.environment });
    await createEchoModel(t.sagemaker, 'echo');
    // Two variants (two instances and one), two calls per instance at most.
    await createConfig(t.sagemaker, 'limited', [variant('A', 'counting', 1, 2), variant('B', 'counting', 1, 1)], asyncConfig('limited', 2));
    // One instance, MaxConcurrentInvocationsPerInstance left to the default.
    await createConfig(t.sagemaker, 'one', [variant('Main', 'counting', 1, 1)], asyncConfig('one'));
    await createConfig(t.sagemaker, 'realtime', [variant('Main', 'echo', 1, 1)]);
    for (const [name, config] of [['limited', 'limited'], ['one', 'one'], ['realtime', 'realtime']]) {
      const d = await createEndpoint(t.sagemaker, name!, config!);
      assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
    }
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
    if (model) killModels(model);
  });

  it('200 requests: each output lands at the OutputLocation its 202 named, with exactly that request\'s bytes', async () => {
    const inputs = await pool(200, 16, (i) => putInput(t.s3, 'ml-data', `bulk/in-${i}.json`, { i, pad: 'x'.repeat(i * 7) }));
    const accepted = await pool(200, 16, (i) => submit({ EndpointName: 'limited', InputLocation: inputs[i], InferenceId: `bulk-${i}` }));
    for (const [i, a] of accepted.entries()) {
      assert.equal(a.$metadata.httpStatusCode, 202);
      assert.equal(a.InferenceId, `bulk-${i}`);
      assert.match(a.OutputLocation!, /^s3:\/\/ml-data\/limited\/out\/[0-9a-f-]{36}\.out$/);
      assert.match(a.FailureLocation!, /^s3:\/\/ml-data\/limited\/fail\/[0-9a-f-]{36}-error\.out$/);
    }
    assert.equal(new Set(accepted.map((a) => a.OutputLocation)).size, 200, 'every request has its own output location');
    await pool(200, 16, async (i) => {
      const body = await until(`output ${i}`, () => readLocation(t.s3, accepted[i]!.OutputLocation!));
      assert.deepEqual(JSON.parse(body), { i, pad: 'x'.repeat(i * 7) });
      assert.equal(await readLocation(t.s3, accepted[i]!.FailureLocation!), undefined, `no failure for ${i}`);
    });
    assert.deepEqual(await t.slipway.services.store.queueEntries({ account: '000000000000', region: 'us-east-1' }, 'limited'), [], 'every entry left the store once its output was written');
  });

  it('MaxConcurrentInvocationsPerInstance holds at the model: 2 per instance, 6 across three instances of two variants, in waves', async () => {
    const ids = new Set(Array.from({ length: 18 }, (_, i) => `wave-${i}`));
    const input = await putInput(t.s3, 'ml-data', 'waves/in.json', { delayMs: 800 });
    const started = Date.now();
    const accepted = await Promise.all([...ids].map((id) => submit({ EndpointName: 'limited', InputLocation: input, InferenceId: id })));
    await Promise.all(accepted.map((a, i) => until(`wave output ${i}`, () => readLocation(t.s3, a.OutputLocation!))));
    const elapsed = Date.now() - started;
    // Replay the model's own log: per process, and in total across both processes.
    const perPid = new Map<number, number>();
    let total = 0;
    let maxTotal = 0;
    for (const c of calls(model).filter((c) => ids.has(c.id))) {
      if (c.ev === 'start') {
        perPid.set(c.pid, Math.max(perPid.get(c.pid) ?? 0, c.inFlight!));
        maxTotal = Math.max(maxTotal, ++total);
      } else total--;
    }
    assert.equal(perPid.size, 3, 'every instance of both variants served');
    assert.deepEqual([...perPid.values()], [2, 2, 2], 'never more than 2 at once in one instance, and the limit was used');
    assert.equal(maxTotal, 6);
    // 18 calls of 800 ms, 6 at a time: three waves.
    assert.ok(elapsed >= 2300, `took ${elapsed} ms: the queue must not run more than 6 at once`);
  });

  it('by default one call at a time per instance, in arrival order', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `order-${i}`);
    const input = await putInput(t.s3, 'ml-data', 'order/in.json', { delayMs: 100 });
    const accepted = [];
    for (const id of ids) accepted.push(await submit({ EndpointName: 'one', InputLocation: input, InferenceId: id }));
    await Promise.all(accepted.map((a) => until('order output', () => readLocation(t.s3, a.OutputLocation!))));
    const starts = startsOf(new Set(ids));
    assert.deepEqual(starts.map((c) => c.id), ids, 'the model saw them in the order they were accepted');
    assert.deepEqual(starts.map((c) => c.inFlight), ids.map(() => 1), 'never two at once');
  });

  it('a request whose RequestTTLSeconds passes while it waits is not run; a failure document says it expired', async () => {
    const clock = t.slipway.services.clock;
    const realNow = clock.now;
    try {
      const slow = await submit({ EndpointName: 'one', InputLocation: await putInput(t.s3, 'ml-data', 'ttl/slow.json', { delayMs: 2500 }), InferenceId: 'ttl-slow' });
      await until('the slow call to reach the model', async () => (startsOf(new Set(['ttl-slow'])).length ? true : undefined));
      const late = await submit({ EndpointName: 'one', InputLocation: await putInput(t.s3, 'ml-data', 'ttl/late.json', { n: 1 }), InferenceId: 'ttl-late', RequestTTLSeconds: 60 });
      const patient = await submit({ EndpointName: 'one', InputLocation: await putInput(t.s3, 'ml-data', 'ttl/patient.json', { n: 2 }), InferenceId: 'ttl-patient' });
      // Two minutes pass while both wait behind the slow call (the injected clock moves).
      clock.now = () => realNow() + 120_000;
      const failure = await until('the expiry failure document', () => readLocation(t.s3, late.FailureLocation!));
      assert.match(failure, /^Request expired: .*RequestTTLSeconds \(60\)/);
      assert.deepEqual(JSON.parse(await until('the slow output', () => readLocation(t.s3, slow.OutputLocation!))), { delayMs: 2500 });
      // The patient one (default TTL, 6 hours) still runs.
      assert.deepEqual(JSON.parse(await until('the patient output', () => readLocation(t.s3, patient.OutputLocation!))), { n: 2 });
      assert.equal(await readLocation(t.s3, late.OutputLocation!), undefined);
      assert.deepEqual(startsOf(new Set(['ttl-late'])), [], 'the expired request never reached the model');
    } finally {
      clock.now = realNow;
    }
  });

  it('a model error response is written to the failure location, and nothing to the output location', async () => {
    const a = await submit({ EndpointName: 'one', InputLocation: await putInput(t.s3, 'ml-data', 'err/in.json', { fail: 'bad pixels' }) });
    assert.equal(await until('the failure document', () => readLocation(t.s3, a.FailureLocation!)), 'model refused: bad pixels');
    assert.equal(await readLocation(t.s3, a.OutputLocation!), undefined);
  });

  it('an input object that does not exist is accepted and reported at the failure location', async () => {
    const a = await submit({ EndpointName: 'one', InputLocation: 's3://ml-data/nothing/here.json' });
    assert.equal(a.$metadata.httpStatusCode, 202);
    assert.equal(await until('the failure document', () => readLocation(t.s3, a.FailureLocation!)), 'Could not find the input at s3://ml-data/nothing/here.json.');
  });

  it('an https S3 object URL is accepted as InputLocation', async () => {
    await putInput(t.s3, 'ml-data', 'https/in put.json', { via: 'https' });
    const a = await submit({ EndpointName: 'one', InputLocation: 'https://ml-data.s3.us-east-1.amazonaws.com/https/in%20put.json' });
    assert.deepEqual(JSON.parse(await until('the output', () => readLocation(t.s3, a.OutputLocation!))), { via: 'https' });
  });

  it('bad requests answer AWS\'s ValidationError and enqueue nothing', async () => {
    const cases: Array<[Partial<InvokeEndpointAsyncCommandInput> & { EndpointName: string }, string]> = [
      [{ EndpointName: 'one', InputLocation: undefined }, "1 validation error detected: Value null at 'inputLocation' failed to satisfy constraint: Member must not be null"],
      [{ EndpointName: 'one', InputLocation: 'ftp://ml-data/x' }, "1 validation error detected: Value 'ftp://ml-data/x' at 'inputLocation' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)$"],
      [{ EndpointName: 'one', InputLocation: 's3://ml-data' }, 'InputLocation s3://ml-data is not a valid S3 URI.'],
      [{ EndpointName: 'one', InputLocation: 's3://ml-data/x', RequestTTLSeconds: 59 }, "1 validation error detected: Value '59' at 'requestTTLSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"],
      [{ EndpointName: 'one', InputLocation: 's3://ml-data/x', RequestTTLSeconds: 21_601 }, "1 validation error detected: Value '21601' at 'requestTTLSeconds' failed to satisfy constraint: Member must have value less than or equal to 21600"],
      [{ EndpointName: 'one', InputLocation: 's3://ml-data/x', InvocationTimeoutSeconds: 3601 }, "1 validation error detected: Value '3601' at 'invocationTimeoutSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600"],
      [{ EndpointName: 'realtime', InputLocation: 's3://ml-data/x' }, 'Endpoint realtime of account 000000000000 is not configured for asynchronous inference (its endpoint configuration has no AsyncInferenceConfig).'],
      [{ EndpointName: 'nowhere', InputLocation: 's3://ml-data/x' }, 'Endpoint nowhere of account 000000000000 not found.'],
    ];
    const before = (await t.slipway.services.store.scanQueues()).length;
    for (const [i, [input, message]] of cases.entries()) {
      await assert.rejects(submit({ ...input, InferenceId: `bad-${i}` }), (e: any) => {
        assert.equal(e.name, 'ValidationError', `case ${i}`);
        assert.equal(e.$metadata.httpStatusCode, 400);
        assert.equal(e.message, message);
        return true;
      });
    }
    assert.equal((await t.slipway.services.store.scanQueues()).length, before, 'nothing was enqueued');
    await sleep(300);
    assert.deepEqual(startsOf(new Set(cases.map((_, i) => `bad-${i}`))), [], 'nothing reached a model');
  });

  it('DeleteEndpoint drops its queued requests: none runs, not even on a new endpoint of the same name', async () => {
    await createConfig(t.sagemaker, 'doomed', [variant('Main', 'counting', 1, 1)], asyncConfig('doomed'));
    assert.equal((await createEndpoint(t.sagemaker, 'doomed', 'doomed')).EndpointStatus, 'InService');
    const busy = await submit({ EndpointName: 'doomed', InputLocation: await putInput(t.s3, 'ml-data', 'doomed/busy.json', { delayMs: 1500 }), InferenceId: 'doomed-busy' });
    await until('the busy call to reach the model', async () => (startsOf(new Set(['doomed-busy'])).length ? true : undefined));
    const queued = new Set(Array.from({ length: 5 }, (_, i) => `doomed-${i}`));
    const input = await putInput(t.s3, 'ml-data', 'doomed/in.json', { n: 1 });
    const accepted = await Promise.all([...queued].map((id) => submit({ EndpointName: 'doomed', InputLocation: input, InferenceId: id })));
    const scope = { account: '000000000000', region: 'us-east-1' };
    assert.equal((await t.slipway.services.store.queueEntries(scope, 'doomed')).length, 6);
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'doomed' }));
    await until('the endpoint to be gone', async () => {
      try {
        await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'doomed' }));
        return undefined;
      } catch (e) {
        return (e as Error).name === 'ValidationException' ? true : undefined;
      }
    });
    assert.deepEqual(await t.slipway.services.store.queueEntries(scope, 'doomed'), [], 'the queue is gone from the store');
    // The same name again: the dropped requests must not come back on it.
    assert.equal((await createEndpoint(t.sagemaker, 'doomed', 'doomed')).EndpointStatus, 'InService');
    const fresh = await submit({ EndpointName: 'doomed', InputLocation: input, InferenceId: 'doomed-fresh' });
    await until('the new endpoint to answer', () => readLocation(t.s3, fresh.OutputLocation!));
    assert.deepEqual(startsOf(queued), [], 'no dropped request reached a model');
    for (const a of [busy, ...accepted]) {
      assert.equal(await readLocation(t.s3, a.FailureLocation!), undefined, 'a dropped request reports nothing');
    }
    for (const a of accepted) assert.equal(await readLocation(t.s3, a.OutputLocation!), undefined);
  });

  it('InvocationTimeoutSeconds bounds the model call: a slower answer is a failure saying it timed out', async () => {
    const a = await submit({ EndpointName: 'one', InputLocation: await putInput(t.s3, 'ml-data', 'timeout/in.json', { delayMs: 2500 }), InvocationTimeoutSeconds: 1 });
    const started = Date.now();
    assert.match(await until('the failure document', () => readLocation(t.s3, a.FailureLocation!)), /timed out/);
    assert.ok(Date.now() - started < 2400, 'reported at the 1 s timeout, not when the model finally answered');
    assert.equal(await readLocation(t.s3, a.OutputLocation!), undefined);
  });
});
