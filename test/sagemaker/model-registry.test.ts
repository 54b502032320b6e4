import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddTagsCommand,
  BatchDescribeModelPackageCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteModelPackageCommand,
  DeleteModelPackageGroupCommand,
  DeleteModelPackageGroupPolicyCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  GetModelPackageGroupPolicyCommand,
  ListModelPackageGroupsCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  PutModelPackageGroupPolicyCommand,
  UpdateModelPackageCommand,
  type CreateModelPackageCommandInput,
  type DescribeModelPackageCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { refused } from '../helpers/assert.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ACCOUNT = '000000000000';
const groupArn = (g: string) => `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package-group/${g.toLowerCase()}`;
const versionArn = (g: string, v: number) => `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/${g.toLowerCase()}/${v}`;
const IMAGE = 'slipway/echo:latest';
const DATA = 's3://registry-models/churn/model.tar.gz';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SDK output without the transport metadata. */
function body<T extends { $metadata?: unknown }>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _m, ...rest } = out;
  return rest;
}

describe('model registry', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.s3.send(new CreateBucketCommand({ Bucket: 'registry-models' }));
    await t.s3.send(new PutObjectCommand({ Bucket: 'registry-models', Key: 'churn/model.tar.gz', Body: Buffer.from('model bytes') }));
  });
  after(() => t.close());

  const createGroup = (name: string) => t.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: name }));
  const register = (group: string, extra: Partial<CreateModelPackageCommandInput> = {}) =>
    t.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        InferenceSpecification: {
          Containers: [{ Image: IMAGE, ModelDataUrl: DATA }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['text/csv'],
        },
        ...extra,
      }),
    );
  const describePackage = (name: string) => t.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: name }));
  /** Polls (bounded) until validation has finished. */
  async function settled(name: string, timeoutMs = 20_000): Promise<DescribeModelPackageCommandOutput> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await describePackage(name);
      if (d.ModelPackageStatus === 'Completed' || d.ModelPackageStatus === 'Failed') return d;
      if (Date.now() > deadline) assert.fail(`${name} still ${d.ModelPackageStatus} after ${timeoutMs} ms`);
      await sleep(50);
    }
  }
  /** The stored row, serialized: what "nothing changed" is compared on, byte for byte. */
  const storedBytes = async (key: string) =>
    JSON.stringify(await t.slipway.services.store.get({ account: ACCOUNT, region: 'us-east-1' }, 'model-package', key));
  async function events(since = 0): Promise<Array<{ seq: number; event: any }>> {
    const res = await fetch(`${t.url}/_slipway/events?since=${since}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
    const text = await res.text();
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  describe('groups', () => {
    it('CreateModelPackageGroup, Describe (by name and ARN), List, duplicate refused, Delete', async () => {
      const out = await t.sagemaker.send(
        new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'Churn-Models', ModelPackageGroupDescription: 'churn', Tags: [{ Key: 'team', Value: 'ml' }] }),
      );
      assert.equal(out.ModelPackageGroupArn, groupArn('Churn-Models'));
      const d = body(await t.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: groupArn('Churn-Models') })));
      assert.ok(d.CreationTime instanceof Date);
      assert.deepEqual({ ...d, CreationTime: undefined }, {
        ModelPackageGroupName: 'Churn-Models',
        ModelPackageGroupArn: groupArn('Churn-Models'),
        ModelPackageGroupDescription: 'churn',
        CreationTime: undefined,
        CreatedBy: {},
        ModelPackageGroupStatus: 'Completed',
      });
      const tags = await t.sagemaker.send(new ListTagsCommand({ ResourceArn: groupArn('Churn-Models') }));
      assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ml' }]);
      await refused(createGroup('churn-models'), 'ValidationException', `Model Package Group already exists: ${groupArn('churn-models')}`);
      const listed = await t.sagemaker.send(new ListModelPackageGroupsCommand({ NameContains: 'churn-m' }));
      assert.deepEqual(listed.ModelPackageGroupSummaryList!.map((g) => g.ModelPackageGroupName), ['Churn-Models']);
      await t.sagemaker.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: 'churn-models' }));
      await refused(
        t.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'Churn-Models' })),
        'ValidationException',
        `ModelPackageGroup ${groupArn('Churn-Models')} does not exist.`,
      );
      // Its tags went with it.
      await refused(t.sagemaker.send(new ListTagsCommand({ ResourceArn: groupArn('Churn-Models') })), 'ValidationException');
    });

    it('ListModelPackageGroups pages by CreationTime descending and sorts by Name', async () => {
      for (const n of ['page-a', 'page-b', 'page-c']) {
        await createGroup(n);
        await sleep(5);
      }
      const first = await t.sagemaker.send(new ListModelPackageGroupsCommand({ NameContains: 'page-', MaxResults: 2 }));
      assert.deepEqual(first.ModelPackageGroupSummaryList!.map((g) => g.ModelPackageGroupName), ['page-c', 'page-b']);
      const second = await t.sagemaker.send(new ListModelPackageGroupsCommand({ NameContains: 'page-', MaxResults: 2, NextToken: first.NextToken }));
      assert.deepEqual(second.ModelPackageGroupSummaryList!.map((g) => g.ModelPackageGroupName), ['page-a']);
      assert.equal(second.NextToken, undefined);
      const byName = await t.sagemaker.send(new ListModelPackageGroupsCommand({ NameContains: 'page-', SortBy: 'Name', SortOrder: 'Ascending' }));
      assert.deepEqual(byName.ModelPackageGroupSummaryList!.map((g) => g.ModelPackageGroupName), ['page-a', 'page-b', 'page-c']);
    });

    it('group policies are stored and returned; a policy that is not JSON is refused; Delete removes it', async () => {
      await createGroup('shared');
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sagemaker:DescribeModelPackage', Resource: '*' }] });
      await refused(
        t.sagemaker.send(new GetModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' })),
        'ValidationException',
        `Cannot find resource policy for ${groupArn('shared')}.`,
      );
      await refused(
        t.sagemaker.send(new PutModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared', ResourcePolicy: '{not json' })),
        'ValidationException',
        'The ResourcePolicy is not a valid JSON policy document.',
      );
      const put = await t.sagemaker.send(new PutModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared', ResourcePolicy: policy }));
      assert.equal(put.ModelPackageGroupArn, groupArn('shared'));
      const got = await t.sagemaker.send(new GetModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' }));
      assert.equal(got.ResourcePolicy, policy);
      await t.sagemaker.send(new DeleteModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' }));
      await refused(t.sagemaker.send(new GetModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' })), 'ValidationException');
      await refused(
        t.sagemaker.send(new PutModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'nope', ResourcePolicy: policy })),
        'ValidationException',
        `ModelPackageGroup ${groupArn('nope')} does not exist.`,
      );
    });

    it('DeleteModelPackageGroup is refused while the group holds versions, and succeeds once they are deleted', async () => {
      await createGroup('holds-versions');
      const { ModelPackageArn } = await register('holds-versions');
      await refused(
        t.sagemaker.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: 'holds-versions' })),
        'ConflictException',
        /contains model packages/,
      );
      await t.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'holds-versions' }));
      await t.sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName: ModelPackageArn }));
      await t.sagemaker.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: 'holds-versions' }));
      // A group created again under the same name starts again at version 1.
      await createGroup('holds-versions');
      assert.equal((await register('holds-versions')).ModelPackageArn, versionArn('holds-versions', 1));
    });
  });

  describe('packages', () => {
    it('20 concurrent CreateModelPackage calls in one group get versions 1..20, no gap, no duplicate', async () => {
      await createGroup('concurrent');
      const arns = await Promise.all(Array.from({ length: 20 }, () => register('concurrent').then((o) => o.ModelPackageArn!)));
      const versions = arns.map((a) => Number(a.split('/').pop())).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: 20 }, (_, i) => i + 1));
      const listed: number[] = [];
      let NextToken: string | undefined;
      do {
        const page = await t.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: 'concurrent', MaxResults: 7, NextToken }));
        listed.push(...page.ModelPackageSummaryList!.map((s) => s.ModelPackageVersion!));
        NextToken = page.NextToken;
      } while (NextToken);
      assert.deepEqual(listed.sort((a, b) => a - b), versions);
    });

    it('a version starts PendingManualApproval and goes Pending → InProgress → Completed; Describe by ARN, group/version', async () => {
      await createGroup('lifecycle');
      const { ModelPackageArn } = await register('lifecycle', { ModelPackageDescription: 'first' });
      assert.equal(ModelPackageArn, versionArn('lifecycle', 1));
      const first = await describePackage(ModelPackageArn!);
      assert.equal(first.ModelApprovalStatus, 'PendingManualApproval');
      assert.ok(['Pending', 'InProgress', 'Completed'].includes(first.ModelPackageStatus!));
      const d = await settled('lifecycle/1');
      assert.equal(d.ModelPackageStatus, 'Completed');
      assert.deepEqual(d.ModelPackageStatusDetails, { ValidationStatuses: [{ Name: 'lifecycle', Status: 'Completed' }] });
      assert.equal(d.ModelPackageName, 'lifecycle');
      assert.equal(d.ModelPackageGroupName, 'lifecycle');
      assert.equal(d.ModelPackageVersion, 1);
      assert.equal(d.CertifyForMarketplace, false);
      assert.equal(d.ModelPackageDescription, 'first');
      assert.deepEqual(d.InferenceSpecification?.Containers, [{ Image: IMAGE, ModelDataUrl: DATA }]);
      // Registered as Approved when the create says so.
      const approved = await register('lifecycle', { ModelApprovalStatus: 'Approved' });
      assert.equal((await describePackage(approved.ModelPackageArn!)).ModelApprovalStatus, 'Approved');
      await refused(describePackage('lifecycle/99'), 'ValidationException', `ModelPackage ${versionArn('lifecycle', 99)} does not exist.`);
    });

    it('validation fails a package whose image is unknown or whose model data is missing, with the reason', async () => {
      await createGroup('broken');
      const badImage = await register('broken', { InferenceSpecification: { Containers: [{ Image: 'unknown/image:1', ModelDataUrl: DATA }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] } });
      const badData = await register('broken', { InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: 's3://registry-models/missing.tar.gz' }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] } });
      const a = await settled(badImage.ModelPackageArn!);
      assert.equal(a.ModelPackageStatus, 'Failed');
      assert.equal(a.ModelPackageStatusDetails!.ValidationStatuses![0].Status, 'Failed');
      assert.match(a.ModelPackageStatusDetails!.ValidationStatuses![0].FailureReason!, /^Image unknown\/image:1 cannot be resolved: /);
      const b = await settled(badData.ModelPackageArn!);
      assert.equal(b.ModelPackageStatus, 'Failed');
      assert.equal(b.ModelPackageStatusDetails!.ValidationStatuses![0].FailureReason, 'Model data s3://registry-models/missing.tar.gz does not exist.');
    });

    it('CreateModelPackage needs exactly one of ModelPackageName and ModelPackageGroupName; versions take no tags; unknown group', async () => {
      await createGroup('exactly-one');
      await refused(
        t.sagemaker.send(new CreateModelPackageCommand({ ModelPackageName: 'x', ModelPackageGroupName: 'exactly-one' })),
        'ValidationException',
        'Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.',
      );
      await refused(t.sagemaker.send(new CreateModelPackageCommand({})), 'ValidationException', 'Missing ARN.');
      await refused(register('exactly-one', { Tags: [{ Key: 'a', Value: 'b' }] }), 'ValidationException', /Tags cannot be specified for a versioned model package/);
      await refused(register('no-such-group'), 'ValidationException', `ModelPackageGroup ${groupArn('no-such-group')} does not exist.`);
      await refused(
        t.sagemaker.send(new CreateModelPackageCommand({ ModelPackageName: 'env', InferenceSpecification: { Containers: [{ Image: IMAGE, Environment: { A: '1' } }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] } })),
        'ValidationException',
        '1 validation errors detected:Environment variable map cannot be specified when using non-versioned ModelPackages',
      );
      // None of the refused calls used a version number.
      assert.equal((await register('exactly-one')).ModelPackageArn, versionArn('exactly-one', 1));
    });

    it('ClientToken: the same CreateModelPackage twice registers one version; other parameters with that token are refused', async () => {
      await createGroup('idem');
      const a = await register('idem', { ClientToken: 'token-1' });
      const b = await register('idem', { ClientToken: 'token-1' });
      assert.equal(a.ModelPackageArn, b.ModelPackageArn);
      await refused(register('idem', { ClientToken: 'token-1', ModelPackageDescription: 'other' }), 'ValidationException', /ClientToken token-1 was already used with different parameters/);
      const listed = await t.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: 'idem' }));
      assert.equal(listed.ModelPackageSummaryList!.length, 1);
    });

    it('ListModelPackages: unversioned only by default, Versioned, Both, approval filter, NameContains, sort, time filters', async () => {
      await createGroup('lst');
      const before = new Date(Date.now() - 1000);
      await t.sagemaker.send(new CreateModelPackageCommand({ ModelPackageName: 'lst-plain', ModelPackageDescription: 'unversioned' }));
      await register('lst');
      await register('lst', { ModelApprovalStatus: 'Approved' });
      const names = (l: { ModelPackageSummaryList?: Array<{ ModelPackageArn?: string }> }) => l.ModelPackageSummaryList!.map((s) => s.ModelPackageArn!.split(':model-package/')[1]).sort();
      const def = await t.sagemaker.send(new ListModelPackagesCommand({ NameContains: 'lst' }));
      assert.deepEqual(names(def), ['lst-plain']);
      assert.equal(def.ModelPackageSummaryList![0].ModelPackageName, 'lst-plain');
      assert.deepEqual(names(await t.sagemaker.send(new ListModelPackagesCommand({ NameContains: 'lst', ModelPackageType: 'Versioned' }))), ['lst/1', 'lst/2']);
      assert.deepEqual(names(await t.sagemaker.send(new ListModelPackagesCommand({ NameContains: 'lst', ModelPackageType: 'Both' }))), ['lst-plain', 'lst/1', 'lst/2']);
      const approved = await t.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: groupArn('lst'), ModelApprovalStatus: 'Approved' }));
      assert.deepEqual(names(approved), ['lst/2']);
      const v = approved.ModelPackageSummaryList![0];
      assert.equal(v.ModelPackageGroupName, 'lst');
      assert.equal(v.ModelPackageVersion, 2);
      assert.equal(v.ModelPackageName, undefined);
      const asc = await t.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: 'lst', SortBy: 'CreationTime', SortOrder: 'Ascending' }));
      assert.deepEqual(asc.ModelPackageSummaryList!.map((s) => s.ModelPackageVersion), [1, 2]);
      const none = await t.sagemaker.send(new ListModelPackagesCommand({ NameContains: 'lst', ModelPackageType: 'Both', CreationTimeBefore: before }));
      assert.deepEqual(none.ModelPackageSummaryList, []);
      assert.deepEqual(names(await t.sagemaker.send(new ListModelPackagesCommand({ NameContains: 'lst', ModelPackageType: 'Both', CreationTimeAfter: before }))).length, 3);
    });

    it('BatchDescribeModelPackage summarizes versions and reports unknown ARNs in the error map', async () => {
      await createGroup('batch');
      const { ModelPackageArn } = await register('batch');
      const missing = versionArn('batch', 7);
      const out = await t.sagemaker.send(new BatchDescribeModelPackageCommand({ ModelPackageArnList: [ModelPackageArn!, missing] }));
      const s = out.ModelPackageSummaries![ModelPackageArn!];
      assert.equal(s.ModelPackageGroupName, 'batch');
      assert.equal(s.ModelPackageVersion, 1);
      assert.equal(s.ModelApprovalStatus, 'PendingManualApproval');
      assert.deepEqual(s.InferenceSpecification!.Containers, [{ Image: IMAGE, ModelDataUrl: DATA }]);
      assert.deepEqual(out.BatchDescribeModelPackageErrorMap![missing], { ErrorCode: 'ValidationException', ErrorResponse: `ModelPackage ${missing} does not exist.` });
    });

    it('unversioned packages: by name, duplicate refused, tags through the ARN, delete', async () => {
      const arn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/plain-pkg`;
      const out = await t.sagemaker.send(new CreateModelPackageCommand({ ModelPackageName: 'Plain-Pkg', Tags: [{ Key: 'k', Value: 'v' }] }));
      assert.equal(out.ModelPackageArn, arn);
      await refused(t.sagemaker.send(new CreateModelPackageCommand({ ModelPackageName: 'plain-pkg' })), 'ValidationException', `Model Package already exists: ${arn}`);
      const d = await describePackage('plain-pkg');
      assert.equal(d.ModelPackageName, 'Plain-Pkg');
      assert.equal(d.ModelApprovalStatus, undefined);
      await t.sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'k2', Value: 'v2' }] }));
      assert.deepEqual((await t.sagemaker.send(new ListTagsCommand({ ResourceArn: arn }))).Tags, [{ Key: 'k', Value: 'v' }, { Key: 'k2', Value: 'v2' }]);
      await t.sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName: arn }));
      await refused(describePackage('plain-pkg'), 'ValidationException', `ModelPackage ${arn} does not exist.`);
      await refused(t.sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName: 'plain-pkg' })), 'ValidationException', `ModelPackage ${arn} does not exist.`);
    });
  });

  describe('tags on versions', () => {
    it('AddTags and ListTags reach a version through its ARN; deleting the version drops them', async () => {
      await createGroup('tagged');
      const { ModelPackageArn } = await register('tagged');
      await t.sagemaker.send(new AddTagsCommand({ ResourceArn: ModelPackageArn, Tags: [{ Key: 'stage', Value: 'candidate' }] }));
      assert.deepEqual((await t.sagemaker.send(new ListTagsCommand({ ResourceArn: ModelPackageArn }))).Tags, [{ Key: 'stage', Value: 'candidate' }]);
      await t.sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName: 'tagged/1' }));
      await refused(t.sagemaker.send(new ListTagsCommand({ ResourceArn: ModelPackageArn })), 'ValidationException');
    });
  });

  describe('UpdateModelPackage', () => {
    let n = 0;
    async function fresh(extra: Partial<CreateModelPackageCommandInput> = {}) {
      const g = `upd-${++n}`;
      await createGroup(g);
      const { ModelPackageArn } = await register(g, extra);
      await settled(ModelPackageArn!);
      return { arn: ModelPackageArn!, key: `${g}/1` };
    }
    const update = (input: ConstructorParameters<typeof UpdateModelPackageCommand>[0]) => t.sagemaker.send(new UpdateModelPackageCommand(input));

    /** A refused update leaves the stored package and its Describe exactly as before. */
    async function refusedUnchanged(pkg: { arn: string; key: string }, input: Omit<ConstructorParameters<typeof UpdateModelPackageCommand>[0], 'ModelPackageArn'>, message: string | RegExp) {
      const bytes = await storedBytes(pkg.key);
      const described = JSON.stringify(body(await describePackage(pkg.arn)));
      await refused(update({ ModelPackageArn: pkg.arn, ...input }), 'ValidationException', message);
      assert.equal(await storedBytes(pkg.key), bytes);
      assert.equal(JSON.stringify(body(await describePackage(pkg.arn))), described);
    }

    it('approves with a description; status and description are kept when not passed; LastModifiedTime moves', async () => {
      const pkg = await fresh();
      assert.equal((await describePackage(pkg.arn)).LastModifiedTime, undefined);
      const out = await update({ ModelPackageArn: pkg.arn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'looks good' });
      assert.equal(out.ModelPackageArn, pkg.arn);
      const a = await describePackage(pkg.arn);
      assert.equal(a.ModelApprovalStatus, 'Approved');
      assert.equal(a.ApprovalDescription, 'looks good');
      assert.ok(a.LastModifiedTime instanceof Date);
      assert.deepEqual(a.LastModifiedBy, {});
      await sleep(20);
      await update({ ModelPackageArn: pkg.arn, CustomerMetadataProperties: { owner: 'ana' } });
      const b = await describePackage(pkg.arn);
      assert.equal(b.ModelApprovalStatus, 'Approved');
      assert.equal(b.ApprovalDescription, 'looks good');
      assert.ok(b.LastModifiedTime!.getTime() > a.LastModifiedTime!.getTime());
      // Any transition: Approved → Rejected → PendingManualApproval → Approved.
      for (const s of ['Rejected', 'PendingManualApproval', 'Approved'] as const) {
        await update({ ModelPackageArn: pkg.arn, ModelApprovalStatus: s });
        assert.equal((await describePackage(pkg.arn)).ModelApprovalStatus, s);
      }
    });

    it('ApprovalDescription longer than 1024 characters is refused by the model constraint, nothing applied', async () => {
      const pkg = await fresh();
      const long = 'x'.repeat(1025);
      await refusedUnchanged(
        pkg,
        { ModelApprovalStatus: 'Approved', ApprovalDescription: long },
        `1 validation error detected: Value '${long}' at 'approvalDescription' failed to satisfy constraint: Member must have length less than or equal to 1024`,
      );
      await update({ ModelPackageArn: pkg.arn, ApprovalDescription: 'y'.repeat(1024) });
    });

    it('CustomerMetadataProperties merge into the map; keys are removed; a key both added and removed is refused', async () => {
      const pkg = await fresh({ CustomerMetadataProperties: { a: '1', b: '2' } });
      await update({ ModelPackageArn: pkg.arn, CustomerMetadataProperties: { b: 'two', c: '3' } });
      assert.deepEqual((await describePackage(pkg.arn)).CustomerMetadataProperties, { a: '1', b: 'two', c: '3' });
      await update({ ModelPackageArn: pkg.arn, CustomerMetadataPropertiesToRemove: ['a', 'not-there'] });
      assert.deepEqual((await describePackage(pkg.arn)).CustomerMetadataProperties, { b: 'two', c: '3' });
      await refusedUnchanged(
        pkg,
        { CustomerMetadataProperties: { d: '4', c: 'x' }, CustomerMetadataPropertiesToRemove: ['c'], ModelApprovalStatus: 'Approved' },
        'CustomerMetadataProperties and CustomerMetadataPropertiesToRemove cannot contain the same key: c.',
      );
      // Removing every key leaves no map at all.
      await update({ ModelPackageArn: pkg.arn, CustomerMetadataPropertiesToRemove: ['b', 'c'] });
      assert.equal((await describePackage(pkg.arn)).CustomerMetadataProperties, undefined);
    });

    it('CustomerMetadataProperties: the merged map holds at most 50 entries; a key longer than 128 is refused', async () => {
      const start = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`k${i}`, 'v']));
      const pkg = await fresh({ CustomerMetadataProperties: start });
      const six = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`n${i}`, 'v']));
      await refusedUnchanged(
        pkg,
        { CustomerMetadataProperties: six },
        'The model package would have 51 CustomerMetadataProperties; a model package can have at most 50.',
      );
      // With one removed in the same call it fits exactly.
      await update({ ModelPackageArn: pkg.arn, CustomerMetadataProperties: six, CustomerMetadataPropertiesToRemove: ['k0'] });
      assert.equal(Object.keys((await describePackage(pkg.arn)).CustomerMetadataProperties!).length, 50);
      await refusedUnchanged(pkg, { CustomerMetadataProperties: { ['k'.repeat(129)]: 'v' } }, /1 validation error detected: .*customerMetadataProperties.*length less than or equal to 128/);
    });

    it('AdditionalInferenceSpecificationsToAdd: names unique, 15 at most — the 16th is refused and nothing of that call applied', async () => {
      const pkg = await fresh();
      const spec = (name: string) => ({ Name: name, Containers: [{ Image: IMAGE, ModelDataUrl: DATA }] });
      await update({ ModelPackageArn: pkg.arn, AdditionalInferenceSpecificationsToAdd: Array.from({ length: 14 }, (_, i) => spec(`s${i}`)) });
      // New containers are validated again; wait for that so the comparisons below see a still row.
      assert.equal((await settled(pkg.arn)).AdditionalInferenceSpecifications!.length, 14);
      await refusedUnchanged(
        pkg,
        { AdditionalInferenceSpecificationsToAdd: [spec('s14'), spec('s15')], ModelApprovalStatus: 'Approved', CustomerMetadataProperties: { x: 'y' } },
        'A model package can have at most 15 AdditionalInferenceSpecifications; this update would make 16.',
      );
      await refusedUnchanged(pkg, { AdditionalInferenceSpecificationsToAdd: [spec('S3')] }, `An AdditionalInferenceSpecification named S3 already exists in ${pkg.arn}.`);
      await refusedUnchanged(
        pkg,
        { AdditionalInferenceSpecificationsToAdd: [{ Name: 'dup', Containers: [{ Image: IMAGE, ContainerHostname: 'c1' }, { Image: IMAGE, ContainerHostname: 'C1' }] }] },
        'Duplicate ContainerHostname C1 in AdditionalInferenceSpecification dup.',
      );
      await update({ ModelPackageArn: pkg.arn, AdditionalInferenceSpecificationsToAdd: [spec('s14')] });
      const d = await settled(pkg.arn);
      assert.equal(d.AdditionalInferenceSpecifications!.length, 15);
      assert.equal(d.ModelPackageStatus, 'Completed');
    });

    it('InferenceSpecification, ModelLifeCycle, SourceUri and ModelCard are replaced; a new specification is validated again', async () => {
      const pkg = await fresh();
      await update({
        ModelPackageArn: pkg.arn,
        ModelLifeCycle: { Stage: 'Staging', StageStatus: 'Approved', StageDescription: 'ready' },
        SourceUri: 's3://registry-models/source',
        ModelCard: { ModelCardContent: '{"model_overview":{}}', ModelCardStatus: 'Draft' },
      });
      const d = await describePackage(pkg.arn);
      assert.deepEqual(d.ModelLifeCycle, { Stage: 'Staging', StageStatus: 'Approved', StageDescription: 'ready' });
      assert.equal(d.SourceUri, 's3://registry-models/source');
      assert.deepEqual(d.ModelCard, { ModelCardContent: '{"model_overview":{}}', ModelCardStatus: 'Draft' });
      await update({ ModelPackageArn: pkg.arn, InferenceSpecification: { Containers: [{ Image: 'unknown/other:2' }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] } });
      const v = await settled(pkg.arn);
      assert.equal(v.ModelPackageStatus, 'Failed');
      assert.deepEqual(v.InferenceSpecification!.Containers, [{ Image: 'unknown/other:2' }]);
    });

    it('ClientToken: a repeated update applies once; other parameters with the same token are refused', async () => {
      const pkg = await fresh();
      const since = (await events()).at(-1)?.seq ?? 0;
      await update({ ModelPackageArn: pkg.arn, ModelApprovalStatus: 'Approved', ClientToken: 'approve-once' });
      const after1 = await storedBytes(pkg.key);
      await update({ ModelPackageArn: pkg.arn, ModelApprovalStatus: 'Approved', ClientToken: 'approve-once' });
      assert.equal(await storedBytes(pkg.key), after1);
      await refused(update({ ModelPackageArn: pkg.arn, ModelApprovalStatus: 'Rejected', ClientToken: 'approve-once' }), 'ValidationException', /ClientToken approve-once was already used with different parameters/);
      const mine = (await events(since)).filter((e) => e.event.resources[0] === pkg.arn);
      assert.equal(mine.length, 1);
    });

    it('an unknown package is refused with its ARN', async () => {
      const arn = versionArn('nowhere', 3);
      await refused(update({ ModelPackageArn: arn, ModelApprovalStatus: 'Approved' }), 'ValidationException', `ModelPackage ${arn} does not exist.`);
    });
  });

  describe('deploy from the registry and events', () => {
    it('register → refused while PendingManualApproval → approve → CreateModel from the package resolves image and data', async () => {
      await createGroup('deploy');
      const since = (await events()).at(-1)?.seq ?? 0;
      const { ModelPackageArn } = await register('deploy');
      await settled(ModelPackageArn!);
      await refused(
        t.sagemaker.send(new CreateModelCommand({ ModelName: 'from-pending', Containers: [{ ModelPackageName: ModelPackageArn }] })),
        'ValidationException',
        `Model package ${ModelPackageArn} cannot be used to create a model: its ModelApprovalStatus is PendingManualApproval; only an Approved model package version can be deployed.`,
      );
      await refused(t.sagemaker.send(new DescribeModelCommand({ ModelName: 'from-pending' })), 'ValidationException');
      await t.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'ship it' }));
      await t.sagemaker.send(new CreateModelCommand({ ModelName: 'from-registry', Containers: [{ ModelPackageName: ModelPackageArn, Environment: { EXTRA: '1' } }] }));
      const m = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'from-registry' }));
      assert.deepEqual(m.Containers, [{ ModelPackageName: ModelPackageArn, Environment: { EXTRA: '1' }, Image: IMAGE, ModelDataUrl: DATA }]);
      // PrimaryContainer by group/version works the same way.
      await t.sagemaker.send(new CreateModelCommand({ ModelName: 'from-registry-2', PrimaryContainer: { ModelPackageName: 'deploy/1' } }));
      const p = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'from-registry-2' }));
      assert.deepEqual(p.PrimaryContainer, { ModelPackageName: ModelPackageArn, Image: IMAGE, ModelDataUrl: DATA });

      // The events a CI/CD pipeline reads: registration, then the approval.
      const evs = (await events(since)).filter((e) => e.event.resources[0] === ModelPackageArn);
      assert.deepEqual(evs.map((e) => e.event.detail.ModelApprovalStatus), ['PendingManualApproval', 'Approved']);
      const approved = evs[1].event;
      assert.equal(approved['detail-type'], 'SageMaker Model Package State Change');
      assert.equal(approved.source, 'aws.sagemaker');
      assert.equal(approved.account, ACCOUNT);
      assert.equal(approved.region, 'us-east-1');
      assert.match(approved.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(approved.detail.ModelPackageGroupName, 'deploy');
      assert.equal(approved.detail.ModelPackageVersion, 1);
      assert.equal(approved.detail.ModelPackageArn, ModelPackageArn);
      assert.equal(approved.detail.ApprovalDescription, 'ship it');
      // `since` resumes after the last event read.
      assert.deepEqual(await events(evs[1].seq), (await events(evs[1].seq)).filter((e) => e.seq > evs[1].seq));
      assert.ok((await events(evs[1].seq)).every((e) => e.seq > evs[1].seq));
    });

    it('a Rejected version and a failed package cannot be deployed; a missing package is named', async () => {
      await createGroup('deploy-no');
      const { ModelPackageArn } = await register('deploy-no', { ModelApprovalStatus: 'Rejected' });
      await settled(ModelPackageArn!);
      await refused(
        t.sagemaker.send(new CreateModelCommand({ ModelName: 'rejected', PrimaryContainer: { ModelPackageName: ModelPackageArn } })),
        'ValidationException',
        /its ModelApprovalStatus is Rejected/,
      );
      const broken = await register('deploy-no', { ModelApprovalStatus: 'Approved', InferenceSpecification: { Containers: [{ Image: 'unknown/x:1' }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] } });
      await settled(broken.ModelPackageArn!);
      await refused(
        t.sagemaker.send(new CreateModelCommand({ ModelName: 'broken', PrimaryContainer: { ModelPackageName: broken.ModelPackageArn } })),
        'ValidationException',
        /its ModelPackageStatus is Failed \(Image unknown\/x:1 cannot be resolved/,
      );
      await refused(
        t.sagemaker.send(new CreateModelCommand({ ModelName: 'missing', PrimaryContainer: { ModelPackageName: 'deploy-no/9' } })),
        'ValidationException',
        `ModelPackage ${versionArn('deploy-no', 9)} does not exist.`,
      );
    });

    it('GET /_slipway/events refuses a malformed cursor', async () => {
      const res = await fetch(`${t.url}/_slipway/events?since=abc`);
      assert.equal(res.status, 400);
      await res.text();
    });
  });

});

describe('model registry across a restart', () => {
  it('a package still Pending when the server stops is validated after the restart; versions continue', async () => {
    const first = await startTestServer();
    // Hold validation back so that the package is Pending when the server goes away.
    await first.slipway.services.controllers.registry!.stop();
    await first.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'durable' }));
    const spec = { Containers: [{ Image: IMAGE }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] };
    const { ModelPackageArn } = await first.sagemaker.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'durable', InferenceSpecification: spec }));
    assert.equal((await first.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }))).ModelPackageStatus, 'Pending');
    await first.close({ keepData: true });
    const second = await startTestServer({ dataDir: first.dataDir });
    try {
      const deadline = Date.now() + 20_000;
      let d = await second.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }));
      while (d.ModelPackageStatus !== 'Completed' && Date.now() < deadline) {
        await sleep(50);
        d = await second.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }));
      }
      assert.equal(d.ModelPackageStatus, 'Completed');
      const next = await second.sagemaker.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'durable', InferenceSpecification: spec }));
      assert.equal(next.ModelPackageArn, versionArn('durable', 2));
    } finally {
      await second.close();
    }
  });
});
