import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { route, type RouteInstance, type RouteVariant } from '../../src/domain/endpoints/router.js';
import { checkDeploymentConfig, instances, renderProgress, trafficSteps, type DeploymentConfig } from '../../src/domain/endpoints/deployment.js';

const inst = (id: string, healthy = true): RouteInstance => ({ id, outstanding: 0, healthy });
const shifting = (share: number, blue = [inst('b1')], green = [inst('g1')]): RouteVariant => ({
  name: 'AllTraffic',
  weight: 1,
  instances: blue,
  current: 0,
  shift: { instances: green, share, acc: 0 },
});
const greenCalls = (v: RouteVariant, n: number) =>
  Array.from({ length: n }, () => {
    const r = route([v]);
    assert.ok(r.ok);
    return r.instance.id.startsWith('g') ? 'G' : 'B';
  }).join('');

describe('router during a deployment: the new fleet takes exactly its share', () => {
  it('25 % is every fourth call, 0 % none, 100 % all; the variant name stays the same', () => {
    assert.equal(greenCalls(shifting(0.25), 8), 'BBBGBBBG');
    assert.equal(greenCalls(shifting(0), 10), 'BBBBBBBBBB');
    assert.equal(greenCalls(shifting(1), 10), 'GGGGGGGGGG');
    const r = route([shifting(1)]);
    assert.ok(r.ok && r.variant.name === 'AllTraffic');
  });

  it('ten steps of 10 % make exactly one call, without float drift', () => {
    assert.equal(greenCalls(shifting(0.1), 1000).split('G').length - 1, 100);
    assert.equal(greenCalls(shifting(1 / 3), 999).split('G').length - 1, 333);
  });

  it('a fleet without a healthy instance hands its calls to the other one; TargetVariant splits too', () => {
    assert.equal(greenCalls(shifting(0.5, [inst('b1')], [inst('g1', false)]), 6), 'BBBBBB');
    assert.equal(greenCalls(shifting(0.5, [inst('b1', false)], [inst('g1')]), 6), 'GGGGGG');
    const v = shifting(0.5);
    const ids = Array.from({ length: 4 }, () => (route([v], { targetVariant: 'AllTraffic' }) as any).instance.id);
    assert.deepEqual(ids, ['b1', 'g1', 'b1', 'g1']);
    // An excluded (unreachable) green instance sends the call to blue instead of failing it.
    const r = route([shifting(1)], { exclude: new Set(['g1']) });
    assert.ok(r.ok && r.instance.id === 'b1');
    assert.deepEqual(route([shifting(1, [inst('b1', false)], [inst('g1', false)])]), { ok: false, reason: 'no-instance' });
  });
});

describe('deployment plans', () => {
  const one = [{ VariantName: 'A', DesiredInstanceCount: 4 }];
  it('ALL_AT_ONCE is one baked step; CANARY two; LINEAR one per step size', () => {
    assert.deepEqual(
      trafficSteps({ Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 5 }, one).map((s) => [s.shares.A, s.bakeSeconds]),
      [[1, 5]],
    );
    assert.deepEqual(
      trafficSteps({ Type: 'CANARY', WaitIntervalInSeconds: 2, CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } }, one).map((s) => s.shares.A),
      [0.25, 1],
    );
    assert.deepEqual(
      trafficSteps({ Type: 'CANARY', WaitIntervalInSeconds: 2, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } }, one).map((s) => s.shares.A),
      [0.1, 1],
    );
    assert.deepEqual(
      trafficSteps({ Type: 'LINEAR', WaitIntervalInSeconds: 1, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 34 } }, one).map((s) => s.shares.A),
      [0.34, 0.68, 1],
    );
    assert.deepEqual(
      trafficSteps({ Type: 'LINEAR', WaitIntervalInSeconds: 1, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 10 } }, one).map((s) => s.shares.A),
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    );
    assert.deepEqual(
      trafficSteps({ Type: 'LINEAR', WaitIntervalInSeconds: 1, LinearStepSize: { Type: 'INSTANCE_COUNT', Value: 1 } }, [
        { VariantName: 'A', DesiredInstanceCount: 2 },
        { VariantName: 'B', DesiredInstanceCount: 3 },
      ]).map((s) => [s.shares.A, Math.round(s.shares.B! * 100) / 100]),
      [[0.5, 0.33], [1, 0.67], [1, 1]],
    );
  });

  it('rolling batches: instance counts, percentages rounded down but at least one, capped by the fleet', () => {
    assert.equal(instances({ Type: 'INSTANCE_COUNT', Value: 2 }, 5), 2);
    assert.equal(instances({ Type: 'CAPACITY_PERCENT', Value: 50 }, 5), 2);
    assert.equal(instances({ Type: 'CAPACITY_PERCENT', Value: 50 }, 1), 1);
    assert.equal(instances({ Type: 'INSTANCE_COUNT', Value: 9 }, 3), 3);
    assert.equal(instances(undefined, 3), 3);
  });

  it('DescribeEndpoint shows the phase on the pending variants and both fleets’ instance counts', () => {
    const out: Record<string, any> = {
      ProductionVariants: [{ VariantName: 'A', CurrentInstanceCount: 2, VariantStatus: [] }],
      PendingDeploymentSummary: { ProductionVariants: [{ VariantName: 'A', DesiredWeight: 2, CurrentWeight: 2, CurrentInstanceCount: 0 }] },
    };
    renderProgress(out, { strategy: 'CANARY', phase: 'Baking', since: 1000.5, message: 'Canary', variants: { A: { blue: 2, green: 1, share: 0.25 } } });
    assert.deepEqual(out.PendingDeploymentSummary.ProductionVariants[0], {
      VariantName: 'A',
      DesiredWeight: 2,
      CurrentWeight: 0.5,
      CurrentInstanceCount: 1,
      VariantStatus: [{ Status: 'Baking', StatusMessage: 'Canary', StartTime: 1000.5 }],
    });
    assert.deepEqual(out.ProductionVariants[0].VariantStatus, [{ Status: 'Updating', StatusMessage: 'Canary', StartTime: 1000.5 }]);
  });
});

