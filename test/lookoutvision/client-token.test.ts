import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  ConflictException,
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DeleteProjectCommand,
  DescribeModelCommand,
  ListModelsCommand,
  ListProjectsCommand,
  ResourceNotFoundException,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { lookoutClient, waitFor } from './helpers.js';

/**
 * AWS, on every mutating Lookout for Vision call: the ClientToken "ensures a call … completes
 * only once"; "An error occurs if the other input parameters are not the same as in the
 * first request"; "An idempotency token is active for 8 hours."
 */
describe('ClientToken idempotency on the create and delete calls', { timeout: 120_000 }, () => {
  let t: TestServer;
  let lv: LookoutVisionClient;
  before(async () => {
    t = await startTestServer();
    lv = lookoutClient(t);
    await t.s3.send(new CreateBucketCommand({ Bucket: 'tok-out' }));
  });
  after(async () => {
    lv.destroy();
    await t.close();
  });

  it('CreateProject: a repeat returns the first answer instead of a conflict; other parameters are refused', async () => {
    const a = await lv.send(new CreateProjectCommand({ ProjectName: 'tok', ClientToken: 'cp-1' }));
    const b = await lv.send(new CreateProjectCommand({ ProjectName: 'tok', ClientToken: 'cp-1' }));
    assert.deepEqual(b.ProjectMetadata, a.ProjectMetadata);
    await assert.rejects(lv.send(new CreateProjectCommand({ ProjectName: 'tok' })), ConflictException, 'a new token is a new call');
    await assert.rejects(lv.send(new CreateProjectCommand({ ProjectName: 'other', ClientToken: 'cp-1' })), (e) => e instanceof ConflictException && /cp-1/.test(e.message));
    assert.deepEqual((await lv.send(new ListProjectsCommand({}))).Projects?.map((p) => p.ProjectName), ['tok']);
  });

  it('CreateModel: a repeat does not train a second version', async () => {
    const input = { ProjectName: 'tok', ClientToken: 'cm-1', OutputConfig: { S3Location: { Bucket: 'tok-out' } } };
    const a = await lv.send(new CreateModelCommand(input));
    const b = await lv.send(new CreateModelCommand(input));
    assert.equal(a.ModelMetadata?.ModelVersion, '1');
    assert.deepEqual(b.ModelMetadata, a.ModelMetadata);
    await assert.rejects(lv.send(new CreateModelCommand({ ...input, Description: 'changed' })), ConflictException);
    assert.deepEqual((await lv.send(new ListModelsCommand({ ProjectName: 'tok' }))).Models?.map((m) => m.ModelVersion), ['1']);
    // The project has no dataset: training fails with the reason.
    const m = await waitFor(() => lv.send(new DescribeModelCommand({ ProjectName: 'tok', ModelVersion: '1' })), (m) => m.ModelDescription?.Status !== 'TRAINING');
    assert.equal(m.ModelDescription?.Status, 'TRAINING_FAILED');
    assert.match(m.ModelDescription!.StatusMessage!, /no training dataset/);
  });

  it('a refused call does not use up its token', async () => {
    await assert.rejects(lv.send(new CreateDatasetCommand({ ProjectName: 'later', DatasetType: 'train', ClientToken: 'cd-1' })), ResourceNotFoundException);
    await lv.send(new CreateProjectCommand({ ProjectName: 'later' }));
    const ok = await lv.send(new CreateDatasetCommand({ ProjectName: 'later', DatasetType: 'train', ClientToken: 'cd-1' }));
    assert.equal(ok.DatasetMetadata?.Status, 'CREATE_COMPLETE');
  });

  it('DeleteProject: a repeat after the project is gone returns the first answer, not a 404', async () => {
    await lv.send(new CreateProjectCommand({ ProjectName: 'gone' }));
    const a = await lv.send(new DeleteProjectCommand({ ProjectName: 'gone', ClientToken: 'dp-1' }));
    const b = await lv.send(new DeleteProjectCommand({ ProjectName: 'gone', ClientToken: 'dp-1' }));
    assert.equal(b.ProjectArn, a.ProjectArn);
    await assert.rejects(lv.send(new DeleteProjectCommand({ ProjectName: 'gone' })), ResourceNotFoundException);
  });
});
