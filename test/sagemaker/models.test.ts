import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateModelCommand,
  DeleteModelCommand,
  DescribeModelCommand,
  ListModelsCommand,
  ListTagsCommand,
  type ListModelsCommandInput,
} from '@aws-sdk/client-sagemaker';
import { refused } from '../helpers/assert.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const role = 'arn:aws:iam::000000000000:role/SageMakerRole';
const modelArn = (name: string) => `arn:aws:sagemaker:us-east-1:000000000000:model/${name.toLowerCase()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('models', () => {
  let t: TestServer;
  before(async () => (t = await startTestServer()));
  after(() => t.close());
  const list = async (input: ListModelsCommandInput = {}) =>
    (await t.sagemaker.send(new ListModelsCommand({ MaxResults: 100, ...input }))).Models!.map((m) => m.ModelName);
  const assertAbsent = async (name: string) => {
    await refused(t.sagemaker.send(new DescribeModelCommand({ ModelName: name })), 'ValidationException', `Could not find model "${modelArn(name)}".`);
    assert.ok(!(await list({ NameContains: name })).includes(name));
  };

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

  it('DescribeModel returns exactly the DescribeModelOutput members, with EnableNetworkIsolation false by default', async () => {
    await t.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'exact',
        PrimaryContainer: { Image: 'slipway/echo:latest', Environment: { A: '1' }, ModelDataUrl: 's3://b/model.tar.gz' },
        ExecutionRoleArn: role,
        Tags: [{ Key: 'k', Value: 'v' }],
      }),
    );
    const { $metadata, CreationTime, ...rest } = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'exact' }));
    assert.ok(CreationTime instanceof Date);
    assert.deepEqual(rest, {
      ModelName: 'exact',
      ModelArn: modelArn('exact'),
      PrimaryContainer: { Image: 'slipway/echo:latest', Environment: { A: '1' }, ModelDataUrl: 's3://b/model.tar.gz' },
      ExecutionRoleArn: role,
      EnableNetworkIsolation: false,
    });
  });

  it('Containers, InferenceExecutionConfig, VpcConfig and EnableNetworkIsolation round-trip', async () => {
    const input = {
      ModelName: 'pipeline',
      Containers: [{ Image: 'a:1', ContainerHostname: 'first' }, { Image: 'b:1', ContainerHostname: 'second' }],
      InferenceExecutionConfig: { Mode: 'Direct' as const },
      VpcConfig: { SecurityGroupIds: ['sg-12345678'], Subnets: ['subnet-12345678'] },
      EnableNetworkIsolation: true,
      ExecutionRoleArn: role,
    };
    await t.sagemaker.send(new CreateModelCommand(input));
    const { $metadata, CreationTime, ...rest } = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'pipeline' }));
    assert.deepEqual(rest, { ...input, ModelArn: modelArn('pipeline') });
  });

  it('several Containers: Direct needs a ContainerHostname on each; hostnames are all-or-none and distinct; refused models are not created', async () => {
    const create = (ModelName: string, Containers: Array<{ Image: string; ContainerHostname?: string }>, Mode?: 'Serial' | 'Direct') =>
      t.sagemaker.send(new CreateModelCommand({ ModelName, ExecutionRoleArn: role, Containers, ...(Mode ? { InferenceExecutionConfig: { Mode } } : {}) }));
    await refused(
      create('direct-unnamed', [{ Image: 'a:1', ContainerHostname: 'a' }, { Image: 'b:1' }], 'Direct'),
      'ValidationException',
      'ContainerHostname must be specified for every container of a model whose InferenceExecutionConfig Mode is Direct.',
    );
    await refused(
      create('serial-half-named', [{ Image: 'a:1', ContainerHostname: 'a' }, { Image: 'b:1' }]),
      'ValidationException',
      'If ContainerHostname is specified for any container of an inference pipeline, it must be specified for every container.',
    );
    await refused(
      create('serial-same-names', [{ Image: 'a:1', ContainerHostname: 'a' }, { Image: 'b:1', ContainerHostname: 'a' }], 'Serial'),
      'ValidationException',
      'ContainerHostname a is used by more than one container; each container needs its own.',
    );
    for (const name of ['direct-unnamed', 'serial-half-named', 'serial-same-names']) await assertAbsent(name);
    // A pipeline may leave every hostname out (AWS names them by position), and one container needs none.
    await create('serial-unnamed', [{ Image: 'a:1' }, { Image: 'b:1' }]);
    await create('direct-one', [{ Image: 'a:1' }], 'Direct');
  });

  it('DescribeModel of a missing model is a ValidationException naming its ARN', async () => {
    await refused(
      t.sagemaker.send(new DescribeModelCommand({ ModelName: 'missing' })),
      'ValidationException',
      'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/missing".',
    );
  });

  it('creating an existing model name is refused and the original is unchanged', async () => {
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'dup', PrimaryContainer: { Image: 'first:1' } }));
    const before = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'dup' }));
    await refused(
      t.sagemaker.send(new CreateModelCommand({ ModelName: 'DUP', PrimaryContainer: { Image: 'second:1' }, Tags: [{ Key: 'x', Value: 'y' }] })),
      'ValidationException',
      `Cannot create already existing model "${modelArn('dup')}".`,
    );
    const afterDup = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'dup' }));
    assert.deepEqual({ ...afterDup, $metadata: undefined }, { ...before, $metadata: undefined });
    assert.deepEqual((await t.sagemaker.send(new ListTagsCommand({ ResourceArn: modelArn('dup') }))).Tags, []);
  });

  it('a model with neither or both of PrimaryContainer and Containers is refused and not created', async () => {
    await refused(t.sagemaker.send(new CreateModelCommand({ ModelName: 'no-container' })), 'ValidationException');
    await refused(
      t.sagemaker.send(new CreateModelCommand({ ModelName: 'no-container', PrimaryContainer: { Image: 'a:1' }, Containers: [{ Image: 'b:1' }] })),
      'ValidationException',
    );
    await assertAbsent('no-container');
  });

  it('duplicate and aws: tag keys refuse the create and leave nothing behind', async () => {
    await refused(
      t.sagemaker.send(new CreateModelCommand({ ModelName: 'bad-tags', PrimaryContainer: { Image: 'a:1' }, Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] })),
      'ValidationException',
      /Duplicate tag key 'a'/,
    );
    await refused(
      t.sagemaker.send(new CreateModelCommand({ ModelName: 'bad-tags', PrimaryContainer: { Image: 'a:1' }, Tags: [{ Key: 'aws:x', Value: '1' }] })),
      'ValidationException',
      /aws:/,
    );
    await assertAbsent('bad-tags');
  });

  it('DeleteModel removes the model and its tags; deleting again names the missing ARN', async () => {
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'Gone', PrimaryContainer: { Image: 'a:1' }, Tags: [{ Key: 'k', Value: 'v' }] }));
    await t.sagemaker.send(new DeleteModelCommand({ ModelName: 'gone' }));
    await assertAbsent('Gone');
    await refused(t.sagemaker.send(new DeleteModelCommand({ ModelName: 'Gone' })), 'ValidationException', `Could not find model "${modelArn('gone')}".`);
    // A new model under the same name starts without the old one's tags.
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'Gone', PrimaryContainer: { Image: 'a:1' } }));
    assert.deepEqual((await t.sagemaker.send(new ListTagsCommand({ ResourceArn: modelArn('gone') }))).Tags, []);
  });

  it('ListModels returns ModelSummary members, pages by name and time, and filters', async () => {
    const made: { name: string; time: number }[] = [];
    for (const i of [3, 0, 4, 1, 2, 6, 5]) {
      const name = `lm-${i}`;
      await t.sagemaker.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: 'a:1' } }));
      made.push({ name, time: (await t.sagemaker.send(new DescribeModelCommand({ ModelName: name }))).CreationTime!.getTime() });
      await sleep(3);
    }
    const out = await t.sagemaker.send(new ListModelsCommand({ NameContains: 'lm-', MaxResults: 3 }));
    for (const m of out.Models!) {
      assert.deepEqual(Object.keys(m).sort(), ['CreationTime', 'ModelArn', 'ModelName']);
      assert.equal(m.ModelArn, modelArn(m.ModelName!));
    }
    // Default order: CreationTime, Descending.
    assert.deepEqual(out.Models!.map((m) => m.ModelName), ['lm-5', 'lm-6', 'lm-2']);
    const rest = await t.sagemaker.send(new ListModelsCommand({ NameContains: 'lm-', MaxResults: 3, NextToken: out.NextToken }));
    assert.deepEqual(rest.Models!.map((m) => m.ModelName), ['lm-1', 'lm-4', 'lm-0']);
    assert.deepEqual(await list({ NameContains: 'LM-', SortBy: 'Name', SortOrder: 'Ascending' }), ['lm-0', 'lm-1', 'lm-2', 'lm-3', 'lm-4', 'lm-5', 'lm-6']);
    assert.deepEqual(await list({ NameContains: 'lm-', SortBy: 'Name', CreationTimeAfter: new Date(made[4].time) }), ['lm-6', 'lm-5']);
    assert.deepEqual(await list({ NameContains: 'lm-', SortBy: 'Name', CreationTimeBefore: new Date(made[1].time) }), ['lm-3']);
  });
});
