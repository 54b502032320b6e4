import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, runtimeClient, variant, waitStatus } from '../helpers/hosting.js';
import { alive } from '../helpers/processes.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const arnOf = (name: string) => `arn:aws:sagemaker:us-east-1:000000000000:endpoint/${name.toLowerCase()}`;

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('Endpoints: control plane and lifecycle with real model processes', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  const ctl = () => t.slipway.services.controllers.endpoints!;

  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    rt = runtimeClient(t);
    writeFileSync(
      join(t.dataDir, 'images.json'),
      JSON.stringify({
        images: [
          { image: 'example.com/broken:*', command: [process.execPath, '-e', "console.error('boom: weights file missing'); process.exit(3)"] },
        ],
      }),
    );
    await createEchoModel(t.sagemaker, 'm1', { Environment: { GREETING: 'hi' } });
    await createEchoModel(t.sagemaker, 'm2');
    await createEchoModel(t.sagemaker, 'broken', { Image: 'example.com/broken:1' });
    await createEchoModel(t.sagemaker, 'unknown-image', { Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/nobody:7' });
    await createConfig(t.sagemaker, 'one', [variant('AllTraffic', 'm1', 1, 1)]);
    await createConfig(t.sagemaker, 'two', [variant('Blue', 'm2', 1, 2)]);
    await createConfig(t.sagemaker, 'broken', [variant('AllTraffic', 'broken')]);
    await createConfig(t.sagemaker, 'unknown', [variant('AllTraffic', 'unknown-image')]);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('CreateEndpoint answers at once with Creating, then InService with AWS members filled in', async () => {
    const out = await t.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'Life', EndpointConfigName: 'one' }));
    assert.equal(out.EndpointArn, arnOf('Life'));
    const first = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'life' }));
    assert.ok(['Creating', 'InService'].includes(first.EndpointStatus!));
    const d = await waitStatus(t.sagemaker, 'Life', ['InService', 'Failed']);
    assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
    assert.equal(d.EndpointName, 'Life');
    assert.equal(d.EndpointConfigName, 'one');
    assert.ok(d.CreationTime instanceof Date && d.LastModifiedTime instanceof Date);
    const v = d.ProductionVariants![0]!;
    assert.equal(v.VariantName, 'AllTraffic');
    assert.equal(v.CurrentWeight, 1);
    assert.equal(v.DesiredWeight, 1);
    assert.equal(v.CurrentInstanceCount, 1);
    assert.equal(v.DesiredInstanceCount, 1);
    assert.equal(v.DeployedImages![0]!.SpecifiedImage, 'slipway/echo:latest');
    assert.ok(v.DeployedImages![0]!.ResolutionTime instanceof Date);
    const inst = ctl().describeInstances(scope, 'Life');
    assert.equal(inst.length, 1);
    assert.ok(inst[0]!.pid && alive(inst[0]!.pid));
  });

  it('a serverless variant is described as AWS does (Desired/CurrentServerlessConfig, no instance counts) and serves', async () => {
    const cfg = { MemorySizeInMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 1 };
    await createConfig(t.sagemaker, 'sls', [{ VariantName: 'Sls', ModelName: 'm1', ServerlessConfig: cfg }]);
    await t.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'serverless', EndpointConfigName: 'sls' }));
    const creating = (await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'serverless' }))).ProductionVariants![0]!;
    assert.deepEqual(creating.DesiredServerlessConfig, cfg);
    assert.equal(creating.CurrentInstanceCount, undefined);
    assert.equal(creating.DesiredInstanceCount, undefined);
    const d = await waitStatus(t.sagemaker, 'serverless', ['InService', 'Failed']);
    assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
    const v = d.ProductionVariants![0]!;
    assert.deepEqual(v.CurrentServerlessConfig, cfg);
    assert.deepEqual(v.DesiredServerlessConfig, cfg);
    assert.equal(v.CurrentInstanceCount, undefined);
    assert.equal(v.DesiredInstanceCount, undefined);
    const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'serverless', Body: Buffer.from('on demand') }));
    assert.equal(Buffer.from(out.Body!).toString(), 'on demand');
    assert.equal(out.InvokedProductionVariant, 'Sls');
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'serverless' }));
  });

  it('a second CreateEndpoint with the same name is refused with AWS wording', async () => {
    await assert.rejects(t.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'LIFE', EndpointConfigName: 'one' })), (e: any) => {
      assert.equal(e.name, 'ValidationException');
      assert.equal(e.message, `Cannot create already existing endpoint "${arnOf('LIFE')}".`);
      return true;
    });
  });

  it('a missing endpoint or endpoint config is a ValidationException "Could not find …"', async () => {
    await assert.rejects(t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ghost' })), (e: any) => {
      assert.equal(e.name, 'ValidationException');
      assert.equal(e.message, `Could not find endpoint "${arnOf('ghost')}".`);
      return true;
    });
    await assert.rejects(t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'ghost' })), /Could not find endpoint/);
    await assert.rejects(
      t.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'x', EndpointConfigName: 'no-such-config' })),
      /Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config\/no-such-config"\./,
    );
  });

  it('an image nobody mapped fails the endpoint with a FailureReason that says how to map it', async () => {
    const d = await createEndpoint(t.sagemaker, 'no-map', 'unknown');
    assert.equal(d.EndpointStatus, 'Failed');
    assert.match(d.FailureReason!, /123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/nobody:7/);
    assert.match(d.FailureReason!, /images\.json/);
  });

  it('an image that cannot start fails the endpoint with the log tail in FailureReason', async () => {
    const d = await createEndpoint(t.sagemaker, 'crashy', 'broken');
    assert.equal(d.EndpointStatus, 'Failed');
    assert.match(d.FailureReason!, /exited with code 3/);
    assert.match(d.FailureReason!, /boom: weights file missing/);
    // A Failed endpoint can be deleted.
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'crashy' }));
    await until('crashy deleted', async () => {
      try {
        await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'crashy' }));
        return false;
      } catch (e: any) {
        return e.name === 'ValidationException';
      }
    });
  });

  it('tags given to CreateEndpoint are listed on the endpoint ARN', async () => {
    await t.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'Tagged', EndpointConfigName: 'unknown', Tags: [{ Key: 'team', Value: 'ml' }] }));
    const tags = await t.sagemaker.send(new ListTagsCommand({ ResourceArn: arnOf('Tagged') }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ml' }]);
    await waitStatus(t.sagemaker, 'Tagged', ['Failed']);
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'Tagged' }));
    await until('Tagged deleted', async () => {
      try {
        await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'Tagged' }));
        return false;
      } catch (e: any) {
        return e.name === 'ValidationException';
      }
    });
  });

  it('ListEndpoints filters by status and name, sorts and pages', async () => {
    const failed = await t.sagemaker.send(new ListEndpointsCommand({ StatusEquals: 'Failed' }));
    assert.deepEqual(failed.Endpoints!.map((e) => e.EndpointName), ['no-map']);
    const named = await t.sagemaker.send(new ListEndpointsCommand({ NameContains: 'lif', SortBy: 'Name', SortOrder: 'Ascending' }));
    assert.deepEqual(named.Endpoints!.map((e) => e.EndpointName), ['Life']);
    assert.equal(named.Endpoints![0]!.EndpointStatus, 'InService');
    const p1 = await t.sagemaker.send(new ListEndpointsCommand({ MaxResults: 1, SortBy: 'Name', SortOrder: 'Ascending' }));
    assert.equal(p1.Endpoints!.length, 1);
    const p2 = await t.sagemaker.send(new ListEndpointsCommand({ MaxResults: 1, SortBy: 'Name', SortOrder: 'Ascending', NextToken: p1.NextToken }));
    assert.notEqual(p2.Endpoints![0]!.EndpointName, p1.Endpoints![0]!.EndpointName);
  });

  it('UpdateEndpoint under continuous traffic: blue/green, no request lost, old processes stopped', async () => {
    const oldPids = ctl().describeInstances(scope, 'Life').map((i) => i.pid!);
    let stop = false;
    let ok = 0;
    const errors: string[] = [];
    const seen = new Set<string>();
    const traffic = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'Life', Body: Buffer.from('ping'), ContentType: 'text/plain' }));
            assert.equal(Buffer.from(out.Body!).toString(), 'ping');
            seen.add(out.InvokedProductionVariant!);
            ok++;
          } catch (e: any) {
            errors.push(`${e.name}: ${e.message}`);
          }
        }
      }),
    );
    await t.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'Life', EndpointConfigName: 'two' }));
    const during = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'Life' }));
    assert.equal(during.EndpointStatus, 'Updating');
    // While Updating, another update is refused as AWS does.
    await assert.rejects(
      t.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'Life', EndpointConfigName: 'one' })),
      (e: any) => e.message === `Cannot update in-progress endpoint "${arnOf('Life')}".`,
    );
    const d = await waitStatus(t.sagemaker, 'Life', ['InService']);
    const after = ok;
    await until('traffic on the new fleet', () => ok > after + 20);
    stop = true;
    await traffic;
    assert.deepEqual(errors, []);
    assert.ok(seen.has('AllTraffic') && seen.has('Blue'), `variants seen: ${[...seen]}`);
    assert.equal(d.EndpointConfigName, 'two');
    assert.equal(d.PendingDeploymentSummary, undefined);
    assert.deepEqual(d.ProductionVariants!.map((v) => [v.VariantName, v.CurrentInstanceCount]), [['Blue', 2]]);
    await until('old processes gone', () => oldPids.every((p) => !alive(p)));
  });

  it('UpdateEndpointWeightsAndCapacities scales instances up and down for real', async () => {
    await t.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'Life', DesiredWeightsAndCapacities: [{ VariantName: 'Blue', DesiredInstanceCount: 3 }] }),
    );
    let d = await waitStatus(t.sagemaker, 'Life', ['InService']);
    assert.equal(d.ProductionVariants![0]!.CurrentInstanceCount, 3);
    assert.equal(ctl().describeInstances(scope, 'Life').filter((i) => i.healthy).length, 3);
    const before = ctl().describeInstances(scope, 'Life').map((i) => i.pid!);
    await t.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'Life', DesiredWeightsAndCapacities: [{ VariantName: 'Blue', DesiredInstanceCount: 1, DesiredWeight: 3 }] }),
    );
    d = await waitStatus(t.sagemaker, 'Life', ['InService']);
    assert.equal(d.ProductionVariants![0]!.CurrentInstanceCount, 1);
    assert.equal(d.ProductionVariants![0]!.CurrentWeight, 3);
    const now = ctl().describeInstances(scope, 'Life');
    assert.equal(now.length, 1);
    await until('two surplus processes stopped', () => before.filter((p) => alive(p)).length === 1);
    await assert.rejects(
      t.sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'Life', DesiredWeightsAndCapacities: [{ VariantName: 'Nope', DesiredWeight: 1 }] })),
      /Nope/,
    );
  });

  it('an update whose new instances never get healthy rolls back: RollingBack → InService on the old fleet, with the reason', async () => {
    const pids = ctl().describeInstances(scope, 'Life').map((i) => i.pid!);
    await t.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'Life', EndpointConfigName: 'broken' }));
    const statuses = new Set<string>();
    let d = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'Life' }));
    const deadline = Date.now() + 30_000;
    while (d.EndpointStatus !== 'InService' && Date.now() < deadline) {
      statuses.add(d.EndpointStatus!);
      assert.equal(d.PendingDeploymentSummary?.EndpointConfigName ?? 'broken', 'broken');
      // The old fleet serves throughout.
      const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'Life', Body: Buffer.from('during') }));
      assert.equal(Buffer.from(out.Body!).toString(), 'during');
      d = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'Life' }));
    }
    assert.equal(d.EndpointStatus, 'InService');
    assert.ok(statuses.has('Updating'), [...statuses].join());
    assert.equal(d.EndpointConfigName, 'two');
    assert.match(d.FailureReason!, /boom: weights file missing/);
    assert.equal(d.PendingDeploymentSummary, undefined);
    assert.deepEqual(ctl().describeInstances(scope, 'Life').map((i) => i.pid), pids);
  });

  it('killing an instance process mid-traffic is survived: calls go to the healthy one, the instance comes back', async () => {
    await t.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'Life', DesiredWeightsAndCapacities: [{ VariantName: 'Blue', DesiredInstanceCount: 2 }] }),
    );
    await waitStatus(t.sagemaker, 'Life', ['InService']);
    const victim = ctl().describeInstances(scope, 'Life')[0]!;
    let stop = false;
    let ok = 0;
    const errors: string[] = [];
    const traffic = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            await rt.send(new InvokeEndpointCommand({ EndpointName: 'Life', Body: Buffer.from('k') }));
            ok++;
          } catch (e: any) {
            errors.push(`${e.name}: ${e.message}`);
          }
        }
      }),
    );
    await until('some traffic', () => ok > 20);
    process.kill(-victim.pid!, 'SIGKILL');
    await until('victim restarted and healthy', () => {
      const i = ctl().describeInstances(scope, 'Life').find((x) => x.id === victim.id);
      return !!i && i.healthy && i.pid !== undefined && i.pid !== victim.pid && i.restarts >= 1;
    });
    const mark = ok;
    await until('traffic after restart', () => ok > mark + 20);
    stop = true;
    await traffic;
    assert.deepEqual(errors, []);
  });

  it('deleting an endpoint config in use is allowed and the endpoint keeps serving', async () => {
    await t.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'two' }));
    const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'Life', Body: Buffer.from('still') }));
    assert.equal(Buffer.from(out.Body!).toString(), 'still');
  });

  it('DeleteEndpoint stops every process; Describe then answers "Could not find endpoint"', async () => {
    const pids = ctl().describeInstances(scope, 'Life').map((i) => i.pid!);
    assert.ok(pids.length > 0);
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'Life' }));
    await until('deleted', async () => {
      try {
        await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'Life' }));
        return false;
      } catch (e: any) {
        return e.message === `Could not find endpoint "${arnOf('Life')}".`;
      }
    });
    assert.ok(pids.every((p) => !alive(p)));
    await assert.rejects(rt.send(new InvokeEndpointCommand({ EndpointName: 'Life', Body: Buffer.from('x') })), (e: any) => e.name === 'ValidationError');
  });
});

