import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { aws as awsCli, awsOk } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const aws = (url: string, args: string[]) => awsCli(args, { endpointUrl: url });
const ok = (url: string, args: string[]) => awsOk(args, { endpointUrl: url });

describe('model registry through the AWS CLI', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.s3.send(new CreateBucketCommand({ Bucket: 'cli-models' }));
    await t.s3.send(new PutObjectCommand({ Bucket: 'cli-models', Key: 'model.tar.gz', Body: Buffer.from('m') }));
  });
  after(() => t.close());

  it('register a version, approve it with update-model-package, refuse an over-long description, read the event', async () => {
    const url = t.url;
    await ok(url, ['sagemaker', 'create-model-package-group', '--model-package-group-name', 'cli-group']);
    const created = await ok(url, [
      'sagemaker', 'create-model-package', '--model-package-group-name', 'cli-group',
      '--inference-specification',
      JSON.stringify({ Containers: [{ Image: 'slipway/echo:latest', ModelDataUrl: 's3://cli-models/model.tar.gz' }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] }),
    ]);
    const arn = 'arn:aws:sagemaker:us-east-1:000000000000:model-package/cli-group/1';
    assert.equal(created.ModelPackageArn, arn);

    const updated = await ok(url, [
      'sagemaker', 'update-model-package', '--model-package-arn', arn,
      '--model-approval-status', 'Approved', '--approval-description', 'approved from the CLI',
      '--customer-metadata-properties', 'reviewer=ana',
    ]);
    assert.deepEqual(updated, { ModelPackageArn: arn });
    const d = await ok(url, ['sagemaker', 'describe-model-package', '--model-package-name', arn]);
    assert.equal(d.ModelApprovalStatus, 'Approved');
    assert.equal(d.ApprovalDescription, 'approved from the CLI');
    assert.deepEqual(d.CustomerMetadataProperties, { reviewer: 'ana' });
    assert.equal(typeof d.LastModifiedTime, 'number');

    const fail = await aws(url, [
      'sagemaker', 'update-model-package', '--model-package-arn', arn, '--model-approval-status', 'Rejected',
      '--approval-description', 'x'.repeat(1025),
    ]);
    assert.ok(fail.code === 254 || fail.code === 255, `exit code ${fail.code}`);
    assert.match(fail.stderr, /An error occurred \(ValidationException\) when calling the UpdateModelPackage operation: 1 validation error detected: Value 'x{1025}' at 'approvalDescription' failed to satisfy constraint: Member must have length less than or equal to 1024/);
    assert.equal((await ok(url, ['sagemaker', 'describe-model-package', '--model-package-name', 'cli-group/1'])).ModelApprovalStatus, 'Approved');

    // Deploying from the registry, as the README shows.
    await ok(url, ['sagemaker', 'create-model', '--model-name', 'cli-from-registry', '--containers', `ModelPackageName=${arn}`]);
    const model = await ok(url, ['sagemaker', 'describe-model', '--model-name', 'cli-from-registry']);
    assert.deepEqual(model.Containers, [{ ModelPackageName: arn, Image: 'slipway/echo:latest', ModelDataUrl: 's3://cli-models/model.tar.gz' }]);

    const listed = await ok(url, ['sagemaker', 'list-model-packages', '--model-package-group-name', 'cli-group', '--model-approval-status', 'Approved']);
    assert.deepEqual(listed.ModelPackageSummaryList.map((s: { ModelPackageArn: string }) => s.ModelPackageArn), [arn]);

    const res = await fetch(`${url}/_slipway/events`);
    const events = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l).event);
    const approved = events.filter((e) => e.resources[0] === arn && e.detail.ModelApprovalStatus === 'Approved');
    assert.equal(approved.length, 1);
    assert.equal(approved[0]['detail-type'], 'SageMaker Model Package State Change');

    const refuse = await aws(url, ['sagemaker', 'delete-model-package-group', '--model-package-group-name', 'cli-group']);
    assert.ok(refuse.code === 254 || refuse.code === 255, `exit code ${refuse.code}`);
    assert.match(refuse.stderr, /\(ConflictException\) when calling the DeleteModelPackageGroup operation/);
  });
});
