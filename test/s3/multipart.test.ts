import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
  PutObjectCommand,
  DeleteBucketCommand,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b);

async function bytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const named = (name: string) => (e: unknown) => e instanceof S3ServiceException && e.name === name;

describe('S3 multipart uploads', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.s3.send(new CreateBucketCommand({ Bucket: 'mpu' }));
  });
  after(() => t.close());

  it('three parts (5 MiB, 5 MiB, 1 byte) complete into one object with the multipart ETag', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), Buffer.from('!')];
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'big/file.bin', ContentType: 'application/x-big', Metadata: { m: 'v' } }));
    assert.ok(UploadId);
    const etags: string[] = [];
    for (const [i, p] of parts.entries()) {
      // Part 2 goes as a stream (aws-chunked with a CRC32 trailer), the others as buffers.
      const Body = i === 1 ? Readable.from([p.subarray(0, MiB), p.subarray(MiB)]) : p;
      const out: { ETag?: string } = await t.s3.send(new UploadPartCommand({ Bucket: "mpu", Key: "big/file.bin", UploadId, PartNumber: i + 1, Body, ContentLength: p.length }));
      assert.equal(out.ETag, `"${md5(p).digest('hex')}"`);
      etags.push(out.ETag!);
    }
    const listed = await t.s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'big/file.bin', UploadId }));
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]), parts.map((p, i) => [i + 1, etags[i], p.length]));
    const done = await t.s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'big/file.bin', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    const binary = Buffer.concat(parts.map((p) => md5(p).digest()));
    const expected = `"${md5(binary).digest('hex')}-3"`;
    assert.equal(done.ETag, expected);
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'big/file.bin' }));
    assert.equal(head.ETag, expected);
    assert.equal(head.ContentLength, 10 * MiB + 1);
    assert.equal(head.ContentType, 'application/x-big');
    assert.deepEqual(head.Metadata, { m: 'v' });
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big/file.bin' }));
    assert.ok((await bytes(got.Body)).equals(Buffer.concat(parts)));
    // The upload is gone once completed.
    await assert.rejects(t.s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'big/file.bin', UploadId })), named('NoSuchUpload'));
    assert.deepEqual(readdirSync(join(t.dataDir, 's3', '.uploads')), []);
  });

  it('a part below 5 MiB that is not the last is EntityTooSmall; wrong ETags are InvalidPart; order is checked', async () => {
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'small' }));
    const a = await t.s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'small', UploadId, PartNumber: 1, Body: 'aaa' }));
    const b = await t.s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'small', UploadId, PartNumber: 2, Body: 'bbb' }));
    const complete = (Parts: Array<{ ETag?: string; PartNumber: number }>) =>
      t.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'small', UploadId, MultipartUpload: { Parts } }));
    await assert.rejects(complete([{ ETag: a.ETag, PartNumber: 1 }, { ETag: b.ETag, PartNumber: 2 }]), named('EntityTooSmall'));
    await assert.rejects(complete([{ ETag: '"0123"', PartNumber: 1 }]), named('InvalidPart'));
    await assert.rejects(complete([{ ETag: a.ETag, PartNumber: 3 }]), named('InvalidPart'));
    await assert.rejects(complete([{ ETag: b.ETag, PartNumber: 2 }, { ETag: a.ETag, PartNumber: 1 }]), named('InvalidPartOrder'));
    // A single small part is fine: the last part has no minimum.
    const one = await complete([{ ETag: b.ETag, PartNumber: 2 }]);
    assert.equal(one.ETag, `"${md5(md5(Buffer.from('bbb')).digest()).digest('hex')}-1"`);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'small' }));
    assert.equal(await got.Body?.transformToString(), 'bbb');
  });

  it('AbortMultipartUpload discards the parts; later calls are NoSuchUpload', async () => {
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted' }));
    await t.s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'aborted', UploadId, PartNumber: 1, Body: 'x' }));
    await t.s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted', UploadId }));
    await assert.rejects(t.s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'aborted', UploadId, PartNumber: 2, Body: 'y' })), named('NoSuchUpload'));
    await assert.rejects(t.s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted', UploadId })), named('NoSuchUpload'));
    await assert.rejects(t.s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'aborted' })), named('NotFound'));
  });

  it('an upload id for another key, or a path-like upload id, is NoSuchUpload; part numbers are 1..10000', async () => {
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'owned' }));
    await assert.rejects(t.s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'other', UploadId, PartNumber: 1, Body: 'x' })), named('NoSuchUpload'));
    await assert.rejects(t.s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'owned', UploadId: '../../mpu', PartNumber: 1, Body: 'x' })), named('NoSuchUpload'));
    await assert.rejects(t.s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'owned', UploadId, PartNumber: 10001, Body: 'x' })), named('InvalidArgument'));
  });

  it('UploadPartCopy builds parts from byte ranges of an existing object (how the CLI copies large objects)', async () => {
    const src = randomBytes(6 * MiB + 10);
    await t.s3.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'copy/source', Body: src }));
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'copy/dest' }));
    const ranges: Array<[number, number]> = [[0, 5 * MiB - 1], [5 * MiB, src.length - 1]];
    const etags: string[] = [];
    for (const [i, [a, b]] of ranges.entries()) {
      const out = await t.s3.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'copy/dest', UploadId, PartNumber: i + 1, CopySource: 'mpu/copy/source', CopySourceRange: `bytes=${a}-${b}` }));
      assert.equal(out.CopyPartResult?.ETag, `"${md5(src.subarray(a, b + 1)).digest('hex')}"`);
      etags.push(out.CopyPartResult!.ETag!);
    }
    await assert.rejects(
      t.s3.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'copy/dest', UploadId, PartNumber: 3, CopySource: 'mpu/copy/source', CopySourceRange: `bytes=0-${src.length}` })),
      named('InvalidArgument'),
    );
    await t.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'copy/dest', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'copy/dest' }));
    assert.ok((await bytes(got.Body)).equals(src));
  });

  it('deleting a bucket discards its unfinished uploads', async () => {
    await t.s3.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: 'short-lived', Key: 'k' }));
    await t.s3.send(new UploadPartCommand({ Bucket: 'short-lived', Key: 'k', UploadId, PartNumber: 1, Body: 'x' }));
    const before = readdirSync(join(t.dataDir, 's3', '.uploads')).length;
    await t.s3.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    assert.equal(readdirSync(join(t.dataDir, 's3', '.uploads')).length, before - 1);
    await assert.rejects(t.s3.send(new UploadPartCommand({ Bucket: 'short-lived', Key: 'k', UploadId, PartNumber: 2, Body: 'y' })), named('NoSuchBucket'));
  });
});
