import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateModelCommand, DescribeModelCommand, ListModelsCommand } from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../helpers/server.js';

const role = 'arn:aws:iam::000000000000:role/SageMakerRole';

describe('validation through the real server (JS SDK)', () => {
  let t: TestServer;
  before(async () => (t = await startTestServer()));
  after(() => t.close());

  async function refused(p: Promise<unknown>, name: string, message: string) {
    await assert.rejects(p, (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, name);
      assert.equal(e.message, message);
      assert.equal(e.$metadata?.httpStatusCode, 400);
      return true;
    });
  }

  it('CreateModel with a 64-character name is refused with AWS wording and stores nothing', async () => {
    const name = 'validation-probe-' + 'x'.repeat(47);
    assert.equal(name.length, 64);
    await refused(
      t.sagemaker.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: role })),
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'modelName' failed to satisfy constraint: Member must have length less than or equal to 63`,
    );
    const listed = await t.sagemaker.send(new ListModelsCommand({ NameContains: 'validation-probe', MaxResults: 100 }));
    assert.deepEqual(listed.Models, []);
  });

  it('CreateModel with a bad pattern is refused; DescribeModel proves nothing was stored', async () => {
    await refused(
      t.sagemaker.send(
        new CreateModelCommand({
          ModelName: 'pattern-probe',
          PrimaryContainer: { Image: 'slipway/echo:latest' },
          ExecutionRoleArn: role,
          Tags: [{ Key: 'cost#center', Value: 'ml' }],
        }),
      ),
      'ValidationException',
      "1 validation error detected: Value 'cost#center' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)",
    );
    await refused(
      t.sagemaker.send(new CreateModelCommand({ ModelName: 'bad_name', PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: role })),
      'ValidationException',
      "1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?",
    );
    await refused(
      t.sagemaker.send(new DescribeModelCommand({ ModelName: 'pattern-probe' })),
      'ValidationException',
      'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/pattern-probe".',
    );
  });
});
