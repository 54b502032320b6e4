import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalObjectStore, isValidBucketName } from '../../src/objects/local-fs.js';
import { S3BodyStream, signingKey } from '../../src/services/s3/body.js';

async function text(store: LocalObjectStore, bucket: string, key: string): Promise<string | undefined> {
  const got = await store.get(bucket, key);
  if (!got) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of got.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('LocalObjectStore', () => {
  let root: string;
  let store: LocalObjectStore;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'slipway-lfs-'));
    store = new LocalObjectStore(root);
    assert.equal(await store.createBucket('bkt'), true);
    assert.equal(await store.createBucket('bkt'), false);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('validates bucket names to S3 rules, refusing anything path-like', () => {
    for (const ok of ['abc', 'my.bucket-1', 'a'.repeat(63), '1st-bucket']) assert.equal(isValidBucketName(ok), true, ok);
    for (const bad of ['..', '.', 'ab', 'a/b', 'a\\b', 'a\0bc', '%2e%2e', '.tmp', '.uploads', '-abc', 'abc-', 'ABC', 'a..b', '10.0.0.1', 'a'.repeat(64), '']) {
      assert.equal(isValidBucketName(bad), false, JSON.stringify(bad));
    }
  });

  it('keeps `a`, `a/`, `a/b` and `a//b` as distinct objects', async () => {
    for (const k of ['a', 'a/', 'a/b', 'a//b']) await store.put('bkt', k, Buffer.from(`v:${k}`));
    for (const k of ['a', 'a/', 'a/b', 'a//b']) assert.equal(await text(store, 'bkt', k), `v:${k}`);
    const all = await store.list('bkt', { maxKeys: 1000 });
    assert.deepEqual(all.objects.map((o) => o.key), ['a', 'a/', 'a//b', 'a/b']);
  });

  it('a body that fails midway stores nothing and leaves the previous version intact', async () => {
    await store.put('bkt', 'atomic', Buffer.from('old'));
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000, 1));
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(store.put('bkt', 'atomic', failing), /connection reset/);
    await assert.rejects(store.put('bkt', 'never', Readable.from((async function* () {
      yield Buffer.from('partial');
      throw new Error('boom');
    })())), /boom/);
    assert.equal(await text(store, 'bkt', 'atomic'), 'old');
    assert.equal(await store.head('bkt', 'never'), undefined);
    assert.deepEqual(readdirSync(join(root, '.tmp')), []);
  });

  it('a reader that opened an object keeps its bytes while the key is overwritten', async () => {
    await store.put('bkt', 'reader', Buffer.alloc(200_000, 'o'));
    const got = await store.get('bkt', 'reader');
    await store.put('bkt', 'reader', Buffer.from('new'));
    const chunks: Buffer[] = [];
    for await (const c of got!.body) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(Buffer.alloc(200_000, 'o')));
    assert.equal(await text(store, 'bkt', 'reader'), 'new');
  });

  it('concurrent overwrites leave exactly one complete version and one data file', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10_000 + i, String.fromCharCode(97 + i)));
    await Promise.all(bodies.map((b) => store.put('bkt', 'race', b)));
    const final = await text(store, 'bkt', 'race');
    assert.ok(bodies.some((b) => b.toString() === final));
    const info = await store.head('bkt', 'race');
    assert.equal(info?.size, Buffer.byteLength(final!));
    const objects = join(root, 'bkt', 'objects');
    const files = readdirSync(objects).flatMap((d) => readdirSync(join(objects, d)));
    const dataFiles = files.filter((f) => f.endsWith('.data'));
    const sidecars = files.filter((f) => f.endsWith('.json'));
    assert.equal(dataFiles.length, sidecars.length, 'one data file per object, no orphans');
  });

  it('a new store on the same directory finds every object in byte order and clears interrupted writes', async () => {
    await store.put('bkt', 'z/\u{1F600}', Buffer.from('emoji'));
    await store.put('bkt', 'z/\uFF5E', Buffer.from('fullwidth'));
    writeFileSync(join(root, '.tmp', 'interrupted-write'), 'junk');
    const reopened = new LocalObjectStore(root);
    assert.deepEqual(readdirSync(join(root, '.tmp')), []);
    const before = (await store.list('bkt', { maxKeys: 1000 })).objects.map((o) => o.key);
    const after = (await reopened.list('bkt', { maxKeys: 1000 })).objects.map((o) => o.key);
    assert.deepEqual(after, before);
    assert.ok(after.indexOf('z/\uFF5E') < after.indexOf('z/\u{1F600}'));
    assert.equal(await text(reopened, 'bkt', 'z/\u{1F600}'), 'emoji');
  });

  it('refuses keys over 1024 bytes and empty keys', async () => {
    await assert.rejects(store.put('bkt', 'k'.repeat(1025), Buffer.from('x')), { code: 'KeyTooLongError' });
    await assert.rejects(store.put('bkt', '', Buffer.from('x')), { code: 'InvalidArgument' });
    await assert.rejects(store.put('no-bucket', 'k', Buffer.from('x')), { code: 'NoSuchBucket' });
  });
});

