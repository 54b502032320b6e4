import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aws as awsCli, awsOk } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const aws = (url: string, args: string[]) => awsCli(args, { endpointUrl: url });
const ok = (url: string, args: string[]) => awsOk(args, { endpointUrl: url });

describe('aws sagemaker CLI end to end', () => {
  let t: TestServer;
  before(async () => (t = await startTestServer()));
  after(() => t.close());

  it('create-model, create-endpoint-config (shorthand and skeleton JSON), describe, list, a refusal, delete', async () => {
    const url = t.url;
    const model = await ok(url, [
      'sagemaker', 'create-model', '--model-name', 'cli-model',
      '--primary-container', 'Image=slipway/echo:latest',
      '--execution-role-arn', 'arn:aws:iam::000000000000:role/SageMakerRole',
    ]);
    assert.equal(model.ModelArn, 'arn:aws:sagemaker:us-east-1:000000000000:model/cli-model');

    const shorthand = await ok(url, [
      'sagemaker', 'create-endpoint-config', '--endpoint-config-name', 'CLI-Short',
      '--production-variants', 'VariantName=AllTraffic,ModelName=cli-model,InstanceType=ml.m5.large,InitialInstanceCount=1',
      '--tags', 'Key=team,Value=ml',
    ]);
    assert.equal(shorthand.EndpointConfigArn, 'arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/cli-short');

    // The skeleton fills every optional member with placeholder values ("", 0, the first
    // enum value) that would not validate: keep only what this config needs.
    const skeletonRun = await aws(url, ['sagemaker', 'create-endpoint-config', '--generate-cli-skeleton']);
    assert.equal(skeletonRun.code, 0, skeletonRun.stderr);
    const skeleton = JSON.parse(skeletonRun.stdout);
    for (const key of Object.keys(skeleton)) {
      if (!['EndpointConfigName', 'ProductionVariants'].includes(key)) delete skeleton[key];
    }
    const v = skeleton.ProductionVariants[0];
    for (const key of Object.keys(v)) {
      if (!['VariantName', 'ModelName', 'InstanceType', 'InitialInstanceCount'].includes(key)) delete v[key];
    }
    assert.deepEqual(Object.keys(v).sort(), ['InitialInstanceCount', 'InstanceType', 'ModelName', 'VariantName']);
    Object.assign(v, { VariantName: 'primary', ModelName: 'cli-model', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 });
    skeleton.EndpointConfigName = 'cli-skeleton';
    const fromJson = await ok(url, ['sagemaker', 'create-endpoint-config', '--cli-input-json', JSON.stringify(skeleton)]);
    assert.equal(fromJson.EndpointConfigArn, 'arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/cli-skeleton');

    const d = await ok(url, ['sagemaker', 'describe-endpoint-config', '--endpoint-config-name', 'cli-skeleton']);
    assert.equal(d.EndpointConfigName, 'cli-skeleton');
    assert.deepEqual(d.ProductionVariants, [
      { VariantName: 'primary', ModelName: 'cli-model', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 1.0 },
    ]);
    // CLI v1's default cli_timestamp_format ("none") prints the wire value: epoch seconds.
    assert.equal(typeof d.CreationTime, 'number');
    assert.ok(Math.abs(d.CreationTime - Date.now() / 1000) < 60, `CreationTime ${d.CreationTime}`);

    const list = await ok(url, ['sagemaker', 'list-endpoint-configs', '--sort-by', 'Name', '--sort-order', 'Ascending']);
    assert.deepEqual(list.EndpointConfigs.map((c: { EndpointConfigName: string }) => c.EndpointConfigName), ['CLI-Short', 'cli-skeleton']);

    const fail = await aws(url, [
      'sagemaker', 'create-endpoint-config', '--endpoint-config-name', 'cli-missing-model',
      '--production-variants', 'VariantName=AllTraffic,ModelName=NoSuchModel,InstanceType=ml.m5.large,InitialInstanceCount=1',
    ]);
    assert.ok(fail.code === 254 || fail.code === 255, `exit code ${fail.code}`);
    assert.match(
      fail.stderr,
      /An error occurred \(ValidationException\) when calling the CreateEndpointConfig operation: Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model\/nosuchmodel"\./,
    );

    await ok(url, ['sagemaker', 'delete-endpoint-config', '--endpoint-config-name', 'cli-skeleton']);
    const gone = await aws(url, ['sagemaker', 'describe-endpoint-config', '--endpoint-config-name', 'cli-skeleton']);
    assert.ok(gone.code === 254 || gone.code === 255, `exit code ${gone.code}`);
    assert.match(gone.stderr, /Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config\/cli-skeleton"\./);
  });
});
