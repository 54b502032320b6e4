import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { aws as awsCli, awsOk } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { HOSTING_ENV, waitStatus } from '../helpers/hosting.js';

const aws = (url: string, args: string[], cwd: string) => awsCli(args, { endpointUrl: url, cwd, timeoutMs: 90_000 });

describe('aws CLI end to end: a 2:1 endpoint of echo model servers', () => {
  let t: TestServer;
  const ok = (args: string[]) => awsOk(args, { endpointUrl: t.url, cwd: t.dataDir, timeoutMs: 90_000 });
  before(async () => (t = await startTestServer({ env: HOSTING_ENV })));
  after(() => t.close());

  it('create, wait endpoint-in-service, invoke-endpoint (split 2:1), delete, wait endpoint-deleted', async () => {
    await ok(['sagemaker', 'create-model', '--model-name', 'echo', '--primary-container', 'Image=slipway/echo:latest',
      '--execution-role-arn', 'arn:aws:iam::000000000000:role/SageMakerRole']);
    await ok(['sagemaker', 'create-endpoint-config', '--endpoint-config-name', 'two-to-one', '--production-variants',
      'VariantName=Big,ModelName=echo,InstanceType=ml.m5.large,InitialInstanceCount=1,InitialVariantWeight=2',
      'VariantName=Small,ModelName=echo,InstanceType=ml.m5.large,InitialInstanceCount=1,InitialVariantWeight=1']);
    const created = await ok(['sagemaker', 'create-endpoint', '--endpoint-name', 'cli-ep', '--endpoint-config-name', 'two-to-one']);
    assert.equal(created.EndpointArn, 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/cli-ep');
    // The CLI waiter polls every 30 s; let the endpoint come up first so its first poll succeeds.
    await waitStatus(t.sagemaker, 'cli-ep', ['InService']);
    await ok(['sagemaker', 'wait', 'endpoint-in-service', '--endpoint-name', 'cli-ep']);

    writeFileSync(join(t.dataDir, 'in.csv'), '5.1,3.5,1.4,0.2');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const out = await ok(['sagemaker-runtime', 'invoke-endpoint', '--endpoint-name', 'cli-ep', '--content-type', 'text/csv',
        '--body', 'fileb://in.csv', `out-${i}.csv`]);
      assert.equal(out.ContentType, 'text/csv');
      counts[out.InvokedProductionVariant] = (counts[out.InvokedProductionVariant] ?? 0) + 1;
      assert.equal(readFileSync(join(t.dataDir, `out-${i}.csv`), 'utf8'), '5.1,3.5,1.4,0.2');
    }
    assert.deepEqual(counts, { Big: 4, Small: 2 });

    const missing = await aws(t.url, ['sagemaker-runtime', 'invoke-endpoint', '--endpoint-name', 'nope', '--body', 'x', 'o.txt'], t.dataDir);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /\(ValidationError\).*Endpoint nope of account 000000000000 not found\./);

    await ok(['sagemaker', 'delete-endpoint', '--endpoint-name', 'cli-ep']);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'cli-ep' }));
      } catch (e: any) {
        if (e.name === 'ValidationException') break;
        throw e;
      }
      assert.ok(Date.now() < deadline, 'endpoint not deleted in time');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The EndpointDeleted waiter succeeds on the ValidationException for a missing endpoint.
    await ok(['sagemaker', 'wait', 'endpoint-deleted', '--endpoint-name', 'cli-ep']);
  });
});
