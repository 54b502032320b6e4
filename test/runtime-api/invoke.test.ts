import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, pool, runtimeClient, variant } from '../helpers/hosting.js';

describe('InvokeEndpoint through real echo model servers', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    rt = runtimeClient(t);
    await createEchoModel(t.sagemaker, 'echo-a');
    await createEchoModel(t.sagemaker, 'echo-b');
    await createConfig(t.sagemaker, 'split', [variant('Heavy', 'echo-a', 2), variant('Light', 'echo-b', 1), variant('Off', 'echo-a', 0)]);
    const d = await createEndpoint(t.sagemaker, 'split-ep', 'split');
    assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('returns the model answer with its Content-Type and the invoked variant', async () => {
    const out = await rt.send(
      new InvokeEndpointCommand({ EndpointName: 'split-ep', Body: Buffer.from('1,2,3'), ContentType: 'text/csv', Accept: 'text/csv' }),
    );
    assert.equal(Buffer.from(out.Body!).toString(), '1,2,3');
    assert.equal(out.ContentType, 'text/csv');
    assert.ok(['Heavy', 'Light'].includes(out.InvokedProductionVariant!));
  });

  it('splits 3,000 invocations 2:1 between the weighted variants (±5 %), weight 0 gets nothing', async () => {
    const counts: Record<string, number> = {};
    await pool(3000, 16, async (i) => {
      const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'split-ep', Body: Buffer.from(`{"i":${i}}`), ContentType: 'application/json' }));
      assert.equal(Buffer.from(out.Body!).toString(), `{"i":${i}}`);
      const v = out.InvokedProductionVariant!;
      counts[v] = (counts[v] ?? 0) + 1;
    });
    assert.equal(counts.Off, undefined);
    assert.equal((counts.Heavy ?? 0) + (counts.Light ?? 0), 3000);
    const ratio = counts.Heavy! / counts.Light!;
    assert.ok(ratio >= 1.9 && ratio <= 2.1, `ratio ${ratio} (${JSON.stringify(counts)})`);
  });

  it('TargetVariant pins every call to that variant, even one of weight 0', async () => {
    for (const target of ['Light', 'Off']) {
      for (let i = 0; i < 20; i++) {
        const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'split-ep', Body: Buffer.from('x'), TargetVariant: target }));
        assert.equal(out.InvokedProductionVariant, target);
      }
    }
  });

  it('an unknown endpoint is a ValidationError naming the endpoint and account', async () => {
    await assert.rejects(rt.send(new InvokeEndpointCommand({ EndpointName: 'nope', Body: Buffer.from('x') })), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, 'Endpoint nope of account 000000000000 not found.');
      return true;
    });
  });

  it('a body over 6 MB is refused with a ValidationError before reaching the model', async () => {
    await assert.rejects(
      rt.send(new InvokeEndpointCommand({ EndpointName: 'split-ep', Body: Buffer.alloc(6 * 1024 * 1024 + 1, 1) })),
      (e: any) => e.name === 'ValidationError' && e.$metadata.httpStatusCode === 400,
    );
  });

  it('CustomAttributes and InferenceId reach the model', async () => {
    // The echo model does not echo headers, but the call must be accepted with them.
    const out = await rt.send(
      new InvokeEndpointCommand({ EndpointName: 'split-ep', Body: Buffer.from('a'), CustomAttributes: 'trace=1', InferenceId: 'inf-1' }),
    );
    assert.equal(Buffer.from(out.Body!).toString(), 'a');
  });
});
