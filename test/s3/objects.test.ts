import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Agent } from 'node:http';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { credentials, region, startTestServer, type TestServer } from '../helpers/server.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function bytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function rejectsWith(p: Promise<unknown>, name: string, status?: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof S3ServiceException, `expected an S3ServiceException, got ${String(e)}`);
    assert.equal(e.name, name);
    if (status !== undefined) assert.equal(e.$metadata.httpStatusCode, status);
    return true;
  });
}

describe('S3 buckets and objects through the JS SDK', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
  });
  after(() => t.close());

  it('CreateBucket, HeadBucket, ListBuckets, GetBucketLocation and DeleteBucket', async () => {
    await t.s3.send(new CreateBucketCommand({ Bucket: 'life.cycle-1' }));
    const head = await t.s3.send(new HeadBucketCommand({ Bucket: 'life.cycle-1' }));
    assert.equal(head.BucketRegion, 'us-east-1');
    const list = await t.s3.send(new ListBucketsCommand({}));
    assert.deepEqual(list.Buckets?.map((b) => b.Name), ['life.cycle-1', 'objects']);
    assert.ok(list.Buckets?.every((b) => b.CreationDate instanceof Date));
    const loc = await t.s3.send(new GetBucketLocationCommand({ Bucket: 'life.cycle-1' }));
    assert.equal(loc.LocationConstraint, undefined); // us-east-1 is the empty constraint
    await rejectsWith(t.s3.send(new CreateBucketCommand({ Bucket: 'life.cycle-1' })), 'BucketAlreadyOwnedByYou', 409);
    const page1 = await t.s3.send(new ListBucketsCommand({ MaxBuckets: 1 }));
    assert.deepEqual(page1.Buckets?.map((b) => b.Name), ['life.cycle-1']);
    const page2 = await t.s3.send(new ListBucketsCommand({ MaxBuckets: 1, ContinuationToken: page1.ContinuationToken }));
    assert.deepEqual(page2.Buckets?.map((b) => b.Name), ['objects']);
    assert.equal(page2.ContinuationToken, undefined);
    const prefixed = await t.s3.send(new ListBucketsCommand({ Prefix: 'obj' }));
    assert.deepEqual(prefixed.Buckets?.map((b) => b.Name), ['objects']);
    await t.s3.send(new DeleteBucketCommand({ Bucket: 'life.cycle-1' }));
    await rejectsWith(t.s3.send(new HeadBucketCommand({ Bucket: 'life.cycle-1' })), 'NotFound', 404);
    await rejectsWith(t.s3.send(new DeleteBucketCommand({ Bucket: 'life.cycle-1' })), 'NoSuchBucket', 404);
  });

  it('DeleteBucket refuses a bucket that still holds objects with BucketNotEmpty', async () => {
    await t.s3.send(new CreateBucketCommand({ Bucket: 'full' }));
    await t.s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'x', Body: 'x' }));
    await rejectsWith(t.s3.send(new DeleteBucketCommand({ Bucket: 'full' })), 'BucketNotEmpty', 409);
    await t.s3.send(new DeleteObjectCommand({ Bucket: 'full', Key: 'x' }));
    await t.s3.send(new DeleteBucketCommand({ Bucket: 'full' }));
  });

  it('PutObject then GetObject returns the bytes, MD5 ETag, type and user metadata', async () => {
    const body = randomBytes(100_000);
    const put = await t.s3.send(
      new PutObjectCommand({ Bucket: 'objects', Key: 'data/blob.bin', Body: body, ContentType: 'application/x-test', Metadata: { owner: 'ana' }, CacheControl: 'no-cache' }),
    );
    assert.equal(put.ETag, `"${md5(body)}"`);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'data/blob.bin' }));
    assert.equal(got.ETag, `"${md5(body)}"`);
    assert.equal(got.ContentType, 'application/x-test');
    assert.equal(got.ContentLength, body.length);
    assert.equal(got.CacheControl, 'no-cache');
    assert.deepEqual(got.Metadata, { owner: 'ana' });
    assert.ok(got.LastModified instanceof Date && Math.abs(got.LastModified.getTime() - Date.now()) < 60_000);
    assert.deepEqual(await bytes(got.Body), body);
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'data/blob.bin' }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ETag, `"${md5(body)}"`);
  });

  it('a streamed body (aws-chunked with a trailing CRC32) is stored and its checksum answered back', async () => {
    const body = randomBytes(300_000);
    const put = await t.s3.send(
      new PutObjectCommand({ Bucket: 'objects', Key: 'streamed', Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), ContentLength: body.length }),
    );
    assert.equal(put.ETag, `"${md5(body)}"`);
    assert.ok(put.ChecksumCRC32, 'the verified CRC32 is echoed');
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'streamed', ChecksumMode: 'ENABLED' }));
    assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
    assert.deepEqual(await bytes(got.Body), body);
  });

  for (const alg of ['CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
    it(`PutObject with ChecksumAlgorithm ${alg} is verified and validated on GET`, async () => {
      const body = randomBytes(70_000);
      const put = await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: `sum-${alg}`, Body: body, ChecksumAlgorithm: alg }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: `sum-${alg}`, ChecksumMode: 'ENABLED' }));
      assert.equal(got[`Checksum${alg}`], put[`Checksum${alg}`]);
      assert.ok(got[`Checksum${alg}`]);
      assert.deepEqual(await bytes(got.Body), body);
    });
  }

  it('a wrong x-amz-checksum-crc32 header is BadDigest and stores nothing', async () => {
    await rejectsWith(
      t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'bad-sum', Body: 'hello', ChecksumCRC32: 'AAAAAA==' })),
      'BadDigest',
      400,
    );
    await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'bad-sum' })), 'NotFound', 404);
  });

  it('a Content-MD5 that does not match the body is BadDigest and stores nothing', async () => {
    const wrong = createHash('md5').update('other').digest('base64');
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'md5', Body: 'body', ContentMD5: wrong })), 'BadDigest', 400);
    await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'md5' })), 'NotFound', 404);
    const right = createHash('md5').update('body').digest('base64');
    await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'md5', Body: 'body', ContentMD5: right }));
  });

  it('Range reads answer 206 with Content-Range; an unsatisfiable range is 416 InvalidRange', async () => {
    const body = Buffer.from('0123456789abcdefghij');
    await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'range', Body: body }));
    const cases: Array<[string, string, string]> = [
      ['bytes=0-4', '01234', 'bytes 0-4/20'],
      ['bytes=15-', 'fghij', 'bytes 15-19/20'],
      ['bytes=-3', 'hij', 'bytes 17-19/20'],
      ['bytes=18-100', 'ij', 'bytes 18-19/20'],
    ];
    for (const [range, want, contentRange] of cases) {
      const got = await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'range', Range: range }));
      assert.equal(got.$metadata.httpStatusCode, 206, range);
      assert.equal(got.ContentRange, contentRange);
      assert.equal((await bytes(got.Body)).toString(), want);
    }
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'range', Range: 'bytes=20-' })), 'InvalidRange', 416);
  });

  it('conditional GET: If-None-Match with the ETag is 304, If-Match with another is 412', async () => {
    const put = await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cond', Body: 'c' }));
    await assert.rejects(t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfNoneMatch: put.ETag })), (e: S3ServiceException) => e.$metadata.httpStatusCode === 304);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfMatch: '"nope"' })), 'PreconditionFailed', 412);
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cond', Body: 'd', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    // Conditional writes: If-Match replaces only the version it names.
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cond', Body: 'e', IfMatch: '"0000"' })), 'PreconditionFailed', 412);
    const replaced = await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cond', Body: 'f', IfMatch: put.ETag }));
    assert.equal(replaced.ETag, `"${md5(Buffer.from('f'))}"`);
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cond-missing', Body: 'g', IfMatch: put.ETag })), 'NoSuchKey', 404);
  });

  it('GetObject of a missing key is NoSuchKey; of a missing bucket NoSuchBucket; DeleteObject of a missing key succeeds', async () => {
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'missing' })), 'NoSuchKey', 404);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })), 'NoSuchBucket', 404);
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
    const del = await t.s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'missing' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
  });

  it('an empty object round-trips with the MD5 of nothing; any range of it is InvalidRange', async () => {
    const put = await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'empty', Body: '' }));
    assert.equal(put.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'empty' }));
    assert.equal(got.ContentLength, 0);
    assert.equal(await got.Body?.transformToString(), '');
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'empty', Range: 'bytes=0-0' })), 'InvalidRange', 416);
  });

  it('overwriting a key replaces its bytes and DeleteObject removes it', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'over', Body: 'first' }));
    await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'over', Body: 'second!' }));
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'over' }));
    assert.equal(await got.Body?.transformToString(), 'second!');
    await t.s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'over' }));
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'over' })), 'NoSuchKey', 404);
  });

  it('CopyObject copies bytes and metadata (URL-encoded source), or replaces metadata with REPLACE', async () => {
    const key = 'copy src/ü+&?.txt';
    await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: key, Body: 'copy me', ContentType: 'text/plain', Metadata: { a: '1' } }));
    await t.s3.send(new CreateBucketCommand({ Bucket: 'copies' }));
    const out = await t.s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'dst', CopySource: `objects/${encodeURIComponent(key)}` }));
    assert.equal(out.CopyObjectResult?.ETag, `"${md5(Buffer.from('copy me'))}"`);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'dst' }));
    assert.equal(got.ContentType, 'text/plain');
    assert.deepEqual(got.Metadata, { a: '1' });
    assert.equal(await got.Body?.transformToString(), 'copy me');
    await t.s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'dst', CopySource: `objects/${encodeURIComponent(key)}`, MetadataDirective: 'REPLACE', ContentType: 'text/x-new', Metadata: { b: '2' } }));
    const replaced = await t.s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'dst' }));
    assert.equal(replaced.ContentType, 'text/x-new');
    assert.deepEqual(replaced.Metadata, { b: '2' });
    // The source is untouched by the copy being replaced.
    assert.equal(await (await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: key }))).Body?.transformToString(), 'copy me');
    await rejectsWith(t.s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: 'objects/absent' })), 'NoSuchKey', 404);
    await rejectsWith(t.s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'dst', CopySource: 'copies/dst' })), 'InvalidRequest', 400);
  });

  it('DeleteObjects removes many keys in one POST ?delete and reports each', async () => {
    const keys = ['d/1', 'd/2', 'd/3 &<>'];
    for (const k of keys) await t.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: k, Body: k }));
    const out = await t.s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [...keys, 'd/never'].map((Key) => ({ Key })) } }));
    assert.deepEqual(out.Deleted?.map((d) => d.Key).sort(), [...keys, 'd/never'].sort());
    assert.equal(out.Errors, undefined);
    for (const k of keys) await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: k })), 'NotFound', 404);
    const quiet = await t.s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Quiet: true, Objects: [{ Key: 'd/none' }] } }));
    assert.equal(quiet.Deleted, undefined);
  });

  it('virtual-host style (bucket.localhost:port) reaches the same bucket', async () => {
    // bucket.localhost does not resolve on every Linux: connect to loopback, keep the Host header.
    const agent = new Agent({
      lookup: ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
        opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never,
    });
    const port = new URL(t.url).port;
    const vhost = new S3Client({ endpoint: `http://localhost:${port}`, region, credentials, forcePathStyle: false, maxAttempts: 1, requestHandler: { httpAgent: agent } });
    const seen: string[] = [];
    vhost.middlewareStack.add((next) => async (args) => {
      seen.push(String((args.request as { hostname?: string }).hostname));
      return next(args);
    }, { step: 'finalizeRequest' });
    try {
      await vhost.send(new PutObjectCommand({ Bucket: 'objects', Key: 'vhost/a.txt', Body: 'via host' }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'vhost/a.txt' }));
      assert.equal(await got.Body?.transformToString(), 'via host');
      const back = await vhost.send(new GetObjectCommand({ Bucket: 'objects', Key: 'vhost/a.txt' }));
      assert.equal(await back.Body?.transformToString(), 'via host');
      assert.ok(seen.every((h) => h === 'objects.localhost'), seen.join());
    } finally {
      vhost.destroy();
      agent.destroy();
    }
  });
});
