import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createHash, createHmac } from 'node:crypto';
import * as zlib from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { region, startTestServer, type TestServer } from '../helpers/server.js';
import { send, sha256hex, signedChunks, signingKey, signS3 } from './raw.js';

const named = (name: string, status?: number) => (e: unknown) => {
  assert.ok(e instanceof S3ServiceException, String(e));
  assert.equal(e.name, name);
  if (status !== undefined) assert.equal(e.$metadata.httpStatusCode, status);
  return true;
};

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(p + '/', ...walk(p).map((f) => f));
    else out.push(p);
  }
  return out;
}

const code = (body: Buffer) => /<Code>([^<]*)<\/Code>/.exec(body.toString())?.[1];

describe('S3 input safety and authentication', () => {
  let t: TestServer;
  let parent: string;
  before(async () => {
    // The data directory sits alone in a fresh parent, so any escape would show up beside it.
    parent = mkdtempSync(join(tmpdir(), 'slipway-escape-'));
    mkdirSync(join(parent, 'data'));
    t = await startTestServer({ dataDir: join(parent, 'data') });
    await t.s3.send(new CreateBucketCommand({ Bucket: 'safe' }));
  });
  after(async () => {
    await t.close();
    rmSync(parent, { recursive: true, force: true });
  });

  const rawKeys = [
    '../../outside.txt',
    '../../../../../../tmp/escaped',
    'a/../../../b',
    '/absolute/path',
    '..',
    '.',
    './x',
    '..\\..\\windows',
    'nul\u0000byte',
    '%2e%2e/%2e%2e/literal-percent',
    '..%2F..%2Fencoded-slash',
    'a//b///',
    'trailing/',
    'a',
    'a/b',
    'ünï/cødé ☃',
    'x'.repeat(1024),
  ];

  it('keys that look like paths are stored as plain keys inside <dataDir>/s3 and read back exactly', async () => {
    for (const [i, Key] of rawKeys.entries()) {
      await t.s3.send(new PutObjectCommand({ Bucket: 'safe', Key, Body: `body-${i}` }));
    }
    for (const [i, Key] of rawKeys.entries()) {
      const got = await t.s3.send(new GetObjectCommand({ Bucket: 'safe', Key }));
      assert.equal(await got.Body?.transformToString(), `body-${i}`, JSON.stringify(Key));
    }
    const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'safe' }));
    assert.deepEqual(new Set(listed.Contents?.map((c) => c.Key)), new Set(rawKeys));
    // Nothing beside the data directory, nothing in it but the database and s3/.
    assert.deepEqual(readdirSync(parent), ['data']);
    assert.deepEqual(readdirSync(t.dataDir).filter((f) => !f.startsWith('slipway.db')), ['s3']);
    for (const f of walk(join(t.dataDir, 's3'))) {
      const rel = relative(join(t.dataDir, 's3'), f) + (f.endsWith('/') ? '/' : '');
      assert.match(rel, /^(\.tmp\/|\.uploads\/|safe\/|safe\/bucket\.json|safe\/objects\/([0-9a-f]{2}\/([0-9a-f]{64}(\.json|\.[0-9a-f-]{36}\.data))?)?)$/, rel);
    }
  });

  it('a key longer than 1024 bytes is KeyTooLongError', async () => {
    await assert.rejects(t.s3.send(new PutObjectCommand({ Bucket: 'safe', Key: 'é'.repeat(513), Body: 'x' })), named('KeyTooLongError', 400));
  });

  it('bucket names outside S3 rules are InvalidBucketName', async () => {
    for (const Bucket of ['ab', 'Upper', 'under_score', 'a..b', 'dot.-dash', '192.168.1.1', 'x'.repeat(64), 'xn--punycode', 'endswith-']) {
      await assert.rejects(t.s3.send(new CreateBucketCommand({ Bucket })), named('InvalidBucketName', 400), Bucket);
    }
  });

  it('raw paths with .., %2e%2e, %2F, backslashes or NUL in the bucket never leave the data directory', async () => {
    const paths = [
      '/../../escape-bucket',
      '/%2e%2e/x',
      '/%2E%2E/%2E%2E/x',
      '/safe%2F..%2F..%2Fescape/k',
      '/..%5C..%5Cescape/k',
      '/bad%00name/k',
      '/.tmp/k',
      '/.uploads',
      '/%2e/k',
    ];
    for (const path of paths) {
      for (const method of ['PUT', 'GET']) {
        const headers = await signS3({ url: t.url, method, path, payloadHash: sha256hex('evil') });
        const r = await send(t.url, { method, path, headers, body: method === 'PUT' ? Buffer.from('evil') : undefined });
        assert.equal(r.status, 400, `${method} ${path}: ${r.body}`);
        assert.equal(code(r.body), 'InvalidBucketName', `${method} ${path}`);
      }
    }
    // Virtual-host style cannot smuggle a path through the Host header either.
    for (const host of ['...localhost', '%2e%2e.localhost', 'a\\b.localhost']) {
      const headers = await signS3({ url: t.url, method: 'PUT', path: '/k', payloadHash: sha256hex('evil'), host });
      const r = await send(t.url, { method: 'PUT', path: '/k', headers, body: Buffer.from('evil') });
      assert.equal(code(r.body), 'InvalidBucketName', host);
    }
    assert.deepEqual(readdirSync(parent), ['data']);
    assert.deepEqual(readdirSync(join(t.dataDir, 's3')).sort(), ['.tmp', '.uploads', 'safe']);
  });

  it('a wrong secret is SignatureDoesNotMatch; an unknown key id is InvalidAccessKeyId', async () => {
    const wrong = new S3Client({ endpoint: t.url, region, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'nope' } });
    const unknown = new S3Client({ endpoint: t.url, region, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'test' } });
    try {
      await assert.rejects(wrong.send(new PutObjectCommand({ Bucket: 'safe', Key: 'w', Body: 'x' })), named('SignatureDoesNotMatch', 403));
      await assert.rejects(unknown.send(new GetObjectCommand({ Bucket: 'safe', Key: 'a' })), named('InvalidAccessKeyId', 403));
      await assert.rejects(t.s3.send(new HeadObjectCommand({ Bucket: 'safe', Key: 'w' })), named('NotFound', 404));
    } finally {
      wrong.destroy();
      unknown.destroy();
    }
  });

  it('an unsigned request is AccessDenied; a request signed an hour ago is RequestTimeTooSkewed', async () => {
    const r = await send(t.url, { method: 'GET', path: '/safe/a' });
    assert.equal(r.status, 403);
    assert.equal(code(r.body), 'AccessDenied');
    assert.match(r.body.toString(), /<RequestId>[^<]+<\/RequestId>/);
    assert.ok(r.headers['x-amz-request-id']);
    const old = new Date(Date.now() - 3600_000);
    const headers = await signS3({ url: t.url, method: 'GET', path: '/safe/a', payloadHash: sha256hex(''), date: old });
    const skewed = await send(t.url, { method: 'GET', path: '/safe/a', headers });
    assert.equal(skewed.status, 403);
    assert.equal(code(skewed.body), 'RequestTimeTooSkewed');
  });

  it('a body that does not match x-amz-content-sha256 is XAmzContentSHA256Mismatch and nothing is stored', async () => {
    const headers = await signS3({ url: t.url, method: 'PUT', path: '/safe/mismatch', payloadHash: sha256hex('promised') });
    const r = await send(t.url, { method: 'PUT', path: '/safe/mismatch', headers, body: Buffer.from('delivered') });
    assert.equal(r.status, 400);
    assert.equal(code(r.body), 'XAmzContentSHA256Mismatch');
    await assert.rejects(t.s3.send(new HeadObjectCommand({ Bucket: 'safe', Key: 'mismatch' })), named('NotFound', 404));
    assert.deepEqual(readdirSync(join(t.dataDir, 's3', '.tmp')), []);
  });

  it('presigned GET URLs work until they expire', async () => {
    // As the S3 presigner does: the payload is UNSIGNED-PAYLOAD.
    const signer = new SignatureV4({ credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, region, service: 's3', sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
    const host = new URL(t.url).host;
    const presign = async (signingDate: Date) => {
      const p = await signer.presign({ method: 'GET', protocol: 'http:', hostname: host, path: '/safe/a', query: {}, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, { expiresIn: 60, signingDate });
      return `/safe/a?${Object.entries(p.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}`;
    };
    const ok = await send(t.url, { method: 'GET', path: await presign(new Date()) });
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal(ok.body.toString(), `body-${rawKeys.indexOf('a')}`);
    const expired = await send(t.url, { method: 'GET', path: await presign(new Date(Date.now() - 120_000)) });
    assert.equal(expired.status, 403);
    assert.equal(code(expired.body), 'AccessDenied');
    assert.match(expired.body.toString(), /Request has expired/);
  });

  it('signed aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are verified chunk by chunk', async () => {
    const data = Buffer.alloc(150_000, 'q');
    const put = async (key: string, corrupt: number) => {
      const path = `/safe/${key}`;
      const now = new Date();
      const framedLength = signedChunks(data, 65536, Buffer.alloc(32), '', '', '', -1).length;
      const headers = await signS3({
        url: t.url,
        method: 'PUT',
        path,
        payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'content-length': String(framedLength) },
        date: now,
      });
      const amzDate = headers['x-amz-date'];
      const seed = /Signature=([0-9a-f]{64})/.exec(headers.authorization)![1];
      const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
      const body = signedChunks(data, 65536, signingKey('test', amzDate.slice(0, 8)), amzDate, scope, seed, corrupt);
      return send(t.url, { method: 'PUT', path, headers, body });
    };
    const good = await put('chunked-good', -1);
    assert.equal(good.status, 200, good.body.toString());
    assert.equal(good.headers.etag, `"${createHash('md5').update(data).digest('hex')}"`);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'safe', Key: 'chunked-good' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
    for (const corrupt of [0, 2, 3]) {
      const bad = await put(`chunked-bad-${corrupt}`, corrupt);
      assert.equal(bad.status, 403, `chunk ${corrupt}`);
      assert.equal(code(bad.body), 'SignatureDoesNotMatch');
      await assert.rejects(t.s3.send(new HeadObjectCommand({ Bucket: 'safe', Key: `chunked-bad-${corrupt}` })), named('NotFound'));
    }
  });

  it('an unsigned aws-chunked body whose trailing CRC32 does not match is BadDigest', async () => {
    const data = Buffer.from('trailer checked');
    const crc = (b: Buffer) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE((zlib as unknown as { crc32(b: Buffer): number }).crc32(b));
      return out.toString('base64');
    };
    const frame = (sum: string) => Buffer.from(`${data.length.toString(16)}\r\n${data}\r\n0\r\nx-amz-checksum-crc32:${sum}\r\n\r\n`);
    const put = async (key: string, sum: string) => {
      const path = `/safe/${key}`;
      const body = frame(sum);
      const headers = await signS3({
        url: t.url,
        method: 'PUT',
        path,
        payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32', 'content-length': String(body.length) },
      });
      return send(t.url, { method: 'PUT', path, headers, body });
    };
    const ok = await put('trailer-ok', crc(data));
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal(ok.headers['x-amz-checksum-crc32'], crc(data));
    const bad = await put('trailer-bad', crc(Buffer.from('something else')));
    assert.equal(bad.status, 400);
    assert.equal(code(bad.body), 'BadDigest');
    await assert.rejects(t.s3.send(new HeadObjectCommand({ Bucket: 'safe', Key: 'trailer-bad' })), named('NotFound'));
  });

  it('signed chunks with a signed trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER) check the trailer signature', async () => {
    const data = Buffer.from('signed trailer body');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((zlib as unknown as { crc32(b: Buffer): number }).crc32(data));
    const put = async (key: string, tamper: boolean) => {
      const path = `/safe/${key}`;
      const headers = await signS3({
        url: t.url,
        method: 'PUT',
        path,
        payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32' },
      });
      const amzDate = headers['x-amz-date'];
      const key32 = signingKey('test', amzDate.slice(0, 8));
      const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
      let prev = /Signature=([0-9a-f]{64})/.exec(headers.authorization)![1];
      const chunkSig = (p: Buffer) =>
        (prev = createHmac('sha256', key32).update(['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, prev, sha256hex(''), sha256hex(p)].join('\n')).digest('hex'));
      const trailer = `x-amz-checksum-crc32:${crc.toString('base64')}\n`;
      const s1 = chunkSig(data);
      const s0 = chunkSig(Buffer.alloc(0));
      let trailerSig = createHmac('sha256', key32).update(['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, s0, sha256hex(trailer)].join('\n')).digest('hex');
      if (tamper) trailerSig = trailerSig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      const body = Buffer.concat([
        Buffer.from(`${data.length.toString(16)};chunk-signature=${s1}\r\n`), data, Buffer.from('\r\n'),
        Buffer.from(`0;chunk-signature=${s0}\r\n`),
        Buffer.from(`${trailer.trim()}\r\nx-amz-trailer-signature:${trailerSig}\r\n\r\n`),
      ]);
      return send(t.url, { method: 'PUT', path, headers: { ...headers, 'content-length': String(body.length) }, body });
    };
    const ok = await put('signed-trailer-ok', false);
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal(ok.headers['x-amz-checksum-crc32'], crc.toString('base64'));
    const bad = await put('signed-trailer-bad', true);
    assert.equal(bad.status, 403);
    assert.equal(code(bad.body), 'SignatureDoesNotMatch');
    await assert.rejects(t.s3.send(new HeadObjectCommand({ Bucket: 'safe', Key: 'signed-trailer-bad' })), named('NotFound'));
  });
});
