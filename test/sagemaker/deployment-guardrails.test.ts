import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  type DeploymentConfig,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, runtimeClient, variant, waitStatus } from '../helpers/hosting.js';
import { alive } from '../helpers/processes.js';

const scope = { account: '000000000000', region: 'us-east-1' };

/**
 * A model server that answers `<TAG> <instance id>`, so every answer says which fleet served
 * it (old and new fleets share the variant name, as deployment guardrails require). With
 * CRASH_FILE set it exits (code 7) once that file exists: the test decides when the new fleet
 * "crashes", instead of guessing timings.
 */
const TAGGED_SERVER = `
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
const tag = process.env.TAG ?? 'untagged';
createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ping') { res.writeHead(200); res.end(); return; }
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(tag + ' ' + process.env.SLIPWAY_INSTANCE_ID); });
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
const crashFile = process.env.CRASH_FILE;
if (crashFile) setInterval(() => { if (existsSync(crashFile)) { console.error(tag + ': simulated crash'); process.exit(7); } }, 25);
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

interface Answer {
  tag: string;
  start: number;
  end: number;
}

/** Continuous InvokeEndpoint calls (`concurrency` loops) until stop(); every answer and every error kept. */
function traffic(rt: SageMakerRuntimeClient, endpoint: string, concurrency = 3) {
  const answers: Answer[] = [];
  const errors: string[] = [];
  let stopped = false;
  const loops = Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stopped) {
        const start = Date.now();
        try {
          const out = await rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('x'), ContentType: 'text/plain' }));
          answers.push({ tag: Buffer.from(out.Body!).toString().split(' ')[0]!, start, end: Date.now() });
        } catch (e: any) {
          errors.push(`${e.name}: ${e.message}`);
        }
      }
    }),
  );
  return {
    answers,
    errors,
    /** Answers to calls that started after `from` and ended before `to` (epoch ms). */
    between: (from: number, to = Infinity) => answers.filter((a) => a.start >= from && a.end <= to),
    async stop() {
      stopped = true;
      await loops;
    },
  };
}

const greenShare = (list: Answer[]) => list.filter((a) => a.tag === 'green').length / Math.max(1, list.length);

/** DescribeEndpoint every 100 ms until the endpoint leaves the deployment: every distinct view kept. */
async function watch(t: TestServer, name: string, onView?: (d: DescribeEndpointCommandOutput) => void | Promise<void>, timeoutMs = 90_000) {
  const views: DescribeEndpointCommandOutput[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    views.push(d);
    await onView?.(d);
    if (d.EndpointStatus !== 'Updating' && d.EndpointStatus !== 'RollingBack') return views;
    if (Date.now() > deadline) assert.fail(`endpoint ${name} still ${d.EndpointStatus} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

const pendingStatus = (d: DescribeEndpointCommandOutput) => d.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0];

/** The StartTime (epoch ms) of the first view whose pending variant is in `status` with a message matching `re`. */
function phaseStart(views: DescribeEndpointCommandOutput[], status: string, re: RegExp): number {
  const v = views.map(pendingStatus).find((s) => s?.Status === status && re.test(s.StatusMessage ?? ''));
  assert.ok(v?.StartTime, `no ${status} phase matching ${re} in ${JSON.stringify(views.map(pendingStatus))}`);
  return v.StartTime.getTime();
}

const canary = (Value: number, WaitIntervalInSeconds: number, Type: 'CAPACITY_PERCENT' | 'INSTANCE_COUNT' = 'CAPACITY_PERCENT'): DeploymentConfig => ({
  BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type, Value }, WaitIntervalInSeconds } },
});

