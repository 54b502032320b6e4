import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateModelCommand, DescribeModelCommand } from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../helpers/server.js';

const role = 'arn:aws:iam::000000000000:role/SageMakerRole';

describe('models', () => {
  let t: TestServer;
  before(async () => (t = await startTestServer()));
  after(() => t.close());

  it('CreateModel stores the container and DescribeModel returns it, case-insensitively', async () => {
    const out = await t.sagemaker.send(
      new CreateModelCommand({ ModelName: 'Echo-1', PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: role }),
    );
    assert.equal(out.ModelArn, 'arn:aws:sagemaker:us-east-1:000000000000:model/echo-1');
    const d = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'echo-1' }));
    assert.equal(d.ModelName, 'Echo-1');
    assert.equal(d.PrimaryContainer?.Image, 'slipway/echo:latest');
    assert.ok(d.CreationTime instanceof Date && Math.abs(d.CreationTime.getTime() - Date.now()) < 60_000);
  });

  it('DescribeModel of a missing model is a ValidationException naming its ARN', async () => {
    await assert.rejects(t.sagemaker.send(new DescribeModelCommand({ ModelName: 'missing' })), (e: Error) => {
      assert.equal(e.name, 'ValidationException');
      assert.equal(e.message, 'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/missing".');
      return true;
    });
  });
});
