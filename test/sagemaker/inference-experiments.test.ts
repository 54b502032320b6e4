import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateInferenceExperimentCommand,
  DeleteInferenceExperimentCommand,
  DescribeEndpointCommand,
  DescribeInferenceExperimentCommand,
  ListInferenceExperimentsCommand,
  ListTagsCommand,
  StartInferenceExperimentCommand,
  StopInferenceExperimentCommand,
  UpdateInferenceExperimentCommand,
  type CreateInferenceExperimentCommandInput,
  type DescribeInferenceExperimentCommandOutput,
  type StopInferenceExperimentCommandInput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, HOSTING_TIMING, pool, runtimeClient, variant } from '../helpers/hosting.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const ROLE = 'arn:aws:iam::000000000000:role/SageMakerRole';
const expArn = (name: string) => `arn:aws:sagemaker:us-east-1:000000000000:inference-experiment/${name.toLowerCase()}`;
const infra = (InstanceCount = 1) => ({ InfrastructureType: 'RealTimeInference' as const, RealTimeInferenceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount } });

/** A model server for the shadow side: `sleepy` answers after SLEEP_MS, `crashy` dies on every invocation, `upper` upper-cases. */
const SHADOW_SERVER = `
import http from 'node:http';
const mode = process.argv[2];
http.createServer((req, res) => {
  if (req.url === '/ping') { res.writeHead(200); res.end('ok'); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (mode === 'crashy') process.exit(7);
    const body = Buffer.concat(chunks);
    const send = () => {
      res.writeHead(200, { 'Content-Type': req.headers['content-type'] || 'application/octet-stream' });
      res.end(mode === 'upper' ? Buffer.from(body.toString('utf8').toUpperCase()) : body);
    };
    if (mode === 'sleepy') setTimeout(send, Number(process.env.SLEEP_MS || 1000)); else send();
  });
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('Inference experiments: real shadow tests on live endpoints', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  const experiments = () => t.slipway.services.controllers.experiments!;
  const endpoints = () => t.slipway.services.controllers.endpoints!;

  const describeExp = (Name: string) => t.sagemaker.send(new DescribeInferenceExperimentCommand({ Name }));
  async function waitExp(Name: string, want: string[], timeoutMs = 30_000): Promise<DescribeInferenceExperimentCommandOutput> {
    const deadline = Date.now() + timeoutMs;
    let last: DescribeInferenceExperimentCommandOutput | undefined;
    while (Date.now() < deadline) {
      last = await describeExp(Name);
      if (want.includes(last.Status!)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`experiment ${Name} did not reach ${want.join('|')} within ${timeoutMs} ms (last: ${last?.Status} ${last?.StatusReason ?? ''})`);
  }
  const experiment = (Name: string, EndpointName: string, shadowModel: string, SamplingPercentage: number, more: Partial<CreateInferenceExperimentCommandInput> = {}): CreateInferenceExperimentCommandInput => ({
    Name,
    Type: 'ShadowMode',
    RoleArn: ROLE,
    EndpointName,
    ModelVariants: [
      { ModelName: 'prod', VariantName: 'Prod', InfrastructureConfig: infra() },
      { ModelName: shadowModel, VariantName: 'Shadow', InfrastructureConfig: infra() },
    ],
    ShadowModeConfig: { SourceModelVariantName: 'Prod', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage }] },
    ...more,
  });
  const invoke = (EndpointName: string, body: string) =>
    rt.send(new InvokeEndpointCommand({ EndpointName, ContentType: 'application/json', Body: Buffer.from(body) }));
  async function metrics(name: string): Promise<any> {
    const res = await fetch(`${t.url}/_slipway/inference-experiments/${name}/metrics`);
    assert.equal(res.status, 200);
    return res.json();
  }
  async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV, timing: HOSTING_TIMING });
    rt = runtimeClient(t);
    const script = join(t.dataDir, 'shadow-server.mjs');
    writeFileSync(script, SHADOW_SERVER);
    writeFileSync(
      join(t.dataDir, 'images.json'),
      JSON.stringify({
        images: ['sleepy', 'crashy', 'upper'].map((mode) => ({ image: `example.com/shadow-${mode}:*`, command: [process.execPath, script, mode] })),
      }),
    );
    await t.s3.send(new CreateBucketCommand({ Bucket: 'shadow-data' }));
    await createEchoModel(t.sagemaker, 'prod');
    await createEchoModel(t.sagemaker, 'candidate');
    await createEchoModel(t.sagemaker, 'sleepy', { Image: 'example.com/shadow-sleepy:1', Environment: { SLEEP_MS: '1000' } });
    await createEchoModel(t.sagemaker, 'crashy', { Image: 'example.com/shadow-crashy:1' });
    await createEchoModel(t.sagemaker, 'upper', { Image: 'example.com/shadow-upper:1' });
    await createConfig(t.sagemaker, 'prod', [variant('Prod', 'prod', 1, 1)]);
    await createConfig(t.sagemaker, 'two', [variant('Prod', 'prod', 1, 1), variant('Other', 'prod', 1, 1)]);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('1,000 invocations at 50 % sampling: the shadow gets 500, the client only production answers, both stored as pairs', async () => {
    assert.equal((await createEndpoint(t.sagemaker, 'ep-a', 'prod')).EndpointStatus, 'InService');
    const out = await t.sagemaker.send(
      new CreateInferenceExperimentCommand(
        // The shadow upper-cases: any shadow answer reaching the client would show.
        experiment('exp-a', 'ep-a', 'upper', 50, {
          Description: 'candidate vs prod',
          DataStorageConfig: { Destination: 's3://shadow-data/exp' },
          Tags: [{ Key: 'team', Value: 'ml' }],
        }),
      ),
    );
    assert.equal(out.InferenceExperimentArn, expArn('exp-a'));
    const d = await waitExp('exp-a', ['Running', 'Cancelled']);
    assert.equal(d.Status, 'Running', d.StatusReason);
    assert.equal(d.Type, 'ShadowMode');
    assert.equal(d.Description, 'candidate vs prod');
    assert.equal(d.EndpointMetadata?.EndpointName, 'ep-a');
    assert.equal(d.EndpointMetadata?.EndpointConfigName, 'prod');
    assert.equal(d.EndpointMetadata?.EndpointStatus, 'InService');
    assert.deepEqual(d.ModelVariants?.map((v) => [v.VariantName, v.Status]), [['Prod', 'InService'], ['Shadow', 'InService']]);
    // No Schedule given: starts at once and ends 7 days later.
    assert.ok(d.Schedule?.StartTime instanceof Date && d.Schedule.EndTime instanceof Date);
    assert.equal(Math.round((d.Schedule.EndTime.getTime() - d.Schedule.StartTime.getTime()) / 3600_000), 7 * 24);
    const tags = await t.sagemaker.send(new ListTagsCommand({ ResourceArn: expArn('exp-a') }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ml' }]);

    const ep = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-a' }));
    assert.deepEqual(ep.ProductionVariants?.map((v) => v.VariantName), ['Prod']);
    assert.deepEqual(ep.ShadowProductionVariants?.map((v) => [v.VariantName, v.CurrentInstanceCount]), [['Shadow', 1]]);

    const answers = await pool(1000, 8, async (i) => {
      const body = JSON.stringify({ i, text: `request ${i}` });
      const r = await invoke('ep-a', body);
      return { body, got: Buffer.from(r.Body!).toString('utf8'), variant: r.InvokedProductionVariant };
    });
    for (const a of answers) {
      assert.equal(a.variant, 'Prod');
      assert.equal(a.got, a.body);
    }
    await until('500 shadow answers', async () => (await metrics('exp-a')).Variants[1].Invocations >= 500);
    const m = await metrics('exp-a');
    const [prod, shadow] = m.Variants;
    assert.equal(prod.VariantName, 'Prod');
    assert.equal(prod.Invocations, 1000);
    assert.equal(prod.Errors, 0);
    assert.ok(shadow.Invocations >= 475 && shadow.Invocations <= 525, `shadow got ${shadow.Invocations}`);
    assert.equal(shadow.Errors, 0);
    assert.ok(prod.LatencyMs.p50 > 0 && prod.LatencyMs.p50 <= prod.LatencyMs.p90 && prod.LatencyMs.p90 <= prod.LatencyMs.p99);
    assert.equal(m.Comparison.Compared, shadow.Invocations);
    assert.equal(m.Comparison.Agreements, 0);
    assert.equal(m.Comparison.AgreementRate, 0);

    // Both sides in the data capture format, paired by event id.
    await experiments().flush(scope, 'exp-a');
    const lines = async (variantName: string) => {
      const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'shadow-data', Prefix: `exp/ep-a/${variantName}/` }));
      const out: any[] = [];
      for (const o of listed.Contents ?? []) {
        const body = await (await t.s3.send(new GetObjectCommand({ Bucket: 'shadow-data', Key: o.Key! }))).Body!.transformToString();
        out.push(...body.trim().split('\n').map((l) => JSON.parse(l)));
      }
      return out;
    };
    const prodLines = await lines('Prod');
    const shadowLines = await lines('Shadow');
    assert.equal(shadowLines.length, shadow.Invocations);
    assert.equal(prodLines.length, shadow.Invocations);
    const byId = new Map(prodLines.map((l) => [l.eventMetadata.eventId, l]));
    for (const s of shadowLines) {
      const p = byId.get(s.eventMetadata.eventId);
      assert.ok(p, 'every shadow line has its production line');
      assert.equal(s.eventVersion, '0');
      assert.equal(s.captureData.endpointInput.mode, 'INPUT');
      assert.equal(s.captureData.endpointInput.encoding, 'JSON');
      assert.equal(s.captureData.endpointInput.data, p.captureData.endpointInput.data);
      assert.equal(p.captureData.endpointOutput.data, p.captureData.endpointInput.data);
      assert.equal(s.captureData.endpointOutput.data, p.captureData.endpointOutput.data.toUpperCase());
    }

    // slipway experiment-metrics prints the same document.
    const cli = await runCli(['experiment-metrics', 'exp-a', '--endpoint-url', t.url], process.env, 15_000);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).Variants[0].Invocations, 1000);
    const unknown = await runCli(['experiment-metrics', 'nope', '--endpoint-url', t.url], process.env, 15_000);
    assert.equal(unknown.code, 1);
  });

  it('a shadow that sleeps 1 s or crashes on every call does not slow or fail production', async () => {
    assert.equal((await createEndpoint(t.sagemaker, 'ep-slow', 'prod')).EndpointStatus, 'InService');
    const measure = async (n: number) => {
      const lat = await pool(n, 4, async (i) => {
        const t0 = performance.now();
        const r = await invoke('ep-slow', `{"n":${i}}`);
        assert.equal(Buffer.from(r.Body!).toString(), `{"n":${i}}`);
        return performance.now() - t0;
      });
      return median(lat);
    };
    const baseline = await measure(150);

    await t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-sleepy', 'ep-slow', 'sleepy', 100)));
    assert.equal((await waitExp('exp-sleepy', ['Running', 'Cancelled'])).Status, 'Running');
    const withSleepy = await measure(150);
    const m = await metrics('exp-sleepy');
    // At 100 % every production call was copied; the copies are still sleeping in the shadow.
    assert.equal(m.Variants[0].Invocations, 150);
    assert.equal(m.ShadowInFlight + m.Variants[1].Invocations + m.ShadowDropped, 150);
    assert.ok(m.ShadowInFlight > 0);
    // Production never waited for the 1 s shadow: its median stays near the baseline.
    assert.ok(withSleepy < 250, `production median with a sleeping shadow: ${withSleepy} ms (baseline ${baseline} ms)`);
    assert.ok(withSleepy < baseline * 4 + 30, `production median with a sleeping shadow: ${withSleepy} ms (baseline ${baseline} ms)`);
    await until('the sleeping shadow answered', async () => (await metrics('exp-sleepy')).Variants[1].LatencyMs.p50 >= 900);
    await t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-sleepy', ModelVariantActions: { Shadow: 'Remove' } }));
    assert.equal((await waitExp('exp-sleepy', ['Completed', 'Cancelled'])).Status, 'Completed');

    await t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-crashy', 'ep-slow', 'crashy', 100)));
    assert.equal((await waitExp('exp-crashy', ['Running', 'Cancelled'])).Status, 'Running');
    const withCrashy = await measure(150);
    assert.ok(withCrashy < 250 && withCrashy < baseline * 4 + 30, `production median with a crashing shadow: ${withCrashy} ms (baseline ${baseline} ms)`);
    const c = await metrics('exp-crashy');
    assert.equal(c.Variants[0].Errors, 0);
    assert.ok(c.Variants[1].Errors > 0, 'the shadow crashed');
    await t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-crashy', ModelVariantActions: { Shadow: 'Remove', Prod: 'Retain' } }));
    assert.equal((await waitExp('exp-crashy', ['Completed', 'Cancelled'])).Status, 'Completed');
  });

  it('Promote under continuous traffic loses no request; afterwards all traffic hits the promoted model', async () => {
    assert.equal((await createEndpoint(t.sagemaker, 'ep-p', 'prod')).EndpointStatus, 'InService');
    await t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-p', 'ep-p', 'upper', 100)));
    assert.equal((await waitExp('exp-p', ['Running', 'Cancelled'])).Status, 'Running');
    let running = true;
    const failures: unknown[] = [];
    const seen: Record<string, number> = {};
    const traffic = Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        let i = 0;
        while (running) {
          const body = `{"w":${w},"i":${i++},"s":"abc"}`;
          try {
            const r = await invoke('ep-p', body);
            const got = Buffer.from(r.Body!).toString();
            const kind = got === body ? `Prod:${r.InvokedProductionVariant}` : got === body.toUpperCase() ? `Upper:${r.InvokedProductionVariant}` : 'wrong';
            seen[kind] = (seen[kind] ?? 0) + 1;
          } catch (err) {
            failures.push(err);
          }
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    await t.sagemaker.send(
      new StopInferenceExperimentCommand({
        Name: 'exp-p',
        ModelVariantActions: { Shadow: 'Promote', Prod: 'Remove' },
        DesiredModelVariants: [{ ModelName: 'upper', VariantName: 'Shadow', InfrastructureConfig: infra(2) }],
        DesiredState: 'Completed',
        Reason: 'upper-casing wins',
      }),
    );
    const d = await waitExp('exp-p', ['Completed', 'Cancelled']);
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await traffic;
    assert.equal(failures.length, 0, `failed during the switch: ${failures.map(String).join('; ')}`);
    assert.equal(seen.wrong ?? 0, 0);
    assert.ok((seen['Prod:Prod'] ?? 0) > 0 && (seen['Upper:Shadow'] ?? 0) > 0, JSON.stringify(seen));
    assert.equal(d.Status, 'Completed', d.StatusReason);
    assert.equal(d.StatusReason, 'upper-casing wins');
    assert.ok(d.CompletionTime instanceof Date);
    const shadowVariant = d.ModelVariants!.find((v) => v.VariantName === 'Shadow')!;
    assert.equal(shadowVariant.Status, 'InService');
    assert.equal(shadowVariant.InfrastructureConfig?.RealTimeInferenceConfig?.InstanceCount, 2);
    assert.equal(d.ModelVariants!.find((v) => v.VariantName === 'Prod')!.Status, 'Deleted');

    const ep = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-p' }));
    assert.equal(ep.EndpointStatus, 'InService');
    assert.deepEqual(ep.ProductionVariants?.map((v) => [v.VariantName, v.CurrentInstanceCount]), [['Shadow', 2]]);
    assert.equal(ep.ShadowProductionVariants, undefined);
    for (let i = 0; i < 20; i++) {
      const r = await invoke('ep-p', `{"after":${i},"s":"xyz"}`);
      assert.equal(Buffer.from(r.Body!).toString(), `{"AFTER":${i},"S":"XYZ"}`);
      assert.equal(r.InvokedProductionVariant, 'Shadow');
    }
    assert.deepEqual(new Set(endpoints().describeInstances(scope, 'ep-p').map((i) => i.variant)), new Set(['Shadow']));
    // The shadow disagreed with production on every compared pair (upper vs echo).
    const m = await metrics('exp-p');
    assert.equal(m.Status, 'Completed');
    assert.ok(m.Comparison.Compared > 0);
    assert.equal(m.Comparison.AgreementRate, 0);
  });

  it('every impossible stop is refused with its error; stopping a finished experiment is a ConflictException', async () => {
    assert.equal((await createEndpoint(t.sagemaker, 'ep-r', 'prod')).EndpointStatus, 'InService');
    await t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-r', 'ep-r', 'candidate', 10)));
    assert.equal((await waitExp('exp-r', ['Running', 'Cancelled'])).Status, 'Running');
    const refused = async (input: Partial<StopInferenceExperimentCommandInput>, name: string, message: string) => {
      await assert.rejects(
        t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-r', ModelVariantActions: {}, ...input } as StopInferenceExperimentCommandInput)),
        (e: any) => {
          assert.equal(e.name, name);
          assert.equal(e.message, message);
          return true;
        },
      );
    };
    const arn = expArn('exp-r');
    await refused({ ModelVariantActions: { Ghost: 'Remove' } }, 'ValidationException', `Variant Ghost in ModelVariantActions is not a variant of inference experiment "${arn}" (variants: Prod, Shadow).`);
    await refused({ ModelVariantActions: { Prod: 'Promote', Shadow: 'Promote' } }, 'ValidationException', 'Variant Prod is already the production variant and cannot be promoted; only the shadow variant Shadow can be promoted.');
    await refused({ ModelVariantActions: { Prod: 'Promote' } }, 'ValidationException', 'Variant Prod is already the production variant and cannot be promoted; only the shadow variant Shadow can be promoted.');
    await refused(
      { ModelVariantActions: { Shadow: 'Promote', Prod: 'Retain' } },
      'ValidationException',
      'When the shadow variant Shadow is promoted, the production variant Prod must be removed (an endpoint with a shadow test has at most one production variant).',
    );
    await refused(
      { ModelVariantActions: { Prod: 'Remove', Shadow: 'Retain' } },
      'ValidationException',
      'The production variant Prod can only be removed when the shadow variant Shadow is promoted; otherwise the endpoint would have no production variant.',
    );
    await refused(
      { ModelVariantActions: { Shadow: 'Remove' }, DesiredModelVariants: [{ ModelName: 'candidate', VariantName: 'Shadow', InfrastructureConfig: infra() }] },
      'ValidationException',
      'DesiredModelVariants may only describe the promoted variant; Shadow is not being promoted.',
    );
    await refused(
      { ModelVariantActions: { Shadow: 'Promote' }, DesiredModelVariants: [{ ModelName: 'upper', VariantName: 'Shadow', InfrastructureConfig: infra() }] },
      'ValidationException',
      'Variant Shadow serves model candidate in this experiment, not upper.',
    );
    // The shape validator: an action that is not Promote/Remove/Retain, and an empty map.
    await assert.rejects(t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-r', ModelVariantActions: { Shadow: 'Keep' as any } })), (e: any) => e.name === 'ValidationException');
    await assert.rejects(t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-r', ModelVariantActions: {} })), (e: any) => e.name === 'ValidationException');
    await assert.rejects(
      t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'nope', ModelVariantActions: { Shadow: 'Remove' } })),
      (e: any) => e.name === 'ResourceNotFound' && e.message === `Inference experiment "${expArn('nope')}" does not exist.`,
    );
    // Nothing refused changed anything.
    assert.equal((await describeExp('exp-r')).Status, 'Running');
    // Deleting a running experiment is refused too.
    await assert.rejects(t.sagemaker.send(new DeleteInferenceExperimentCommand({ Name: 'exp-r' })), (e: any) => e.name === 'ConflictException');
    // A second experiment on the same endpoint is refused while this one runs.
    await assert.rejects(t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-r2', 'ep-r', 'candidate', 10))), (e: any) => e.name === 'ResourceInUse');
  });

  it('aws sagemaker stop-inference-experiment (installed AWS CLI): Retain keeps the shadow serving copies, DesiredState Cancelled with the Reason', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'aws',
        ['sagemaker', 'stop-inference-experiment', '--name', 'exp-r', '--model-variant-actions', 'Shadow=Retain,Prod=Retain', '--desired-state', 'Cancelled', '--reason', 'keeping both for now', '--endpoint-url', t.url, '--output', 'json'],
        {
          env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
          timeout: 60_000,
        },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).InferenceExperimentArn, expArn('exp-r'));
    const d = await waitExp('exp-r', ['Completed', 'Cancelled']);
    assert.equal(d.Status, 'Cancelled');
    assert.equal(d.StatusReason, 'keeping both for now');
    assert.deepEqual(d.ModelVariants?.map((v) => [v.VariantName, v.Status]), [['Prod', 'InService'], ['Shadow', 'InService']]);
    const ep = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-r' }));
    assert.deepEqual(ep.ShadowProductionVariants?.map((v) => v.VariantName), ['Shadow']);
    const shadow = endpoints().endpoint(scope, 'ep-r')!.shadow!;
    assert.ok(shadow.variant.instances.every((i) => i.healthy));
    const before = (await metrics('exp-r')).Variants[1].Invocations;
    for (let i = 0; i < 20; i++) await invoke('ep-r', `{"k":${i}}`);
    await until('the retained shadow still receives copies', async () => (await metrics('exp-r')).Variants[1].Invocations >= before + 2);
    // Stopping a stopped experiment: ConflictException.
    await assert.rejects(t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-r', ModelVariantActions: { Shadow: 'Remove' } })), (e: any) => {
      assert.equal(e.name, 'ConflictException');
      assert.equal(e.message, `Cannot stop inference experiment "${expArn('exp-r')}" because its status is Cancelled; it must be Running.`);
      return true;
    });
  });

  it('Remove stops the shadow instances and the endpoint serves as before', async () => {
    const shadowPids = endpoints()
      .endpoint(scope, 'ep-a')!
      .shadow!.variant.instances.map((i) => i.supervisor.handle && t.slipway.services.runtime.backend.status(i.supervisor.handle))
      .map((s) => (s && s.state === 'running' ? s.pid : undefined));
    assert.ok(shadowPids.length === 1 && alive(shadowPids[0]));
    await t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-a', ModelVariantActions: { Shadow: 'Remove', Prod: 'Retain' }, Reason: 'done' }));
    const d = await waitExp('exp-a', ['Completed', 'Cancelled']);
    assert.equal(d.Status, 'Completed');
    assert.deepEqual(d.ModelVariants?.map((v) => [v.VariantName, v.Status]), [['Prod', 'InService'], ['Shadow', 'Deleted']]);
    const ep = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-a' }));
    assert.equal(ep.ShadowProductionVariants, undefined);
    assert.deepEqual(ep.ProductionVariants?.map((v) => v.VariantName), ['Prod']);
    await until('the shadow process has exited', () => !alive(shadowPids[0]));
    assert.equal(Buffer.from((await invoke('ep-a', '{"still":1}')).Body!).toString(), '{"still":1}');
    // The final metrics stay readable after the experiment ended; Delete removes the record only.
    assert.equal((await metrics('exp-a')).Variants[0].Invocations, 1000);
    await t.sagemaker.send(new DeleteInferenceExperimentCommand({ Name: 'exp-a' }));
    await assert.rejects(describeExp('exp-a'), (e: any) => e.name === 'ResourceNotFound');
    assert.equal((await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-a' }))).EndpointStatus, 'InService');
  });

  it('a schedule starts the experiment at StartTime and its EndTime completes it and reverts the endpoint', async () => {
    assert.equal((await createEndpoint(t.sagemaker, 'ep-s', 'prod')).EndpointStatus, 'InService');
    const now = Date.now();
    await t.sagemaker.send(
      new CreateInferenceExperimentCommand(
        experiment('exp-s', 'ep-s', 'candidate', 100, { Schedule: { StartTime: new Date(now + 1500), EndTime: new Date(now + 60_000) } }),
      ),
    );
    assert.equal((await waitExp('exp-s', ['Created', 'Running'])).Status, 'Created');
    // While Created both dates may change; EndTime is brought forward to end the test soon.
    await t.sagemaker.send(new UpdateInferenceExperimentCommand({ Name: 'exp-s', Schedule: { StartTime: new Date(now + 1500), EndTime: new Date(now + 4000) } }));
    const running = await waitExp('exp-s', ['Running', 'Cancelled'], 15_000);
    assert.equal(running.Status, 'Running');
    assert.ok(Date.now() >= now + 1500 - 50, 'not before its StartTime');
    assert.deepEqual((await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-s' }))).ShadowProductionVariants?.map((v) => v.VariantName), ['Shadow']);
    // While Running only the EndTime may change.
    await assert.rejects(
      t.sagemaker.send(new UpdateInferenceExperimentCommand({ Name: 'exp-s', Schedule: { StartTime: new Date(now), EndTime: new Date(now + 4000) } })),
      (e: any) => e.name === 'ValidationException' && /only its EndTime/.test(e.message),
    );
    const done = await waitExp('exp-s', ['Completed', 'Cancelled'], 20_000);
    assert.equal(done.Status, 'Completed');
    assert.ok(done.CompletionTime!.getTime() >= now + 4000 - 1000);
    const ep = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-s' }));
    assert.equal(ep.EndpointStatus, 'InService');
    assert.equal(ep.ShadowProductionVariants, undefined);
    assert.deepEqual(ep.ProductionVariants?.map((v) => [v.VariantName, v.CurrentInstanceCount]), [['Prod', 1]]);
    assert.deepEqual(new Set(endpoints().describeInstances(scope, 'ep-s').map((i) => i.variant)), new Set(['Prod']));
    assert.equal(endpoints().endpoint(scope, 'ep-s')!.shadow, undefined);
  });

  it('a shadow whose image cannot run cancels the experiment with the reason and leaves the endpoint as it was', async () => {
    await createEchoModel(t.sagemaker, 'unmapped', { Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/nobody:7' });
    await t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-bad', 'ep-s', 'unmapped', 50)));
    const d = await waitExp('exp-bad', ['Running', 'Cancelled']);
    assert.equal(d.Status, 'Cancelled');
    assert.match(d.StatusReason!, /^The shadow variant could not be started: .*nobody:7/);
    assert.ok(d.CompletionTime instanceof Date);
    assert.deepEqual(d.ModelVariants?.map((v) => [v.VariantName, v.Status]), [['Prod', 'InService'], ['Shadow', 'Deleted']]);
    const ep = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep-s' }));
    assert.equal(ep.EndpointStatus, 'InService');
    assert.equal(ep.ShadowProductionVariants, undefined);
    assert.equal(Buffer.from((await invoke('ep-s', '{"ok":1}')).Body!).toString(), '{"ok":1}');
  });

  it('Create, Start, Update, List and Delete follow AWS rules', async () => {
    // Endpoint missing, two production variants, unknown source variant, bad schedules.
    await assert.rejects(t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('x1', 'ghost', 'candidate', 10))), (e: any) => {
      assert.equal(e.name, 'ValidationException');
      assert.equal(e.message, 'Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/ghost".');
      return true;
    });
    assert.equal((await createEndpoint(t.sagemaker, 'ep-two', 'two')).EndpointStatus, 'InService');
    await assert.rejects(t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('x2', 'ep-two', 'candidate', 10))), /at most one production variant/);
    await assert.rejects(
      t.sagemaker.send(new CreateInferenceExperimentCommand({ ...experiment('x3', 'ep-s', 'candidate', 10), ShadowModeConfig: { SourceModelVariantName: 'Nope', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage: 10 }] } })),
      /SourceModelVariantName Nope is not a production variant/,
    );
    await assert.rejects(
      t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('x4', 'ep-s', 'candidate', 10, { Schedule: { StartTime: new Date(Date.now() + 1000), EndTime: new Date(Date.now() + 31 * 86400_000) } }))),
      /at most 30 days/,
    );
    await assert.rejects(t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('x5', 'ep-s', 'candidate', 101))), (e: any) => e.name === 'ValidationException');
    await assert.rejects(t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('x6', 'ep-s', 'no-such-model', 10))), /Could not find model/);

    // A scheduled experiment far in the future is Created; StartInferenceExperiment starts it now.
    const start = new Date(Date.now() + 3600_000);
    await t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-later', 'ep-s', 'candidate', 20, { Schedule: { StartTime: start, EndTime: new Date(start.getTime() + 86400_000) } })));
    assert.equal((await waitExp('exp-later', ['Created'])).Status, 'Created');
    await assert.rejects(t.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-later', 'ep-s', 'candidate', 20))), (e: any) => e.name === 'ResourceInUse');
    await assert.rejects(t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-later', ModelVariantActions: { Shadow: 'Remove' } })), (e: any) => e.name === 'ConflictException');
    const list = await t.sagemaker.send(new ListInferenceExperimentsCommand({ StatusEquals: 'Created', NameContains: 'later' }));
    assert.deepEqual(list.InferenceExperiments?.map((e) => e.Name), ['exp-later']);
    const all = await t.sagemaker.send(new ListInferenceExperimentsCommand({ SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 2 }));
    assert.equal(all.InferenceExperiments?.length, 2);
    assert.ok(all.NextToken);
    await t.sagemaker.send(new StartInferenceExperimentCommand({ Name: 'exp-later' }));
    const d = await waitExp('exp-later', ['Running', 'Cancelled']);
    assert.equal(d.Status, 'Running', d.StatusReason);
    assert.ok(d.Schedule!.StartTime!.getTime() <= Date.now());
    await assert.rejects(t.sagemaker.send(new StartInferenceExperimentCommand({ Name: 'exp-later' })), (e: any) => e.name === 'ConflictException');
    // The sampling percentage may change while running.
    await t.sagemaker.send(
      new UpdateInferenceExperimentCommand({ Name: 'exp-later', ShadowModeConfig: { SourceModelVariantName: 'Prod', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage: 100 }] } }),
    );
    assert.equal((await waitExp('exp-later', ['Running'])).ShadowModeConfig?.ShadowModelVariants?.[0]?.SamplingPercentage, 100);
    const before = (await metrics('exp-later')).Variants[1].Invocations;
    for (let i = 0; i < 10; i++) await invoke('ep-s', `{"u":${i}}`);
    await until('every request copied at 100 %', async () => (await metrics('exp-later')).Variants[1].Invocations === before + 10);
    // Both sides echo: every compared pair agrees.
    const agreeing = await metrics('exp-later');
    assert.ok(agreeing.Comparison.Compared >= 10);
    assert.equal(agreeing.Comparison.AgreementRate, 1);
    await t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-later', ModelVariantActions: { Shadow: 'Remove' } }));
    assert.equal((await waitExp('exp-later', ['Completed', 'Cancelled'])).Status, 'Completed');
    await t.sagemaker.send(new DeleteInferenceExperimentCommand({ Name: 'exp-later' }));
    await assert.rejects(t.sagemaker.send(new DeleteInferenceExperimentCommand({ Name: 'exp-later' })), (e: any) => e.name === 'ResourceNotFound');
  });
});