describe('UpdateEndpoint deployment guardrails (DeploymentConfig), with real model processes', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  const ctl = () => t.slipway.services.controllers.endpoints!;
  const crashFile = () => join(t.dataDir, 'crash-now');
  const images = (extra: Array<{ image: string; command: string[] }> = []) =>
    writeFileSync(
      join(t.dataDir, 'images.json'),
      JSON.stringify({
        images: [
          { image: 'example.com/tagged:*', command: [process.execPath, join(t.dataDir, 'tagged.mjs')] },
          { image: 'example.com/broken:*', command: [process.execPath, '-e', "console.error('boom: weights file missing'); process.exit(3)"] },
          ...extra,
        ],
      }),
    );

  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    rt = runtimeClient(t);
    writeFileSync(join(t.dataDir, 'tagged.mjs'), TAGGED_SERVER);
    images([{ image: 'example.com/old-tagged:*', command: [process.execPath, join(t.dataDir, 'tagged.mjs')] }]);
    const tagged = (tag: string, env: Record<string, string> = {}, image = 'example.com/tagged:1') => createEchoModel(t.sagemaker, tag, { Image: image, Environment: { TAG: tag.split('-')[0]!, ...env } });
    await tagged('blue');
    await tagged('green');
    await tagged('green-crashy', { CRASH_FILE: join(t.dataDir, 'crash-now') });
    await tagged('blue-old', {}, 'example.com/old-tagged:1');
    await createEchoModel(t.sagemaker, 'broken', { Image: 'example.com/broken:1' });
    await createEchoModel(t.sagemaker, 'unmapped', { Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/nobody:7' });
    await createConfig(t.sagemaker, 'blue-1', [variant('AllTraffic', 'blue')]);
    await createConfig(t.sagemaker, 'green-1', [variant('AllTraffic', 'green')]);
    await createConfig(t.sagemaker, 'blue-2', [variant('AllTraffic', 'blue', 1, 2)]);
    await createConfig(t.sagemaker, 'green-2', [variant('AllTraffic', 'green', 1, 2)]);
    await createConfig(t.sagemaker, 'crashy-1', [variant('AllTraffic', 'green-crashy')]);
    await createConfig(t.sagemaker, 'crashy-2', [variant('AllTraffic', 'green-crashy', 1, 2)]);
    await createConfig(t.sagemaker, 'old-2', [variant('AllTraffic', 'blue-old', 1, 2)]);
    await createConfig(t.sagemaker, 'broken-1', [variant('AllTraffic', 'broken')]);
    await createConfig(t.sagemaker, 'unmapped-1', [variant('AllTraffic', 'unmapped')]);
    await createConfig(t.sagemaker, 'other-name', [variant('Renamed', 'green')]);
    await createConfig(t.sagemaker, 'two-variants', [variant('A', 'blue'), variant('B', 'blue')]);
    await createConfig(t.sagemaker, 'two-variants-green', [variant('A', 'green', 1, 2), variant('B', 'green', 1, 2)]);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  /** Every EndpointStatus written for `name` from now on, consecutive repeats folded (a spy on the real store). */
  const history: Record<string, string[]> = {};
  const recordStatuses = (name: string) => {
    history[name] = [];
    const store = t.slipway.services.store as any;
    if (!store.__spied) {
      const update = store.update.bind(store);
      store.update = async (...args: any[]) => {
        const row = await update(...args);
        const list = row?.kind === 'endpoint' ? history[row.name] : undefined;
        if (list && list.at(-1) !== row.data.EndpointStatus) list.push(row.data.EndpointStatus);
        return row;
      };
      store.__spied = true;
    }
    return history[name]!;
  };
  const update = (EndpointName: string, EndpointConfigName: string, more: { DeploymentConfig?: DeploymentConfig; RetainDeploymentConfig?: boolean } = {}) =>
    t.sagemaker.send(new UpdateEndpointCommand({ EndpointName, EndpointConfigName, ...more }));
  const remove = async (name: string) => {
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: name }));
    await ctl().idle();
  };

  it('CANARY: while the canary bakes 25 % of continuous calls reach the new fleet and none fails; then 100 %, the old fleet stops', async () => {
    const d0 = await createEndpoint(t.sagemaker, 'canary', 'blue-1');
    assert.equal(d0.EndpointStatus, 'InService', d0.FailureReason);
    const bluePids = ctl().describeFleets(scope, 'canary').blue.map((i) => i.pid!);
    const calls = traffic(rt, 'canary');
    await until('traffic', () => calls.answers.length > 10);
    const config = canary(25, 1);
    await update('canary', 'green-1', { DeploymentConfig: config });
    const views = await watch(t, 'canary');
    const doneAt = Date.now();
    await until('answers after InService', () => calls.between(doneAt).length >= 20);
    await calls.stop();
    assert.deepEqual(calls.errors, []);

    // DescribeEndpoint during the deployment: Updating, with the pending deployment and its phase.
    const baking = views.find((d) => pendingStatus(d)?.Status === 'Baking' && /^Canary/.test(pendingStatus(d)!.StatusMessage!))!;
    assert.ok(baking, JSON.stringify(views.map(pendingStatus)));
    assert.equal(baking.EndpointStatus, 'Updating');
    assert.equal(baking.EndpointConfigName, 'blue-1');
    assert.equal(baking.PendingDeploymentSummary!.EndpointConfigName, 'green-1');
    assert.ok(baking.PendingDeploymentSummary!.StartTime instanceof Date);
    const pv = baking.PendingDeploymentSummary!.ProductionVariants![0]!;
    assert.equal(pv.VariantName, 'AllTraffic');
    assert.equal(pv.CurrentWeight, 0.25);
    assert.equal(pv.DesiredWeight, 1);
    assert.equal(pv.CurrentInstanceCount, 1);
    assert.equal(pv.DesiredInstanceCount, 1);
    assert.equal(pv.InstanceType, 'ml.m5.large');
    assert.match(pv.VariantStatus![0]!.StatusMessage!, /25% of traffic on the new fleet; baking for 1 s/);
    assert.equal(baking.ProductionVariants![0]!.VariantStatus![0]!.Status, 'Updating');
    assert.ok(views.some((d) => pendingStatus(d)?.Status === 'Creating'));

    // The traffic itself: the canary share while it bakes, everything once the final step began.
    const canaryAt = phaseStart(views, 'Baking', /^Canary/);
    const finalAt = phaseStart(views, 'Baking', /^Final step/);
    assert.ok(finalAt - canaryAt >= 950, `canary baked ${finalAt - canaryAt} ms`);
    const during = calls.between(canaryAt + 50, finalAt - 50);
    assert.ok(during.length >= 20, `only ${during.length} calls during the canary`);
    const share = greenShare(during);
    assert.ok(share > 0.15 && share < 0.35, `green share during the canary: ${share} of ${during.length}`);
    assert.equal(greenShare(calls.between(finalAt + 50)), 1);
    assert.equal(greenShare(calls.answers.filter((a) => a.end < canaryAt)), 0);

    const done = views.at(-1)!;
    assert.equal(done.EndpointStatus, 'InService');
    assert.equal(done.EndpointConfigName, 'green-1');
    assert.equal(done.PendingDeploymentSummary, undefined);
    assert.equal(done.FailureReason, undefined);
    assert.deepEqual(done.LastDeploymentConfig, config);
    assert.deepEqual(done.ProductionVariants!.map((v) => [v.VariantName, v.CurrentInstanceCount, v.CurrentWeight]), [['AllTraffic', 1, 1]]);
    await until('old processes stopped', () => bluePids.every((p) => !alive(p)), 15_000);
  });

  it('RetainDeploymentConfig reuses the last DeploymentConfig (another canary); without it the update is all at once', async () => {
    await update('canary', 'blue-1', { RetainDeploymentConfig: true });
    const views = await watch(t, 'canary');
    assert.ok(
      views.some((d) => pendingStatus(d)?.Status === 'Baking' && d.PendingDeploymentSummary!.ProductionVariants![0]!.CurrentWeight === 0.25),
      JSON.stringify(views.map(pendingStatus)),
    );
    const done = views.at(-1)!;
    assert.equal(done.EndpointConfigName, 'blue-1');
    assert.deepEqual(done.LastDeploymentConfig, canary(25, 1));

    const started = Date.now();
    await update('canary', 'green-1');
    const plain = await watch(t, 'canary');
    assert.ok(Date.now() - started < 3000, 'no baking period without a DeploymentConfig');
    assert.ok(!plain.some((d) => pendingStatus(d)?.Status === 'Baking'));
    assert.equal(plain.at(-1)!.EndpointConfigName, 'green-1');
    assert.equal(plain.at(-1)!.LastDeploymentConfig, undefined);
    await remove('canary');
  });

  it('LINEAR: traffic moves in steps of LinearStepSize, each baked, the share growing step by step', async () => {
    await createEndpoint(t.sagemaker, 'linear', 'blue-1');
    const calls = traffic(rt, 'linear');
    await update('linear', 'green-1', {
      DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 34 }, WaitIntervalInSeconds: 1 } } },
    });
    const views = await watch(t, 'linear');
    await calls.stop();
    assert.deepEqual(calls.errors, []);
    const weights = [
      ...new Set(views.filter((d) => pendingStatus(d)?.Status === 'Baking').map((d) => d.PendingDeploymentSummary!.ProductionVariants![0]!.CurrentWeight)),
    ];
    assert.deepEqual(weights, [0.34, 0.68, 1]);
    const starts = [1, 2, 3].map((k) => phaseStart(views, 'Baking', new RegExp(`^Linear step ${k} of 3: `)));
    const s1 = greenShare(calls.between(starts[0]! + 50, starts[1]! - 50));
    const s2 = greenShare(calls.between(starts[1]! + 50, starts[2]! - 50));
    assert.ok(s1 > 0.2 && s1 < 0.48, `step 1 green share ${s1}`);
    assert.ok(s2 > 0.54 && s2 < 0.82, `step 2 green share ${s2}`);
    assert.equal(greenShare(calls.between(starts[2]! + 50)), 1);
    assert.equal(views.at(-1)!.EndpointConfigName, 'green-1');
    await remove('linear');
  });

  it('ALL_AT_ONCE with a baking period and TerminationWaitInSeconds: the old fleet runs without traffic for the wait, then stops', async () => {
    await createEndpoint(t.sagemaker, 'allatonce', 'blue-1');
    const bluePids = ctl().describeFleets(scope, 'allatonce').blue.map((i) => i.pid!);
    assert.equal(bluePids.length, 1);
    const calls = traffic(rt, 'allatonce');
    let sawWaitWithBlueAlive = false;
    await update('allatonce', 'green-1', {
      DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 1 }, TerminationWaitInSeconds: 2 } },
    });
    const views = await watch(t, 'allatonce', (d) => {
      const old = d.ProductionVariants![0]!.VariantStatus?.[0];
      if (old?.Status === 'Deleting' && bluePids.every(alive)) sawWaitWithBlueAlive = true;
    });
    await calls.stop();
    assert.deepEqual(calls.errors, []);
    const bakeAt = phaseStart(views, 'Baking', /^All traffic on the new fleet; baking for 1 s/);
    const waitView = views.find((d) => d.ProductionVariants![0]!.VariantStatus?.[0]?.Status === 'Deleting')!;
    assert.ok(waitView, 'the termination wait shows the old variant Deleting');
    const waitAt = waitView.ProductionVariants![0]!.VariantStatus![0]!.StartTime!.getTime();
    assert.match(waitView.ProductionVariants![0]!.VariantStatus![0]!.StatusMessage!, /old fleet stops in 2 s/);
    assert.equal(waitView.EndpointStatus, 'Updating');
    assert.ok(waitAt - bakeAt >= 950, `baked ${waitAt - bakeAt} ms`);
    assert.ok(sawWaitWithBlueAlive, 'the old process was alive during the termination wait');
    // Not serving: every call that started after the switch was answered by the new fleet.
    assert.equal(greenShare(calls.between(bakeAt + 50)), 1);
    assert.ok(calls.between(waitAt + 50).length > 5);
    const done = views.at(-1)!;
    assert.equal(done.EndpointStatus, 'InService');
    // Stopped only after the wait: InService (which follows the stop) came at least 2 s after it began.
    assert.ok(done.LastModifiedTime!.getTime() - waitAt >= 1900, `wait lasted ${done.LastModifiedTime!.getTime() - waitAt} ms`);
    assert.ok(bluePids.every((p) => !alive(p)), 'the old process stopped');
    assert.equal(ctl().describeFleets(scope, 'allatonce').blue.length, 1);
    assert.equal(ctl().describeFleets(scope, 'allatonce').green.length, 0);
    await remove('allatonce');
  });

  it('a new fleet that cannot start rolls back: RollingBack, then InService on the old configuration with the reason; the old fleet serves throughout', async () => {
    await createEndpoint(t.sagemaker, 'nostart', 'blue-1');
    const calls = traffic(rt, 'nostart');
    const statuses = recordStatuses('nostart');
    await update('nostart', 'broken-1', { DeploymentConfig: canary(50, 1) });
    const views = await watch(t, 'nostart');
    assert.deepEqual(statuses, ['Updating', 'RollingBack', 'InService']);
    const done = views.at(-1)!;
    assert.equal(done.EndpointConfigName, 'blue-1');
    assert.equal(done.PendingDeploymentSummary, undefined);
    assert.match(done.FailureReason!, /exited with code 3 before answering GET \/ping/);
    assert.match(done.FailureReason!, /boom: weights file missing/);
    assert.deepEqual(done.LastDeploymentConfig, canary(50, 1));

    // An image nothing maps: the catalog's hint becomes the reason.
    await update('nostart', 'unmapped-1', { DeploymentConfig: canary(50, 1) });
    const again = (await watch(t, 'nostart')).at(-1)!;
    assert.equal(again.EndpointStatus, 'InService');
    assert.equal(again.EndpointConfigName, 'blue-1');
    assert.match(again.FailureReason!, /nobody:7/);
    await sleep(300);
    await calls.stop();
    assert.deepEqual(calls.errors, []);
    assert.equal(greenShare(calls.answers), 0);
    assert.ok(calls.answers.every((a) => a.tag === 'blue'));
    await remove('nostart');
  });

  it('a new instance that crashes while the canary bakes rolls back at once: all traffic to the old fleet, RollingBack → InService with the crash and its log', async () => {
    rmSync(crashFile(), { force: true });
    await createEndpoint(t.sagemaker, 'crash', 'blue-1');
    const calls = traffic(rt, 'crash');
    let greenPids: number[] = [];
    const statuses = recordStatuses('crash');
    await update('crash', 'crashy-1', { DeploymentConfig: canary(50, 30) });
    const views = await watch(t, 'crash', (d) => {
      if (pendingStatus(d)?.Status === 'Baking' && !greenPids.length) {
        greenPids = ctl().describeFleets(scope, 'crash').green.map((i) => i.pid!);
        writeFileSync(crashFile(), 'now');
      }
    });
    rmSync(crashFile(), { force: true });
    const doneAt = Date.now();
    await until('answers after the rollback', () => calls.between(doneAt).length >= 20);
    await calls.stop();
    assert.deepEqual(calls.errors, []);
    assert.deepEqual(statuses, ['Updating', 'RollingBack', 'InService']);
    const done = views.at(-1)!;
    assert.equal(done.EndpointStatus, 'InService');
    assert.equal(done.EndpointConfigName, 'blue-1');
    assert.equal(done.PendingDeploymentSummary, undefined);
    assert.match(done.FailureReason!, /^Model server i-[0-9a-f]+ of the new fleet \(variant AllTraffic\) exited with code 7 during the deployment/);
    assert.match(done.FailureReason!, /green: simulated crash/);
    // Well before the 30 s bake would have ended.
    assert.ok(done.LastModifiedTime!.getTime() - phaseStart(views, 'Baking', /^Canary/) < 10_000);
    assert.equal(greenShare(calls.between(doneAt)), 0);
    assert.ok(greenPids.length === 1);
    await until('new processes stopped', () => greenPids.every((p) => !alive(p)), 15_000);
    assert.equal(ctl().describeFleets(scope, 'crash').green.length, 0);
    await remove('crash');
  });

  it('RollingUpdatePolicy: instances are replaced batch by batch, each batch baked, never more than one extra instance', async () => {
    await createEndpoint(t.sagemaker, 'rolling', 'blue-2');
    const calls = traffic(rt, 'rolling');
    const shapes: string[] = [];
    let most = 0;
    const config: DeploymentConfig = { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 1 } };
    await update('rolling', 'green-2', { DeploymentConfig: config });
    const views = await watch(t, 'rolling', () => {
      const f = ctl().describeFleets(scope, 'rolling');
      const shape = `${f.green.length}g${f.blue.length}b`;
      if (shapes.at(-1) !== shape) shapes.push(shape);
      most = Math.max(most, f.green.length + f.blue.length);
    });
    await calls.stop();
    assert.deepEqual(calls.errors, []);
    // 2 old → one new beside them, baked → one old stops → the second new → the last old stops.
    assert.deepEqual(
      shapes.filter((s) => s !== '0g2b'),
      ['1g2b', '1g1b', '2g1b', '2g0b'].filter((s) => shapes.includes(s)),
    );
    assert.ok(shapes.includes('1g2b') && shapes.includes('2g1b'), `fleet shapes: ${shapes}`);
    assert.ok(most <= 3, `at most one instance beyond the fleet, saw ${most}`);
    const batches = views.filter((d) => pendingStatus(d)?.Status === 'Baking').map((d) => pendingStatus(d)!.StatusMessage!.slice(0, 14));
    assert.deepEqual([...new Set(batches)], ['Batch 1 of 2: ', 'Batch 2 of 2: ']);
    const b1 = phaseStart(views, 'Baking', /^Batch 1 of 2/);
    const b2 = phaseStart(views, 'Baking', /^Batch 2 of 2/);
    assert.ok(b2 - b1 >= 950, `batch 1 baked ${b2 - b1} ms`);
    const s1 = greenShare(calls.between(b1 + 50, b2 - 50));
    assert.ok(s1 > 0.1 && s1 < 0.6, `green share in batch 1 (1 of 3, then 1 of 2 instances): ${s1}`);
    const done = views.at(-1)!;
    assert.equal(done.EndpointConfigName, 'green-2');
    assert.deepEqual(done.LastDeploymentConfig, config);
    assert.deepEqual(done.ProductionVariants!.map((v) => v.CurrentInstanceCount), [2]);
    await remove('rolling');
  });

  it('a rolling deployment that fails after old instances stopped starts them again (RollbackMaximumBatchSize at a time)', async () => {
    rmSync(crashFile(), { force: true });
    await createEndpoint(t.sagemaker, 'rollback', 'blue-2');
    const before = new Set(ctl().describeFleets(scope, 'rollback').blue.map((i) => i.id));
    const calls = traffic(rt, 'rollback');
    const statuses = recordStatuses('rollback');
    await update('rollback', 'crashy-2', {
      DeploymentConfig: {
        RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 1, RollbackMaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 } },
      },
    });
    const seen = new Set<string>();
    const views = await watch(t, 'rollback', (d) => {
      seen.add(d.EndpointStatus!);
      if (pendingStatus(d)?.Status === 'Baking' && /^Batch 2/.test(pendingStatus(d)!.StatusMessage!)) writeFileSync(crashFile(), 'now');
    });
    rmSync(crashFile(), { force: true });
    const doneAt = Date.now();
    await until('answers after the rollback', () => calls.between(doneAt).length >= 20);
    await calls.stop();
    assert.deepEqual(calls.errors, []);
    assert.deepEqual(statuses, ['Updating', 'RollingBack', 'InService']);
    assert.ok(seen.has('RollingBack'), `statuses seen: ${[...seen]}`);
    const done = views.at(-1)!;
    assert.equal(done.EndpointStatus, 'InService');
    assert.equal(done.EndpointConfigName, 'blue-2');
    assert.match(done.FailureReason!, /exited with code 7 during the deployment/);
    const fleets = ctl().describeFleets(scope, 'rollback');
    assert.equal(fleets.green.length, 0);
    assert.equal(fleets.blue.length, 2);
    assert.ok(fleets.blue.every((i) => i.healthy));
    // One of the two old instances had stopped after batch 1: the rollback started a fresh one.
    assert.equal(fleets.blue.filter((i) => before.has(i.id)).length, 1);
    assert.equal(greenShare(calls.between(doneAt)), 0);
    await remove('rollback');
  });

  it('a rolling rollback that cannot start the old instances leaves UpdateRollbackFailed, still serving; UpdateEndpoint brings it back', async () => {
    rmSync(crashFile(), { force: true });
    await createEndpoint(t.sagemaker, 'stuck', 'old-2');
    const calls = traffic(rt, 'stuck');
    await update('stuck', 'crashy-2', {
      DeploymentConfig: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 1 } },
    });
    const views = await watch(t, 'stuck', (d) => {
      if (pendingStatus(d)?.Status === 'Baking' && /^Batch 2/.test(pendingStatus(d)!.StatusMessage!)) {
        // The old image loses its mapping, then the new fleet crashes: the rollback cannot start old instances.
        images();
        writeFileSync(crashFile(), 'now');
      }
    });
    rmSync(crashFile(), { force: true });
    const done = views.at(-1)!;
    assert.equal(done.EndpointStatus, 'UpdateRollbackFailed');
    assert.match(done.FailureReason!, /exited with code 7 during the deployment.*The rollback failed too: .*old-tagged:1/s);
    // Still in service, with what runs (the remaining old instance and the restarted new ones).
    const mark = Date.now();
    await until('answers while UpdateRollbackFailed', () => calls.between(mark).length >= 10);
    assert.deepEqual(calls.errors, []);
    await update('stuck', 'green-2');
    const fixed = (await watch(t, 'stuck')).at(-1)!;
    await calls.stop();
    assert.equal(fixed.EndpointStatus, 'InService', fixed.FailureReason);
    assert.equal(fixed.EndpointConfigName, 'green-2');
    assert.equal(ctl().describeFleets(scope, 'stuck').blue.length, 2);
    images([{ image: 'example.com/old-tagged:*', command: [process.execPath, join(t.dataDir, 'tagged.mjs')] }]);
    await remove('stuck');
  });

  it('MaximumExecutionTimeoutInSeconds: a deployment still baking when it passes is rolled back (time moved by the injected clock)', async () => {
    await createEndpoint(t.sagemaker, 'slow', 'blue-1');
    const config: DeploymentConfig = {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 590 },
        MaximumExecutionTimeoutInSeconds: 600,
      },
    };
    const statuses = recordStatuses('slow');
    await update('slow', 'green-1', { DeploymentConfig: config });
    const clock = t.slipway.services.clock as { now: () => number };
    const real = clock.now;
    let moved = false;
    try {
      const views = await watch(t, 'slow', (d) => {
        if (pendingStatus(d)?.Status === 'Baking' && !moved) {
          moved = true;
          clock.now = () => real() + 601_000;
        }
      });
      const done = views.at(-1)!;
      assert.equal(done.EndpointStatus, 'InService');
      assert.equal(done.EndpointConfigName, 'blue-1');
      assert.equal(done.FailureReason, 'The deployment did not finish within MaximumExecutionTimeoutInSeconds (600 s); all traffic went back to the old fleet.');
      assert.deepEqual(statuses, ['Updating', 'RollingBack', 'InService']);
    } finally {
      clock.now = real;
    }
    assert.equal(ctl().describeFleets(scope, 'slow').green.length, 0);
    await remove('slow');
  });

  it('refuses DeploymentConfig combinations AWS refuses, and changes nothing', async () => {
    await createEndpoint(t.sagemaker, 'strict', 'blue-1');
    const refused = async (config: string, DeploymentConfig: DeploymentConfig, message: string | RegExp) => {
      await assert.rejects(update('strict', config, { DeploymentConfig }), (e: any) => {
        assert.equal(e.name, 'ValidationException');
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      });
    };
    const rolling = { MaximumBatchSize: { Type: 'CAPACITY_PERCENT' as const, Value: 50 }, WaitIntervalInSeconds: 0 };
    await refused('green-1', { ...canary(50, 0), RollingUpdatePolicy: rolling }, 'DeploymentConfig can have either BlueGreenUpdatePolicy or RollingUpdatePolicy, not both.');
    await refused(
      'green-1',
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 0 } } },
      'CanarySize must be specified when the TrafficRoutingConfiguration Type is CANARY.',
    );
    await refused(
      'green-1',
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 0 } } },
      'LinearStepSize must be specified when the TrafficRoutingConfiguration Type is LINEAR.',
    );
    await refused('green-1', canary(1, 0, 'INSTANCE_COUNT'), 'CanarySize 1 instance (100%) must be at most 50% of the instance count of variant AllTraffic (1).');
    await refused('green-1', canary(75, 0), 'CanarySize 75% must be at most 50% of the new fleet.');
    await refused(
      'green-1',
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 0, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 5 } } } },
      'LinearStepSize 5% must be between 10% and 50% of the new fleet.',
    );
    await refused('green-1', { RollingUpdatePolicy: { ...rolling, MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 60 } } }, 'MaximumBatchSize 60% must be between 5% and 50% of the fleet.');
    await refused(
      'other-name',
      canary(50, 0),
      'A deployment with BlueGreenUpdatePolicy needs the same production variant names in the new endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/other-name" (Renamed) as in the current one (AllTraffic).',
    );
    await refused(
      'green-1',
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 400 }, TerminationWaitInSeconds: 200, MaximumExecutionTimeoutInSeconds: 600 } },
      'MaximumExecutionTimeoutInSeconds (600) must be larger than the total waiting time of TerminationWaitInSeconds and WaitIntervalInSeconds (600).',
    );
    // Ranges from the service model, with the validator's standard wording.
    await refused(
      'green-1',
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 }, MaximumExecutionTimeoutInSeconds: 599 } },
      /Value '599' at 'deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 600/,
    );
    await refused(
      'green-1',
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 3601 } } },
      /Value '3601' at 'deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600/,
    );
    const d = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'strict' }));
    assert.equal(d.EndpointStatus, 'InService');
    assert.equal(d.EndpointConfigName, 'blue-1');
    assert.equal(d.LastDeploymentConfig, undefined);
    await remove('strict');

    // Rolling deployments are for single-variant endpoints only (developer guide, "Exclusions").
    await createEndpoint(t.sagemaker, 'multi', 'two-variants');
    await assert.rejects(
      update('multi', 'two-variants-green', { DeploymentConfig: { RollingUpdatePolicy: rolling } }),
      (e: any) => e.name === 'ValidationException' && e.message === 'RollingUpdatePolicy is not supported for endpoints with more than one production variant.',
    );
    await remove('multi');

    // CreateEndpoint checks the shape of the config it stores for later updates.
    await assert.rejects(
      t.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'never', EndpointConfigName: 'blue-1', DeploymentConfig: { ...canary(50, 0), RollingUpdatePolicy: rolling } })),
      (e: any) => e.name === 'ValidationException' && /either BlueGreenUpdatePolicy or RollingUpdatePolicy/.test(e.message),
    );
  });

  it('a CANARY across two variants splits each variant between its old and new instances', async () => {
    await createEndpoint(t.sagemaker, 'pair', 'two-variants');
    const calls = traffic(rt, 'pair');
    await update('pair', 'two-variants-green', { DeploymentConfig: canary(1, 1, 'INSTANCE_COUNT') });
    const views = await watch(t, 'pair');
    await calls.stop();
    assert.deepEqual(calls.errors, []);
    const baking = views.find((d) => pendingStatus(d)?.Status === 'Baking' && /^Canary/.test(pendingStatus(d)!.StatusMessage!))!;
    assert.deepEqual(
      baking.PendingDeploymentSummary!.ProductionVariants!.map((v) => [v.VariantName, v.CurrentWeight, v.CurrentInstanceCount]),
      [
        ['A', 0.5, 2],
        ['B', 0.5, 2],
      ],
    );
    const share = greenShare(calls.between(phaseStart(views, 'Baking', /^Canary/) + 50, phaseStart(views, 'Baking', /^Final/) - 50));
    assert.ok(share > 0.3 && share < 0.7, `green share ${share}`);
    assert.deepEqual(views.at(-1)!.ProductionVariants!.map((v) => [v.VariantName, v.CurrentInstanceCount]), [
      ['A', 2],
      ['B', 2],
    ]);
    await remove('pair');
  });
});

