import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aws as awsCli } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { uploadSet } from '../lookoutvision/helpers.js';
import type { GeneratedImage } from '../../src/domain/lookoutvision/generator.js';

/** The model file shipped in the repository (dist/test/e2e → repo root). */
const MODEL = fileURLToPath(new URL('../../../models/lookoutvision/service-2.json', import.meta.url));

/**
 * The AWS CLI no longer ships Lookout for Vision; README.md documents teaching it the
 * service again with `aws configure add-model` and the model file in models/lookoutvision/.
 * This test does exactly that in a temporary HOME (the user's ~/.aws is never touched) and
 * then drives the whole lifecycle with `aws lookoutvision …`.
 */
describe('aws lookoutvision CLI end to end (after aws configure add-model)', { timeout: 600_000 }, () => {
  let t: TestServer;
  let home: string;
  let images: GeneratedImage[];

  // A temporary HOME holds the added service model; the user's ~/.aws is never touched.
  const aws = (args: string[], withEndpoint = true) =>
    awsCli(args, { endpointUrl: withEndpoint ? t.url : undefined, env: { HOME: home, AWS_CONFIG_FILE: join(home, '.aws', 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials') } });
  const ok = async (args: string[]) => {
    const r = await aws(args);
    assert.equal(r.code, 0, `aws ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : {};
  };
  const poll = async (args: string[], done: (o: any) => boolean, what: string) => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const o = await ok(args);
      if (done(o)) return o;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(o)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  before(async () => {
    t = await startTestServer();
    home = mkdtempSync(join(tmpdir(), 'slipway-aws-home-'));
    images = (await uploadSet(t.s3, 'cli-lv', 'set/', { seed: 61, normal: 20, anomalous: 10 })).images;
  });
  after(async () => {
    await t.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('add-model with the shipped model file teaches the CLI the service', async () => {
    const r = await aws(['configure', 'add-model', '--service-name', 'lookoutvision', '--service-model', `file://${MODEL}`], false);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(home, '.aws', 'models', 'lookoutvision', '2020-11-20', 'service-2.json')), 'installed under the temporary HOME');
  });

  it('create-project, create-dataset, create-model, start-model, detect-anomalies, stop-model, delete', async () => {
    const p = await ok(['lookoutvision', 'create-project', '--project-name', 'cli-parts']);
    assert.equal(p.ProjectMetadata.ProjectName, 'cli-parts');
    await ok([
      'lookoutvision', 'create-dataset', '--project-name', 'cli-parts', '--dataset-type', 'train',
      '--dataset-source', JSON.stringify({ GroundTruthManifest: { S3Object: { Bucket: 'cli-lv', Key: 'set/manifest.jsonl' } } }),
    ]);
    const ds = await poll(['lookoutvision', 'describe-dataset', '--project-name', 'cli-parts', '--dataset-type', 'train'], (o) => o.DatasetDescription.Status !== 'CREATE_IN_PROGRESS', 'dataset');
    assert.equal(ds.DatasetDescription.Status, 'CREATE_COMPLETE');
    assert.equal(ds.DatasetDescription.ImageStats.Total, 30);

    const entries = await ok(['lookoutvision', 'list-dataset-entries', '--project-name', 'cli-parts', '--dataset-type', 'train', '--anomaly-class', 'anomaly']);
    assert.equal(entries.DatasetEntries.length, 10);

    const m = await ok(['lookoutvision', 'create-model', '--project-name', 'cli-parts', '--output-config', 'S3Location={Bucket=cli-lv,Prefix=out/}']);
    assert.equal(m.ModelMetadata.Status, 'TRAINING');
    const trained = await poll(['lookoutvision', 'describe-model', '--project-name', 'cli-parts', '--model-version', '1'], (o) => o.ModelDescription.Status !== 'TRAINING', 'training');
    assert.equal(trained.ModelDescription.Status, 'TRAINED', trained.ModelDescription.StatusMessage);
    assert.equal(typeof trained.ModelDescription.Performance.F1Score, 'number');

    const start = await ok(['lookoutvision', 'start-model', '--project-name', 'cli-parts', '--model-version', '1', '--min-inference-units', '1']);
    assert.equal(start.Status, 'STARTING_HOSTING');
    await poll(['lookoutvision', 'describe-model', '--project-name', 'cli-parts', '--model-version', '1'], (o) => o.ModelDescription.Status === 'HOSTED', 'HOSTED');

    const normal = join(home, 'normal.png');
    const defect = join(home, 'defect.png');
    writeFileSync(normal, images.find((i) => !i.anomalous)!.png);
    writeFileSync(defect, images.find((i) => i.defect === 'missing')!.png);
    const n = await ok(['lookoutvision', 'detect-anomalies', '--project-name', 'cli-parts', '--model-version', '1', '--content-type', 'image/png', '--body', normal]);
    assert.equal(n.DetectAnomalyResult.Source.Type, 'direct');
    assert.equal(n.DetectAnomalyResult.IsAnomalous, false);
    const a = await ok(['lookoutvision', 'detect-anomalies', '--project-name', 'cli-parts', '--model-version', '1', '--content-type', 'image/png', '--body', defect]);
    assert.equal(a.DetectAnomalyResult.IsAnomalous, true);

    const stop = await ok(['lookoutvision', 'stop-model', '--project-name', 'cli-parts', '--model-version', '1', '--client-token', 'cli-stop-1']);
    assert.equal(stop.Status, 'STOPPING_HOSTING');
    await poll(['lookoutvision', 'describe-model', '--project-name', 'cli-parts', '--model-version', '1'], (o) => o.ModelDescription.Status === 'TRAINED', 'TRAINED');
    const again = await aws(['lookoutvision', 'stop-model', '--project-name', 'cli-parts', '--model-version', '1']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /ConflictException/);
    const missing = await aws(['lookoutvision', 'stop-model', '--project-name', 'cli-parts', '--model-version', '7']);
    assert.match(missing.stderr, /ResourceNotFoundException/);

    await ok(['lookoutvision', 'delete-model', '--project-name', 'cli-parts', '--model-version', '1']);
    await poll(['lookoutvision', 'list-models', '--project-name', 'cli-parts'], (o) => o.Models.length === 0, 'model deleted');
    await ok(['lookoutvision', 'delete-dataset', '--project-name', 'cli-parts', '--dataset-type', 'train']);
    const gone = await ok(['lookoutvision', 'delete-project', '--project-name', 'cli-parts']);
    assert.match(gone.ProjectArn, /project\/cli-parts$/);
    assert.deepEqual((await ok(['lookoutvision', 'list-projects'])).Projects, []);
  });
});
