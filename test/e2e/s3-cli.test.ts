import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aws as awsCli } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';


/** `aws … --endpoint-url <server>`; throws (with the CLI's stderr) when the command fails. */
async function aws(t: TestServer, ...args: string[]): Promise<string> {
  const r = await awsCli(args, { endpointUrl: t.url, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

describe('aws s3 (the AWS CLI) against Slipway', () => {
  let t: TestServer;
  let work: string;
  before(async () => {
    t = await startTestServer();
    work = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
  });
  after(async () => {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('mb, cp 50 MB up (multipart) and back down byte-identical, ls, sync, rm --recursive, rb', async (ctx) => {
    assert.match(await aws(t, 's3', 'mb', 's3://cli-bucket'), /make_bucket: cli-bucket/);

    const big = randomBytes(50 * 1024 * 1024);
    writeFileSync(join(work, 'big.bin'), big);
    const started = Date.now();
    await aws(t, 's3', 'cp', '--no-progress', join(work, 'big.bin'), 's3://cli-bucket/data/big.bin');
    await aws(t, 's3', 'cp', '--no-progress', 's3://cli-bucket/data/big.bin', join(work, 'big.back'));
    const seconds = (Date.now() - started) / 1000;
    assert.ok(readFileSync(join(work, 'big.back')).equals(big), 'downloaded bytes differ');
    const head = JSON.parse(await aws(t, 's3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'data/big.bin')) as { ETag: string; ContentLength: number };
    assert.equal(head.ContentLength, big.length);
    assert.match(head.ETag, /^"[0-9a-f]{32}-\d+"$/, 'the CLI uploads above 8 MB in parts');
    ctx.diagnostic(`50 MB aws s3 cp up + down: ${seconds.toFixed(2)} s`);

    const src = join(work, 'tree');
    mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'a');
    writeFileSync(join(src, 'sub', 'b c+d.txt'), 'b');
    writeFileSync(join(src, 'sub', 'deeper', 'ü.txt'), 'u');
    await aws(t, 's3', 'sync', '--no-progress', src, 's3://cli-bucket/tree/');
    const listing = await aws(t, 's3', 'ls', '--recursive', 's3://cli-bucket/tree/');
    for (const k of ['tree/a.txt', 'tree/sub/b c+d.txt', 'tree/sub/deeper/ü.txt']) assert.ok(listing.includes(k), `${k} in\n${listing}`);
    // A second sync finds nothing to do; a sync back down reproduces the tree.
    writeFileSync(join(src, 'later.txt'), 'new file');
    // The CLI prints the local path relative to its cwd; only the new file is uploaded.
    assert.match((await aws(t, 's3', 'sync', '--no-progress', src, 's3://cli-bucket/tree/')).trim(), /^upload: \S*later\.txt to s3:\/\/cli-bucket\/tree\/later\.txt$/);
    const down = join(work, 'down');
    await aws(t, 's3', 'sync', '--no-progress', 's3://cli-bucket/tree/', down);
    assert.equal(readFileSync(join(down, 'sub', 'deeper', 'ü.txt'), 'utf8'), 'u');
    assert.equal(readFileSync(join(down, 'sub', 'b c+d.txt'), 'utf8'), 'b');

    // `aws s3 presign` (CLI v1) makes SigV2 query-string URLs; any HTTP client can fetch them.
    const url = (await aws(t, 's3', 'presign', 's3://cli-bucket/tree/sub/b c+d.txt', '--expires-in', '120')).trim();
    assert.match(url, /AWSAccessKeyId=test&Signature=/);
    const fetched = await fetch(url);
    assert.equal(fetched.status, 200);
    assert.equal(await fetched.text(), 'b');
    const forged = await fetch(url.replace('/tree/sub/', '/tree/'));
    assert.equal(forged.status, 403);
    assert.match(await forged.text(), /<Code>SignatureDoesNotMatch<\/Code>/);

    const top = await aws(t, 's3', 'ls', 's3://cli-bucket/');
    assert.match(top, /PRE data\//);
    assert.match(top, /PRE tree\//);
    assert.match(await aws(t, 's3', 'ls'), /cli-bucket/);

    await assert.rejects(aws(t, 's3', 'rb', 's3://cli-bucket'), /BucketNotEmpty/);
    await aws(t, 's3', 'rm', '--recursive', '--only-show-errors', 's3://cli-bucket');
    assert.match(await aws(t, 's3', 'rb', 's3://cli-bucket'), /remove_bucket: cli-bucket/);
    assert.doesNotMatch(await aws(t, 's3', 'ls'), /cli-bucket/);
  });
});