describe('a guarded deployment across a restart of Slipway', () => {
  it('starts again from its first step once the old fleet is back (one in its termination wait just finishes); both end InService on the new configuration', async () => {
    let t = await startTestServer({ env: HOSTING_ENV });
    const dataDir = t.dataDir;
    try {
      writeFileSync(join(dataDir, 'tagged.mjs'), TAGGED_SERVER);
      writeFileSync(join(dataDir, 'images.json'), JSON.stringify({ images: [{ image: 'example.com/tagged:*', command: [process.execPath, join(dataDir, 'tagged.mjs')] }] }));
      await createEchoModel(t.sagemaker, 'blue', { Image: 'example.com/tagged:1', Environment: { TAG: 'blue' } });
      await createEchoModel(t.sagemaker, 'green', { Image: 'example.com/tagged:1', Environment: { TAG: 'green' } });
      await createConfig(t.sagemaker, 'blue-1', [variant('AllTraffic', 'blue')]);
      await createConfig(t.sagemaker, 'green-1', [variant('AllTraffic', 'green')]);
      await createEndpoint(t.sagemaker, 'durable', 'blue-1');
      await createEndpoint(t.sagemaker, 'finishing', 'blue-1');
      const waitLong: DeploymentConfig = { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 }, TerminationWaitInSeconds: 3600 } };
      await t.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'finishing', EndpointConfigName: 'green-1', DeploymentConfig: waitLong }));
      await t.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'durable', EndpointConfigName: 'green-1', DeploymentConfig: canary(50, 2) }));
      const describe = (name: string) => t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      await until('the canary bakes', async () => pendingStatus(await describe('durable'))?.Status === 'Baking');
      await until('the termination wait', async () => (await describe('finishing')).ProductionVariants![0]!.VariantStatus?.[0]?.Status === 'Deleting');
      const first = (await describe('durable')).PendingDeploymentSummary!.StartTime!;
      await t.close({ keepData: true });

      t = await startTestServer({ dataDir, env: HOSTING_ENV });
      const restartedAt = Date.now();
      const finishing = await watch(t, 'finishing');
      assert.ok(Date.now() - restartedAt < 30_000, 'the termination wait is not served again');
      assert.ok(!finishing.some((d) => pendingStatus(d)?.Status === 'Baking'), 'no step of a finished deployment runs again');
      assert.equal(finishing.at(-1)!.EndpointStatus, 'InService');
      assert.equal(finishing.at(-1)!.EndpointConfigName, 'green-1');
      assert.deepEqual(finishing.at(-1)!.LastDeploymentConfig, waitLong);
      const views = await watch(t, 'durable');
      assert.ok(
        views.some((d) => pendingStatus(d)?.Status === 'Baking' && /^Canary/.test(pendingStatus(d)!.StatusMessage!)),
        `the canary ran again: ${JSON.stringify(views.map(pendingStatus))}`,
      );
      assert.deepEqual(views.find((d) => d.PendingDeploymentSummary)?.PendingDeploymentSummary?.StartTime, first);
      const done = views.at(-1)!;
      assert.equal(done.EndpointStatus, 'InService', done.FailureReason);
      assert.equal(done.EndpointConfigName, 'green-1');
      const rt = runtimeClient(t);
      try {
        const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'durable', Body: Buffer.from('x'), ContentType: 'text/plain' }));
        assert.match(Buffer.from(out.Body!).toString(), /^green /);
      } finally {
        rt.destroy();
      }
      await waitStatus(t.sagemaker, 'durable', ['InService']);
    } finally {
      await t.close();
    }
  });
});
