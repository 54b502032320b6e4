import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointConfigCommand,
  ListEndpointConfigsCommand,
  ListTagsCommand,
  type CreateEndpointConfigCommandInput,
  type ListEndpointConfigsCommandInput,
  type ProductionVariant,
} from '@aws-sdk/client-sagemaker';
import { refused } from '../helpers/assert.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const account = '000000000000';
const configArn = (name: string) => `arn:aws:sagemaker:us-east-1:${account}:endpoint-config/${name.toLowerCase()}`;
const role = 'arn:aws:iam::000000000000:role/SageMakerRole';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const variant = (over: Partial<ProductionVariant> = {}): ProductionVariant => ({
  VariantName: 'AllTraffic',
  ModelName: 'ec-model',
  InstanceType: 'ml.m5.large',
  InitialInstanceCount: 1,
  ...over,
});

describe('endpoint configurations', () => {
  let t: TestServer;
  const send = <T>(cmd: { input: unknown }) => t.sagemaker.send(cmd as never) as Promise<T>;
  const create = (input: Partial<CreateEndpointConfigCommandInput> & { EndpointConfigName: string }) =>
    t.sagemaker.send(new CreateEndpointConfigCommand({ ProductionVariants: [variant()], ...input }));
  const names = async (input: ListEndpointConfigsCommandInput = {}) =>
    (await t.sagemaker.send(new ListEndpointConfigsCommand({ MaxResults: 100, ...input }))).EndpointConfigs!.map(
      (c) => c.EndpointConfigName,
    );
  /** A refused call must leave no config (nor tags) behind. */
  const assertAbsent = async (name: string) => {
    await refused(send(new DescribeEndpointConfigCommand({ EndpointConfigName: name })), 'ValidationException');
    assert.ok(!(await names({ NameContains: name })).includes(name));
  };

  before(async () => {
    t = await startTestServer();
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'ec-model', PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: role }));
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'ec-model-b', PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: role }));
  });
  after(() => t.close());

  it('CreateEndpointConfig returns the lower-cased ARN and Describe returns exactly the output members', async () => {
    const out = await create({
      EndpointConfigName: 'Round-Trip',
      ProductionVariants: [variant({ InitialVariantWeight: 2.5 }), variant({ VariantName: 'B', ModelName: 'ec-model-b', InitialVariantWeight: 0 })],
      DataCaptureConfig: {
        InitialSamplingPercentage: 50,
        DestinationS3Uri: 's3://bucket/capture',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] },
      },
      KmsKeyId: 'alias/my-key',
      Tags: [{ Key: 'team', Value: 'ml' }],
    });
    assert.equal(out.EndpointConfigArn, configArn('Round-Trip'));
    const d = await t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'round-trip' }));
    const { $metadata, CreationTime, ...rest } = d;
    assert.ok(CreationTime instanceof Date && Math.abs(CreationTime.getTime() - Date.now()) < 60_000);
    assert.deepEqual(rest, {
      EndpointConfigName: 'Round-Trip',
      EndpointConfigArn: configArn('Round-Trip'),
      ProductionVariants: [
        { VariantName: 'AllTraffic', ModelName: 'ec-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 2.5 },
        { VariantName: 'B', ModelName: 'ec-model-b', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 0 },
      ],
      // EnableCapture was not given: AWS documents it as defaulting to enabled.
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 50,
        DestinationS3Uri: 's3://bucket/capture',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] },
      },
      KmsKeyId: 'alias/my-key',
    });
    const tags = await t.sagemaker.send(new ListTagsCommand({ ResourceArn: out.EndpointConfigArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ml' }]);
  });

  it('a variant created without InitialVariantWeight is described with weight 1.0', async () => {
    await create({ EndpointConfigName: 'default-weight' });
    const d = await t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'default-weight' }));
    assert.equal(d.ProductionVariants![0].InitialVariantWeight, 1);
  });

  it('serverless variants and the remaining optional members are stored and described', async () => {
    const input: CreateEndpointConfigCommandInput = {
      EndpointConfigName: 'serverless-all',
      ProductionVariants: [{ VariantName: 'sls', ModelName: 'ec-model', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }],
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://bucket/async' }, ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 } },
      ExecutionRoleArn: role,
      VpcConfig: { SecurityGroupIds: ['sg-12345678'], Subnets: ['subnet-12345678'] },
      EnableNetworkIsolation: true,
      MetricsConfig: { EnableEnhancedMetrics: true },
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    };
    await t.sagemaker.send(new CreateEndpointConfigCommand(input));
    const { $metadata, CreationTime, ...rest } = await t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'serverless-all' }));
    assert.deepEqual(rest, {
      ...input,
      EndpointConfigArn: configArn('serverless-all'),
      ProductionVariants: [{ ...input.ProductionVariants![0], InitialVariantWeight: 1 }],
    });
  });

  it('each KMS key form is accepted and a malformed key is refused without creating anything', async () => {
    const forms = [
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'alias/ExampleAlias',
      'arn:aws:kms:us-east-1:000000000000:alias/ExampleAlias',
    ];
    for (const [i, KmsKeyId] of forms.entries()) await create({ EndpointConfigName: `kms-form-${i}`, KmsKeyId });
    // Each of these passes the model's character pattern ([a-zA-Z0-9:/_-]*) but names no key.
    for (const KmsKeyId of ['not-a-key', 'arn:aws:s3:::bucket', 'alias/', 'arn:aws:kms:us-east-1:000000000000:user/x', '1234abcd12ab34cd56ef1234567890ab']) {
      await refused(create({ EndpointConfigName: 'kms-bad', KmsKeyId }), 'ValidationException', /Invalid KmsKeyId/);
    }
    await assertAbsent('kms-bad');
  });

  it('DescribeEndpointConfig and DeleteEndpointConfig of a missing config name its ARN', async () => {
    const msg = `Could not find endpoint configuration "${configArn('No-Such')}".`;
    await refused(t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'No-Such' })), 'ValidationException', msg);
    await refused(t.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'No-Such' })), 'ValidationException', msg);
  });

  it('creating an existing name (in any case) is refused and the original is unchanged', async () => {
    await create({ EndpointConfigName: 'dup-config', ProductionVariants: [variant({ InitialVariantWeight: 3 })] });
    const before = await t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'dup-config' }));
    await refused(
      create({ EndpointConfigName: 'DUP-config', ProductionVariants: [variant({ ModelName: 'ec-model-b' })], Tags: [{ Key: 'x', Value: 'y' }] }),
      'ValidationException',
      `Cannot create already existing endpoint configuration "${configArn('dup-config')}".`,
    );
    const afterDup = await t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'dup-config' }));
    assert.deepEqual({ ...afterDup, $metadata: undefined }, { ...before, $metadata: undefined });
    assert.deepEqual((await t.sagemaker.send(new ListTagsCommand({ ResourceArn: configArn('dup-config') }))).Tags, []);
  });

  it('a variant naming a missing model is refused with the model ARN', async () => {
    await refused(
      create({ EndpointConfigName: 'missing-model', ProductionVariants: [variant(), variant({ VariantName: 'b', ModelName: 'Ghost' })] }),
      'ValidationException',
      'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/ghost".',
    );
    await assertAbsent('missing-model');
  });

  it('duplicate variant names (also across shadow variants) are refused', async () => {
    await refused(create({ EndpointConfigName: 'dup-variants', ProductionVariants: [variant(), variant()] }), 'ValidationException', /AllTraffic/);
    await refused(
      create({ EndpointConfigName: 'dup-variants', ProductionVariants: [variant()], ShadowProductionVariants: [variant()] }),
      'ValidationException',
      /AllTraffic/,
    );
    await assertAbsent('dup-variants');
  });

  it('a shadow variant is stored beside exactly one production variant', async () => {
    await create({ EndpointConfigName: 'shadow-ok', ShadowProductionVariants: [variant({ VariantName: 'shadow', ModelName: 'ec-model-b' })] });
    const d = await t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'shadow-ok' }));
    assert.deepEqual(d.ShadowProductionVariants, [{ ...variant({ VariantName: 'shadow', ModelName: 'ec-model-b' }), InitialVariantWeight: 1 }]);
    await refused(
      create({
        EndpointConfigName: 'shadow-two',
        ProductionVariants: [variant(), variant({ VariantName: 'b' })],
        ShadowProductionVariants: [variant({ VariantName: 'shadow' })],
      }),
      'ValidationException',
    );
    await assertAbsent('shadow-two');
  });

  it('instance variants need InstanceType and InitialInstanceCount unless serverless, and not both', async () => {
    await refused(
      create({ EndpointConfigName: 'no-instance', ProductionVariants: [{ VariantName: 'v', ModelName: 'ec-model', InstanceType: 'ml.m5.large' }] }),
      'ValidationException',
      /InstanceType and InitialInstanceCount are required/,
    );
    await refused(
      create({ EndpointConfigName: 'no-instance', ProductionVariants: [variant({ ServerlessConfig: { MemorySizeInMB: 1024, MaxConcurrency: 1 } })] }),
      'ValidationException',
      /ServerlessConfig cannot be specified together/,
    );
    await assertAbsent('no-instance');
  });

  it('duplicate tag keys and aws: tag keys are refused at creation', async () => {
    await refused(
      create({ EndpointConfigName: 'bad-tags', Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] }),
      'ValidationException',
      /Duplicate tag key 'a'/,
    );
    await refused(create({ EndpointConfigName: 'bad-tags', Tags: [{ Key: 'AWS:owner', Value: '1' }] }), 'ValidationException', /aws:/);
    await assertAbsent('bad-tags');
  });

  describe('shape constraints (checked by the generated validator with AWS wording)', () => {
    it('11 production variants are refused: more than the 10 allowed', async () => {
      const many = Array.from({ length: 11 }, (_, i) => variant({ VariantName: `v${i}` }));
      await refused(create({ EndpointConfigName: 'eleven', ProductionVariants: many }), 'ValidationException', /Member must have length less than or equal to 10/);
      await assertAbsent('eleven');
    });

    it('a 64-character name is refused (the limit is 63)', async () => {
      const name = 'n'.repeat(64);
      await refused(create({ EndpointConfigName: name }), 'ValidationException', /Member must have length less than or equal to 63/);
      assert.deepEqual(await names({ NameContains: 'nnnnnnnnnn' }), []);
    });

    it('an unknown InstanceType is refused', async () => {
      await refused(
        create({ EndpointConfigName: 'bad-type', ProductionVariants: [variant({ InstanceType: 'ml.fake.large' as never })] }),
        'ValidationException',
        /Member must satisfy enum value set/,
      );
      await assertAbsent('bad-type');
    });

    it('a negative variant weight is refused', async () => {
      await refused(
        create({ EndpointConfigName: 'neg-weight', ProductionVariants: [variant({ InitialVariantWeight: -1 })] }),
        'ValidationException',
        /Member must have value greater than or equal to 0/,
      );
      await assertAbsent('neg-weight');
    });

    it('InitialInstanceCount 0 is refused', async () => {
      await refused(
        create({ EndpointConfigName: 'zero-count', ProductionVariants: [variant({ InitialInstanceCount: 0 })] }),
        'ValidationException',
        /Member must have value greater than or equal to 1/,
      );
      await assertAbsent('zero-count');
    });

    it('a sampling percentage of 101 is refused', async () => {
      await refused(
        create({
          EndpointConfigName: 'sampling-101',
          DataCaptureConfig: { InitialSamplingPercentage: 101, DestinationS3Uri: 's3://b/c', CaptureOptions: [{ CaptureMode: 'Input' }] },
        }),
        'ValidationException',
        /Member must have value less than or equal to 100/,
      );
      await assertAbsent('sampling-101');
    });

    it('51 tags are refused', async () => {
      const Tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
      await refused(create({ EndpointConfigName: 'many-tags', Tags }), 'ValidationException', /Member must have length less than or equal to 50/);
      await assertAbsent('many-tags');
    });
  });

  it('DeleteEndpointConfig removes the config; a second delete is refused', async () => {
    await create({ EndpointConfigName: 'to-delete' });
    await t.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'TO-DELETE' }));
    await assertAbsent('to-delete');
    await refused(t.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'to-delete' })), 'ValidationException', /Could not find endpoint configuration/);
  });

  describe('ListEndpointConfigs paging', () => {
    const prefix = 'page-';
    const created: { name: string; time: number }[] = [];
    before(async () => {
      // Shuffled names so that name order and creation order differ.
      const order = Array.from({ length: 25 }, (_, i) => (i * 7) % 25);
      for (const i of order) {
        const name = `${prefix}${String(i).padStart(2, '0')}`;
        await create({ EndpointConfigName: name });
        const d = await t.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
        created.push({ name, time: d.CreationTime!.getTime() });
        await sleep(3); // distinct creation times, so the time filters have exact answers
      }
    });

    async function pageAll(input: ListEndpointConfigsCommandInput) {
      const pages: string[][] = [];
      let NextToken: string | undefined;
      do {
        const out = await t.sagemaker.send(new ListEndpointConfigsCommand({ ...input, NextToken }));
        for (const c of out.EndpointConfigs!) {
          assert.deepEqual(Object.keys(c).sort(), ['CreationTime', 'EndpointConfigArn', 'EndpointConfigName']);
          assert.equal(c.EndpointConfigArn, configArn(c.EndpointConfigName!));
        }
        pages.push(out.EndpointConfigs!.map((c) => c.EndpointConfigName!));
        NextToken = out.NextToken;
      } while (NextToken);
      return pages;
    }

    it('the default is 10 results, newest first', async () => {
      const out = await t.sagemaker.send(new ListEndpointConfigsCommand({ NameContains: prefix }));
      assert.equal(out.EndpointConfigs!.length, 10);
      assert.ok(out.NextToken);
      const newest = [...created].sort((a, b) => b.time - a.time).slice(0, 10).map((c) => c.name);
      assert.deepEqual(out.EndpointConfigs!.map((c) => c.EndpointConfigName), newest);
    });

    for (const SortBy of ['CreationTime', 'Name'] as const) {
      for (const SortOrder of ['Ascending', 'Descending'] as const) {
        it(`MaxResults 10 by ${SortBy} ${SortOrder}: pages of 10, 10, 5 with no duplicates or gaps`, async () => {
          const pages = await pageAll({ NameContains: prefix, MaxResults: 10, SortBy, SortOrder });
          assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
          const expected = [...created]
            .sort((a, b) => (SortBy === 'Name' ? a.name.localeCompare(b.name) : a.time - b.time))
            .map((c) => c.name);
          if (SortOrder === 'Descending') expected.reverse();
          assert.deepEqual(pages.flat(), expected);
        });
      }
    }

    it('NameContains matches case-insensitively on part of the name', async () => {
      assert.deepEqual(await names({ NameContains: 'GE-1', SortBy: 'Name', SortOrder: 'Ascending' }), [
        'page-10', 'page-11', 'page-12', 'page-13', 'page-14', 'page-15', 'page-16', 'page-17', 'page-18', 'page-19',
      ]);
    });

    it('CreationTimeAfter and CreationTimeBefore are exclusive bounds', async () => {
      const byTime = [...created].sort((a, b) => a.time - b.time);
      const lo = byTime[5];
      const hi = byTime[15];
      const got = await names({ NameContains: prefix, CreationTimeAfter: new Date(lo.time), CreationTimeBefore: new Date(hi.time), SortBy: 'CreationTime', SortOrder: 'Ascending' });
      assert.deepEqual(got, byTime.slice(6, 15).map((c) => c.name));
    });

    it('a NextToken stays valid while configs are inserted between pages', async () => {
      const first = await t.sagemaker.send(
        new ListEndpointConfigsCommand({ NameContains: prefix, MaxResults: 10, SortBy: 'Name', SortOrder: 'Ascending' }),
      );
      // New names sort between, before and after the originals.
      for (const n of ['page-00a', 'page-09z', 'page-15b', 'page-99', 'page-0']) await create({ EndpointConfigName: n });
      const seen = first.EndpointConfigs!.map((c) => c.EndpointConfigName!);
      let NextToken = first.NextToken;
      while (NextToken) {
        const out = await t.sagemaker.send(
          new ListEndpointConfigsCommand({ NameContains: prefix, MaxResults: 10, SortBy: 'Name', SortOrder: 'Ascending', NextToken }),
        );
        seen.push(...out.EndpointConfigs!.map((c) => c.EndpointConfigName!));
        NextToken = out.NextToken;
      }
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      const originals = seen.filter((n) => created.some((c) => c.name === n));
      assert.deepEqual(originals, created.map((c) => c.name).sort(), 'every original exactly once, in order');
      // Inserted names after the cursor are seen; the one before it is not.
      assert.ok(seen.includes('page-15b') && seen.includes('page-99'));
      for (const n of ['page-00a', 'page-09z', 'page-15b', 'page-99', 'page-0']) {
        await t.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: n }));
      }
    });

    it('a token from another sort order is refused', async () => {
      const first = await t.sagemaker.send(new ListEndpointConfigsCommand({ NameContains: prefix, MaxResults: 5, SortBy: 'Name' }));
      await refused(
        t.sagemaker.send(new ListEndpointConfigsCommand({ NameContains: prefix, MaxResults: 5, SortBy: 'CreationTime', NextToken: first.NextToken })),
        'ValidationException',
        /Invalid pagination token/,
      );
    });
  });
});