describe('aws-chunked decoding', () => {
  // The worked example of the S3 SigV4 streaming documentation: 66,560 bytes of 'a' in
  // 64 KiB chunks, signed on 2013-05-24 with the documentation's example secret.
  const exampleKey = signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', {
    presigned: false, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', shortDate: '20130524', region: 'us-east-1', service: 's3',
    signedHeaders: [], signature: '', amzDate: '20130524T000000Z',
  });
  const signing = {
    key: exampleKey,
    amzDate: '20130524T000000Z',
    scope: '20130524/us-east-1/s3/aws4_request',
    seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  };
  const framed = (sigs: string[]) =>
    Buffer.concat([
      Buffer.from(`10000;chunk-signature=${sigs[0]}\r\n`), Buffer.alloc(65536, 'a'), Buffer.from('\r\n'),
      Buffer.from(`400;chunk-signature=${sigs[1]}\r\n`), Buffer.alloc(1024, 'a'), Buffer.from('\r\n'),
      Buffer.from(`0;chunk-signature=${sigs[2]}\r\n\r\n`),
    ]);
  const docSigs = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const decode = async (body: Buffer, splitEvery: number) => {
    const s = new S3BodyStream({ chunked: { signing, trailerSigned: false }, length: 66560 });
    const pieces: Buffer[] = [];
    for (let i = 0; i < body.length; i += splitEvery) pieces.push(body.subarray(i, i + splitEvery));
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      s.on('data', (c: Buffer) => out.push(c));
      s.on('end', resolve);
      s.on('error', reject);
      Readable.from(pieces).pipe(s);
    });
    return Buffer.concat(out);
  };

  it('decodes the documented example and verifies its chunk signatures, however the bytes are split', async () => {
    for (const split of [1 << 20, 7, 4096]) {
      const out = await decode(framed(docSigs), split);
      assert.ok(out.equals(Buffer.alloc(66560, 'a')), `split ${split}`);
    }
  });

  it('refuses the example with the last signature altered', async () => {
    const bad = [...docSigs];
    bad[2] = bad[2].replace(/^b/, 'c');
    await assert.rejects(decode(framed(bad), 1 << 20), { code: 'SignatureDoesNotMatch' });
  });

  it('a body cut before the final zero-length chunk is IncompleteBody, even with valid signatures so far', async () => {
    const full = framed(docSigs);
    const cut = full.subarray(0, full.indexOf(Buffer.from('0;chunk-signature=')));
    await assert.rejects(decode(cut, 1 << 20), { code: 'IncompleteBody' });
  });

  it('an unsigned chunked body shorter than x-amz-decoded-content-length is IncompleteBody', async () => {
    const s = new S3BodyStream({ chunked: { trailerSigned: false }, length: 10 });
    const out = (async () => {
      for await (const _ of s) void _;
    })();
    s.end(Buffer.from('5\r\nhello\r\n0\r\n\r\n'));
    await assert.rejects(out, { code: 'IncompleteBody' });
  });
});