describe('DeploymentConfig checks', () => {
  const fleet = (count: number, names = ['A'], current = names) => ({
    next: names.map((VariantName) => ({ VariantName, DesiredInstanceCount: count })),
    currentNames: current,
    configArn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/c',
  });
  const refuses = (dc: DeploymentConfig, f: ReturnType<typeof fleet> | undefined, re: RegExp) =>
    assert.throws(() => checkDeploymentConfig(dc, f), (e: any) => e.code === 'ValidationException' && re.test(e.message));
  const canary = (Type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT', Value: number): DeploymentConfig => ({
    BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 0, CanarySize: { Type, Value } } },
  });

  it('accepts what AWS documents', () => {
    checkDeploymentConfig(canary('INSTANCE_COUNT', 2), fleet(4));
    checkDeploymentConfig(canary('CAPACITY_PERCENT', 50), fleet(1));
    checkDeploymentConfig({ RollingUpdatePolicy: { MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 5 }, WaitIntervalInSeconds: 0 } }, fleet(1));
    checkDeploymentConfig({ AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'errors' }] } }, fleet(1, ['A'], ['Other']));
    checkDeploymentConfig(undefined, fleet(1));
  });

  it('refuses both policies, missing sizes, sizes outside the ranges, and a timeout within the waits', () => {
    const rolling = { MaximumBatchSize: { Type: 'INSTANCE_COUNT' as const, Value: 1 }, WaitIntervalInSeconds: 0 };
    refuses({ ...canary('INSTANCE_COUNT', 1), RollingUpdatePolicy: rolling }, undefined, /either BlueGreenUpdatePolicy or RollingUpdatePolicy/);
    refuses({ BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 0 } } }, undefined, /CanarySize must be specified/);
    refuses({ BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 0 } } }, undefined, /LinearStepSize must be specified/);
    refuses(canary('CAPACITY_PERCENT', 60), undefined, /at most 50%/);
    refuses(canary('INSTANCE_COUNT', 1), fleet(1), /CanarySize 1 instance \(100%\) must be at most 50% of the instance count of variant A \(1\)/);
    refuses(
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 0, LinearStepSize: { Type: 'INSTANCE_COUNT', Value: 1 } } } },
      fleet(20),
      /between 10% and 50%/,
    );
    refuses({ RollingUpdatePolicy: { ...rolling, MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 4 } } }, undefined, /between 5% and 50%/);
    refuses({ RollingUpdatePolicy: rolling }, fleet(1), /MaximumBatchSize 1 instance \(100%\)/);
    refuses({ RollingUpdatePolicy: rolling }, fleet(2, ['A', 'B']), /more than one production variant/);
    refuses(canary('INSTANCE_COUNT', 1), fleet(2, ['A'], ['B']), /same production variant names/);
    refuses(
      { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 }, TerminationWaitInSeconds: 300, MaximumExecutionTimeoutInSeconds: 600 } },
      undefined,
      /larger than the total waiting time .* \(600\)/,
    );
  });
});