describe('Endpoints survive a restart of Slipway', () => {
  it('an InService endpoint serves again from the same data directory, with new processes', async () => {
    let t = await startTestServer({ env: HOSTING_ENV });
    const dataDir = t.dataDir;
    let rt = runtimeClient(t);
    try {
      await createEchoModel(t.sagemaker, 'm');
      await createConfig(t.sagemaker, 'c', [variant('A', 'm', 1, 1)]);
      const d = await createEndpoint(t.sagemaker, 'durable', 'c');
      assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
      const oldPid = t.slipway.services.controllers.endpoints!.describeInstances(scope, 'durable')[0]!.pid!;
      rt.destroy();
      await t.close({ keepData: true });
      assert.equal(alive(oldPid), false, 'close stops the model servers');
      t = await startTestServer({ dataDir, env: HOSTING_ENV });
      rt = runtimeClient(t, 3);
      await until('instances back', () => t.slipway.services.controllers.endpoints!.describeInstances(scope, 'durable').some((i) => i.healthy));
      const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'durable', Body: Buffer.from('again') }));
      assert.equal(Buffer.from(out.Body!).toString(), 'again');
      assert.equal((await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'durable' }))).EndpointStatus, 'InService');
    } finally {
      rt.destroy();
      await t.close();
    }
  });
});
