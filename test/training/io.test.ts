import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../src/objects/local-fs.js';
import { downloadChannel, extractMetrics, compileMetrics, JobFailure, safeJoin } from '../../src/domain/training/io.js';
import { jobDirectory, transition, type TrainingJobView } from '../../src/domain/training/job.js';
import { writeFileSync } from 'node:fs';

describe('training I/O guards', () => {
  let root: string;
  let objects: LocalObjectStore;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'slipway-train-io-'));
    objects = new LocalObjectStore(join(root, 's3'));
    await objects.createBucket('guarded');
    await objects.put('guarded', 'base/ok.txt', Buffer.from('ok'));
    await objects.put('guarded', 'evil.manifest', Buffer.from(JSON.stringify([{ prefix: 's3://guarded/base/' }, 'ok.txt', '../../../escaped.txt'])));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a manifest entry with .. is refused before anything lands outside the channel directory', async () => {
    const dest = join(root, 'job', 'input', 'data', 'train');
    await assert.rejects(
      downloadChannel(objects, { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: 's3://guarded/evil.manifest' } } }, dest, { region: 'us-east-1', role: 'r' }),
      (e: Error) => e instanceof JobFailure && /refusing to write input file "..\/..\/..\/escaped.txt"/.test(e.message),
    );
    assert.equal(readFileSync(join(dest, 'ok.txt'), 'utf8'), 'ok');
    assert.equal(existsSync(join(root, 'escaped.txt')), false);
  });

  it('safeJoin and jobDirectory refuse absolute paths and parent segments', () => {
    assert.throws(() => safeJoin('/data/train', '/etc/passwd'), JobFailure);
    assert.throws(() => safeJoin('/data/train', 'a/../../x'), JobFailure);
    assert.equal(safeJoin('/data/train', 'a/./b.csv'), '/data/train/a/b.csv');
    assert.throws(() => jobDirectory('/d', '000000000000', 'us-east-1', '..'));
    assert.throws(() => jobDirectory('/d', '000000000000', '../x', 'job'));
    assert.equal(jobDirectory('/d', '000000000000', 'us-east-1', 'My-Job'), '/d/training/000000000000/us-east-1/my-job');
  });

  it('metrics: last value per definition, first capture group, non-numbers skipped; bad regex reported', async () => {
    const log = join(root, 'metrics.log');
    writeFileSync(log, 'acc=0.5\nacc=0.75\nacc=oops\nloss: 2\n');
    const defs = compileMetrics([{ Name: 'acc', Regex: 'acc=([0-9.]+)' }, { Name: 'loss', Regex: 'loss: (\\d+)' }]);
    const got = await extractMetrics(log, defs, 5000);
    assert.deepEqual(got, [
      { MetricName: 'acc', Value: 0.75, Timestamp: 5 },
      { MetricName: 'loss', Value: 2, Timestamp: 5 },
    ]);
    assert.throws(() => compileMetrics([{ Name: 'x', Regex: '(' }]), /MetricDefinitions regex for x does not compile/);
  });

  it('secondary status transitions close the previous one and terminal ones at once', () => {
    const job = { SecondaryStatusTransitions: [] } as unknown as TrainingJobView;
    transition(job, 'Starting', 'a', 1000);
    transition(job, 'Starting', 'b', 2000);
    transition(job, 'Training', 'c', 3000);
    transition(job, 'Completed', 'd', 4000);
    assert.deepEqual(job.SecondaryStatusTransitions, [
      { Status: 'Starting', StartTime: 1, StatusMessage: 'b', EndTime: 3 },
      { Status: 'Training', StartTime: 3, StatusMessage: 'c', EndTime: 4 },
      { Status: 'Completed', StartTime: 4, StatusMessage: 'd', EndTime: 4 },
    ]);
    assert.equal(job.SecondaryStatus, 'Completed');
  });
});
