import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import * as tar from 'tar';
import {
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteEndpointCommand,
  DescribeModelPackageCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEndpoint, HOSTING_ENV, runtimeClient, variant, waitStatus } from '../helpers/hosting.js';

describe('model registry → hosting', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    rt = runtimeClient(t);
    // A real model archive: hosting unpacks ModelDataUrl into the model directory.
    const dir = mkdtempSync(join(tmpdir(), 'registry-model-'));
    writeFileSync(join(dir, 'weights.txt'), 'w=1\n');
    const archive = await buffer(tar.c({ gzip: true, cwd: dir }, ['weights.txt']) as unknown as NodeJS.ReadableStream);
    rmSync(dir, { recursive: true, force: true });
    await t.s3.send(new CreateBucketCommand({ Bucket: 'deploy-models' }));
    await t.s3.send(new PutObjectCommand({ Bucket: 'deploy-models', Key: 'v1/model.tar.gz', Body: archive }));
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('an approved version is deployed to an endpoint and answers invocations', async () => {
    await t.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'served' }));
    const { ModelPackageArn } = await t.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: 'served',
        InferenceSpecification: {
          Containers: [{ Image: 'slipway/echo:latest', ModelDataUrl: 's3://deploy-models/v1/model.tar.gz', Environment: { GREETING: 'hi' } }],
          SupportedContentTypes: ['text/plain'],
          SupportedResponseMIMETypes: ['text/plain'],
        },
      }),
    );
    const deadline = Date.now() + 20_000;
    while ((await t.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }))).ModelPackageStatus !== 'Completed') {
      assert.ok(Date.now() < deadline, 'package validation did not complete');
      await new Promise((r) => setTimeout(r, 50));
    }
    await t.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn, ModelApprovalStatus: 'Approved' }));
    await t.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'served-v1',
        PrimaryContainer: { ModelPackageName: ModelPackageArn },
        ExecutionRoleArn: 'arn:aws:iam::000000000000:role/SageMakerRole',
      }),
    );
    await createConfig(t.sagemaker, 'served-v1', [variant('AllTraffic', 'served-v1')]);
    const ep = await createEndpoint(t.sagemaker, 'served', 'served-v1');
    assert.equal(ep.EndpointStatus, 'InService', ep.FailureReason);
    const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'served', Body: Buffer.from('1,2,3'), ContentType: 'text/plain' }));
    assert.equal(Buffer.from(out.Body!).toString(), '1,2,3');
    assert.equal(out.InvokedProductionVariant, 'AllTraffic');
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'served' }));
    await assert.rejects(waitStatus(t.sagemaker, 'served', ['__never__'], 30_000), /Could not find endpoint/);
  });
});
