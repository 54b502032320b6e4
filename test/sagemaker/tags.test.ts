import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddTagsCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointConfigCommand,
  DeleteTagsCommand,
  ListTagsCommand,
  type Tag,
} from '@aws-sdk/client-sagemaker';
import { refused } from '../helpers/assert.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const arnOf = (type: string, name: string) => `arn:aws:sagemaker:us-east-1:000000000000:${type}/${name}`;

describe('tags', () => {
  let t: TestServer;
  const tagsOf = async (ResourceArn: string) => (await t.sagemaker.send(new ListTagsCommand({ ResourceArn }))).Tags;
  const add = (ResourceArn: string, Tags: Tag[]) => t.sagemaker.send(new AddTagsCommand({ ResourceArn, Tags }));
  const model = arnOf('model', 'tagged-model');
  const config = arnOf('endpoint-config', 'tagged-config');

  before(async () => {
    t = await startTestServer();
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'Tagged-Model', PrimaryContainer: { Image: 'a:1' }, Tags: [{ Key: 'created', Value: 'yes' }] }));
    await t.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'tagged-config',
        ProductionVariants: [{ VariantName: 'v', ModelName: 'tagged-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      }),
    );
  });
  after(() => t.close());

  it('AddTags echoes the tags, adds new keys after existing ones and overwrites values', async () => {
    const out = await add(model, [{ Key: 'team', Value: 'ml' }, { Key: 'created', Value: 'again' }]);
    assert.deepEqual(out.Tags, [{ Key: 'team', Value: 'ml' }, { Key: 'created', Value: 'again' }]);
    assert.deepEqual(await tagsOf(model), [{ Key: 'created', Value: 'again' }, { Key: 'team', Value: 'ml' }]);
  });

  it('an ARN spelling the name in another case reaches the same tags', async () => {
    assert.deepEqual(await tagsOf(arnOf('model', 'Tagged-Model')), await tagsOf(model));
  });

  it('endpoint configurations carry their own tags', async () => {
    await add(config, [{ Key: 'stage', Value: 'prod' }]);
    assert.deepEqual(await tagsOf(config), [{ Key: 'stage', Value: 'prod' }]);
    assert.ok(!(await tagsOf(model))!.some((x) => x.Key === 'stage'));
  });

  it('DeleteTags removes the named keys and ignores keys that are not there', async () => {
    await add(config, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
    await t.sagemaker.send(new DeleteTagsCommand({ ResourceArn: config, TagKeys: ['a', 'not-there'] }));
    assert.deepEqual(await tagsOf(config), [{ Key: 'stage', Value: 'prod' }, { Key: 'b', Value: '2' }]);
  });

  it('tags of a missing resource, a foreign account or an unsupported type answer ValidationException', async () => {
    for (const arn of [arnOf('model', 'ghost'), arnOf('endpoint-config', 'ghost'), arnOf('notebook-instance', 'x'), 'arn:aws:sagemaker:us-east-1:111111111111:model/tagged-model']) {
      const msg = `Resource ${arn} does not exist.`;
      await refused(add(arn, [{ Key: 'k', Value: 'v' }]), 'ValidationException', msg);
      await refused(t.sagemaker.send(new ListTagsCommand({ ResourceArn: arn })), 'ValidationException', msg);
      await refused(t.sagemaker.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['k'] })), 'ValidationException', msg);
    }
  });

  it('AddTags beyond 50 tags in total is refused and writes nothing', async () => {
    const arn = arnOf('model', 'fifty');
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'fifty', PrimaryContainer: { Image: 'a:1' } }));
    await add(arn, Array.from({ length: 48 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })));
    // Overwriting existing keys and adding two new ones reaches exactly 50: allowed.
    await add(arn, [{ Key: 'k0', Value: 'changed' }, { Key: 'n1', Value: 'v' }, { Key: 'n2', Value: 'v' }]);
    const full = await tagsOf(arn);
    assert.equal(full!.length, 50);
    await refused(add(arn, [{ Key: 'k1', Value: 'changed' }, { Key: 'n3', Value: 'v' }]), 'ValidationException', /50/);
    assert.deepEqual(await tagsOf(arn), full, 'neither the new key nor the overwrite was written');
    // ListTags' MaxResults minimum is 50, so the 50 tags come back in one page.
    const page = await t.sagemaker.send(new ListTagsCommand({ ResourceArn: arn, MaxResults: 50 }));
    assert.equal(page.Tags!.length, 50);
    assert.equal(page.NextToken, undefined);
  });

  it('duplicate keys and aws: keys refuse the whole AddTags', async () => {
    const before = await tagsOf(config);
    await refused(add(config, [{ Key: 'new', Value: '1' }, { Key: 'new', Value: '2' }]), 'ValidationException', /Duplicate tag key 'new'/);
    await refused(add(config, [{ Key: 'fine', Value: '1' }, { Key: 'Aws:cost', Value: '2' }]), 'ValidationException', /aws:/);
    await refused(t.sagemaker.send(new DeleteTagsCommand({ ResourceArn: config, TagKeys: ['aws:cloudformation:stack-name'] })), 'ValidationException', /aws:/);
    assert.deepEqual(await tagsOf(config), before);
  });

  it('deleting a resource deletes its tags', async () => {
    await t.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'tagged-config' }));
    await refused(t.sagemaker.send(new ListTagsCommand({ ResourceArn: config })), 'ValidationException');
    await t.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'tagged-config',
        ProductionVariants: [{ VariantName: 'v', ModelName: 'tagged-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      }),
    );
    assert.deepEqual(await tagsOf(config), []);
  });
});
