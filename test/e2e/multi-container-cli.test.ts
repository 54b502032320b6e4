import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aws, assertAwsError, awsOk } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { HOSTING_ENV, waitStatus } from '../helpers/hosting.js';
import { installStageModel, STAGE_IMAGE } from '../helpers/stage-model.js';

describe('aws CLI end to end: a multi-container endpoint with direct invocation', () => {
  let t: TestServer;
  const opts = () => ({ endpointUrl: t.url, cwd: t.dataDir, timeoutMs: 90_000 });
  const ok = (args: string[]) => awsOk(args, opts());
  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    installStageModel(t.dataDir);
  });
  after(() => t.close());

  it('create-model --containers … Mode=Direct, invoke-endpoint --target-container-hostname reaches each container; a wrong or missing one is a ValidationError', async () => {
    const containers = [
      { Image: STAGE_IMAGE, ContainerHostname: 'scorer', Environment: { STAGE_NAME: 'scorer' } },
      { Image: 'slipway/echo:latest', ContainerHostname: 'echo' },
    ];
    await ok(['sagemaker', 'create-model', '--model-name', 'two', '--containers', JSON.stringify(containers),
      '--inference-execution-config', 'Mode=Direct', '--execution-role-arn', 'arn:aws:iam::000000000000:role/SageMakerRole']);
    await ok(['sagemaker', 'create-endpoint-config', '--endpoint-config-name', 'two', '--production-variants',
      'VariantName=AllTraffic,ModelName=two,InstanceType=ml.m5.large,InitialInstanceCount=1']);
    await ok(['sagemaker', 'create-endpoint', '--endpoint-name', 'two', '--endpoint-config-name', 'two']);
    await waitStatus(t.sagemaker, 'two', ['InService']);
    const d = await ok(['sagemaker', 'describe-endpoint', '--endpoint-name', 'two']);
    assert.deepEqual(d.ProductionVariants[0].DeployedImages.map((i: any) => i.SpecifiedImage), [STAGE_IMAGE, 'slipway/echo:latest']);

    writeFileSync(join(t.dataDir, 'in.csv'), '1,2');
    const scored = await ok(['sagemaker-runtime', 'invoke-endpoint', '--endpoint-name', 'two', '--content-type', 'text/csv',
      '--target-container-hostname', 'scorer', '--body', 'fileb://in.csv', 'scored.out']);
    assert.equal(scored.ContentType, 'application/x-scorer');
    assert.equal(readFileSync(join(t.dataDir, 'scored.out'), 'utf8'), '1,2|scorer:-[text/csv]');
    const echoed = await ok(['sagemaker-runtime', 'invoke-endpoint', '--endpoint-name', 'two', '--content-type', 'text/csv',
      '--target-container-hostname', 'echo', '--body', 'fileb://in.csv', 'echoed.out']);
    assert.equal(echoed.ContentType, 'text/csv');
    assert.equal(readFileSync(join(t.dataDir, 'echoed.out'), 'utf8'), '1,2');

    const unknown = await aws(['sagemaker-runtime', 'invoke-endpoint', '--endpoint-name', 'two', '--target-container-hostname', 'nobody',
      '--body', 'fileb://in.csv', 'x.out'], opts());
    assertAwsError(unknown, 'ValidationError', 'TargetContainerHostname nobody does not exist in endpoint two of account 000000000000 (its containers: scorer, echo).');
    const missing = await aws(['sagemaker-runtime', 'invoke-endpoint', '--endpoint-name', 'two', '--body', 'fileb://in.csv', 'x.out'], opts());
    assertAwsError(missing, 'ValidationError', /configured for direct invocation of its containers: specify TargetContainerHostname \(one of scorer, echo\)/);
  });
});
