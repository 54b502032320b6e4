import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateInferenceExperimentCommand,
  DescribeEndpointCommand,
  DescribeInferenceExperimentCommand,
  StopInferenceExperimentCommand,
  type DescribeInferenceExperimentCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, runtimeClient, variant } from '../helpers/hosting.js';

const infra = { InfrastructureType: 'RealTimeInference' as const, RealTimeInferenceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1 } };

async function waitExp(sm: SageMakerClient, Name: string, want: string[], timeoutMs = 30_000): Promise<DescribeInferenceExperimentCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  let last: DescribeInferenceExperimentCommandOutput | undefined;
  while (Date.now() < deadline) {
    last = await sm.send(new DescribeInferenceExperimentCommand({ Name }));
    if (want.includes(last.Status!)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`experiment ${Name} did not reach ${want.join('|')} (last: ${last?.Status} ${last?.StatusReason ?? ''})`);
}

describe('Inference experiments survive a restart of Slipway', () => {
  let t: TestServer | undefined;
  after(async () => t?.close());

  it('a Running shadow test is running again after a restart: shadow instances started, copies flowing, then stoppable', async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    const dataDir = t.dataDir;
    await createEchoModel(t.sagemaker, 'prod');
    await createEchoModel(t.sagemaker, 'candidate');
    await createConfig(t.sagemaker, 'prod', [variant('Prod', 'prod')]);
    assert.equal((await createEndpoint(t.sagemaker, 'ep', 'prod')).EndpointStatus, 'InService');
    await t.sagemaker.send(
      new CreateInferenceExperimentCommand({
        Name: 'survivor',
        Type: 'ShadowMode',
        RoleArn: 'arn:aws:iam::000000000000:role/SageMakerRole',
        EndpointName: 'ep',
        ModelVariants: [{ ModelName: 'candidate', VariantName: 'Shadow', InfrastructureConfig: infra }],
        ShadowModeConfig: { SourceModelVariantName: 'Prod', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage: 100 }] },
      }),
    );
    const d = await waitExp(t.sagemaker, 'survivor', ['Running', 'Cancelled']);
    assert.equal(d.Status, 'Running', d.StatusReason);
    // The production variant was not listed: it is described with its current infrastructure.
    assert.deepEqual(d.ModelVariants?.map((v) => [v.VariantName, v.ModelName, v.Status]), [['Prod', 'prod', 'InService'], ['Shadow', 'candidate', 'InService']]);

    await t.close({ keepData: true });
    t = await startTestServer({ dataDir, env: HOSTING_ENV });
    assert.equal((await waitExp(t.sagemaker, 'survivor', ['Running'])).Status, 'Running');
    const scope = { account: '000000000000', region: 'us-east-1' };
    const ctl = t.slipway.services.controllers;
    const deadline = Date.now() + 30_000;
    while (!ctl.endpoints!.endpoint(scope, 'ep')?.shadow && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(ctl.endpoints!.endpoint(scope, 'ep')?.shadow, 'the shadow is attached again');
    const ep = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    assert.equal(ep.EndpointStatus, 'InService');
    assert.deepEqual(ep.ShadowProductionVariants?.map((v) => [v.VariantName, v.CurrentInstanceCount]), [['Shadow', 1]]);

    const rt = runtimeClient(t);
    try {
      for (let i = 0; i < 10; i++) {
        const r = await rt.send(new InvokeEndpointCommand({ EndpointName: 'ep', ContentType: 'application/json', Body: Buffer.from(`{"i":${i}}`) }));
        assert.equal(r.InvokedProductionVariant, 'Prod');
      }
    } finally {
      rt.destroy();
    }
    const until = Date.now() + 10_000;
    let m: any;
    while (Date.now() < until) {
      m = await ctl.experiments!.metrics('000000000000', 'us-east-1', 'survivor');
      if (m.Variants[1].Invocations === 10) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(m.Variants[1].Invocations, 10);
    await t.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'survivor', ModelVariantActions: { Shadow: 'Remove' } }));
    assert.equal((await waitExp(t.sagemaker, 'survivor', ['Completed', 'Cancelled'])).Status, 'Completed');
    assert.equal((await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).ShadowProductionVariants, undefined);
  });
});
