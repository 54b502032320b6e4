import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, SageMakerRuntimeClient, type InvokeEndpointAsyncCommandOutput } from '@aws-sdk/client-sagemaker-runtime';
import { credentials, region, startTestServer } from '../helpers/server.js';
import { cleanEnv, spawnServe, waitExit, type CliProcess } from '../helpers/cli.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, variant } from '../helpers/hosting.js';
import { calls, IMAGE, installModel, killModels, putInput, readLocation, until, type ModelFiles } from './async-fixtures.js';

const scope = { account: '000000000000', region: 'us-east-1' };

/** A model, an async endpoint `durable` (one instance, one call at a time) and the ml-data bucket. */
async function setUp(sm: SageMakerClient, s3: S3Client, model: ModelFiles): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: 'ml-data' }));
  await createEchoModel(sm, 'counting', { Image: IMAGE, Environment: model.environment });
  await createConfig(sm, 'durable', [variant('Main', 'counting', 1, 1)], {
    AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://ml-data/durable/out', S3FailurePath: 's3://ml-data/durable/fail' } },
  });
  const d = await createEndpoint(sm, 'durable', 'durable');
  assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
}

const submit = (rt: SageMakerRuntimeClient, id: string, input: string) =>
  rt.send(new InvokeEndpointAsyncCommand({ EndpointName: 'durable', InputLocation: input, InferenceId: id, ContentType: 'application/json' }));

/** Every request's output holds its own input, and no request reported a failure. */
async function expectOutputs(s3: S3Client, accepted: Map<string, { out: InvokeEndpointAsyncCommandOutput; body: unknown }>): Promise<void> {
  for (const [id, { out, body }] of accepted) {
    const got = await until(`output of ${id}`, () => readLocation(s3, out.OutputLocation!), 60_000);
    assert.deepEqual(JSON.parse(got), body, id);
    assert.equal(await readLocation(s3, out.FailureLocation!), undefined, `no failure for ${id}`);
  }
}

const startsPerId = (model: ModelFiles) => {
  const n = new Map<string, number>();
  for (const c of calls(model)) if (c.ev === 'start') n.set(c.id, (n.get(c.id) ?? 0) + 1);
  return n;
};

describe('InvokeEndpointAsync across a Slipway restart', { timeout: 180_000 }, () => {
  it('requests accepted before a graceful close all run after the restart, each exactly once; more are accepted while the endpoint comes back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-async-'));
    const model = installModel(dataDir);
    let t = await startTestServer({ dataDir, env: HOSTING_ENV });
    try {
      await setUp(t.sagemaker, t.s3, model);
      const rt = new SageMakerRuntimeClient({ endpoint: t.url, region, credentials, maxAttempts: 1 });
      const accepted = new Map<string, { out: InvokeEndpointAsyncCommandOutput; body: unknown }>();
      for (let i = 0; i < 10; i++) {
        const body = { i, delayMs: 300 };
        accepted.set(`g-${i}`, { out: await submit(rt, `g-${i}`, await putInput(t.s3, 'ml-data', `g/${i}.json`, body)), body });
      }
      await until('the first call to reach the model', async () => (startsPerId(model).has('g-0') ? true : undefined));
      rt.destroy();
      await t.close({ keepData: true });
      const ranBefore = [...startsPerId(model).keys()].filter((id) => id.startsWith('g-'));
      assert.ok(ranBefore.length >= 1 && ranBefore.length < 10, `some ran before the close, the rest waited (${ranBefore.length})`);

      t = await startTestServer({ dataDir, env: HOSTING_ENV });
      const rt2 = new SageMakerRuntimeClient({ endpoint: t.url, region, credentials, maxAttempts: 1 });
      // The endpoint is InService but its instance is still starting: requests are accepted and wait.
      assert.equal(t.slipway.services.controllers.endpoints!.endpoint(scope, 'durable'), undefined, 'no instance serves yet');
      assert.equal((await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'durable' }))).EndpointStatus, 'InService');
      for (let i = 10; i < 13; i++) {
        const body = { i, after: 'restart' };
        accepted.set(`g-${i}`, { out: await submit(rt2, `g-${i}`, await putInput(t.s3, 'ml-data', `g/${i}.json`, body)), body });
      }
      await expectOutputs(t.s3, accepted);
      const starts = startsPerId(model);
      for (const id of accepted.keys()) assert.equal(starts.get(id), 1, `${id} ran exactly once (a graceful close lets the in-flight call finish)`);
      assert.deepEqual(await t.slipway.services.store.queueEntries(scope, 'durable'), []);
      rt2.destroy();
    } finally {
      await t.close();
      killModels(model);
    }
  });

  it('requests acknowledged just before kill -9 all produce their output after the restart; the one in flight runs again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-async-kill-'));
    const model = installModel(dataDir);
    const env = cleanEnv({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_LOG_LEVEL: 'info', ...HOSTING_ENV });
    const procs: CliProcess[] = [];
    const clients = (url: string) => {
      const c = { endpoint: url, region, credentials, maxAttempts: 1 };
      return { sm: new SageMakerClient(c), s3: new S3Client({ ...c, forcePathStyle: true }), rt: new SageMakerRuntimeClient(c) };
    };
    try {
      const p = await spawnServe([], env);
      procs.push(p);
      const a = clients(p.url);
      await setUp(a.sm, a.s3, model);
      const accepted = new Map<string, { out: InvokeEndpointAsyncCommandOutput; body: unknown }>();
      for (let i = 0; i < 8; i++) {
        const body = { i, delayMs: i === 0 ? 3000 : 200 };
        accepted.set(`k-${i}`, { out: await submit(a.rt, `k-${i}`, await putInput(a.s3, 'ml-data', `k/${i}.json`, body)), body });
      }
      await until('the first call to reach the model', async () => (startsPerId(model).has('k-0') ? true : undefined));
      // No grace at all, straight after the last acknowledgement and mid-call.
      p.child.kill('SIGKILL');
      assert.equal((await waitExit(p, 5_000)).signal, 'SIGKILL');
      for (const c of Object.values(a)) c.destroy();
      // The killed Slipway's model server outlives it, as a container would outlive a crashed agent.
      killModels(model);
      assert.deepEqual([...startsPerId(model).keys()], ['k-0'], 'only the first had started');

      const p2 = await spawnServe([], env);
      procs.push(p2);
      const b = clients(p2.url);
      await expectOutputs(b.s3, accepted);
      const starts = startsPerId(model);
      assert.equal(starts.get('k-0'), 2, 'the call in flight at the crash ran again (at least once)');
      for (let i = 1; i < 8; i++) assert.equal(starts.get(`k-${i}`), 1, `k-${i}`);
      for (const c of Object.values(b)) c.destroy();
      p2.child.kill('SIGTERM');
      assert.equal((await waitExit(p2, 15_000)).code, 0, p2.stderr());
    } finally {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      killModels(model);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
