import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('S3 listing (ListObjectsV2 and ListObjects)', () => {
  let t: TestServer;
  const many: string[] = [];
  before(async () => {
    t = await startTestServer();
    await t.s3.send(new CreateBucketCommand({ Bucket: 'many' }));
    await t.s3.send(new CreateBucketCommand({ Bucket: 'tree' }));
    for (let i = 0; i < 1100; i++) many.push(`k/${String(i).padStart(5, '0')}`);
    // Seeded through the object store itself (PutObject has its own tests): listing is under test here.
    await Promise.all(many.map((key) => t.slipway.services.objects.put('many', key, Buffer.from(key))));
    const tree = ['a', 'a/b', 'a/b/c', 'a/', 'a-b', 'a//x', 'b/1', 'b/2', 'c', 'z/ü', 'z/\u{1F600}', 'z/\uFF5E', 'sp ace+plus'];
    for (const Key of tree) await t.s3.send(new PutObjectCommand({ Bucket: 'tree', Key, Body: Key }));
  });
  after(() => t.close());

  it('pages 1,100 keys with MaxKeys 1000 and a continuation token, in order', async () => {
    const p1 = await t.s3.send(new ListObjectsV2Command({ Bucket: 'many', MaxKeys: 1000 }));
    assert.equal(p1.KeyCount, 1000);
    assert.equal(p1.IsTruncated, true);
    assert.ok(p1.NextContinuationToken);
    const p2 = await t.s3.send(new ListObjectsV2Command({ Bucket: 'many', MaxKeys: 1000, ContinuationToken: p1.NextContinuationToken }));
    assert.equal(p2.KeyCount, 100);
    assert.equal(p2.IsTruncated, false);
    assert.equal(p2.NextContinuationToken, undefined);
    assert.deepEqual([...(p1.Contents ?? []), ...(p2.Contents ?? [])].map((c) => c.Key), many);
    assert.equal(p1.Contents?.[0].Size, 7);
    assert.equal(p1.Contents?.[0].StorageClass, 'STANDARD');
    // Without MaxKeys the ceiling is 1000 as well.
    const dflt = await t.s3.send(new ListObjectsV2Command({ Bucket: 'many' }));
    assert.equal(dflt.KeyCount, 1000);
    assert.equal(dflt.MaxKeys, 1000);
  });

  it('StartAfter skips to the keys after it', async () => {
    const out = await t.s3.send(new ListObjectsV2Command({ Bucket: 'many', StartAfter: 'k/01095' }));
    assert.deepEqual(out.Contents?.map((c) => c.Key), ['k/01096', 'k/01097', 'k/01098', 'k/01099']);
  });

  it('lists every key in UTF-8 byte order; `a` and `a/b` and `a/` coexist', async () => {
    const out = await t.s3.send(new ListObjectsV2Command({ Bucket: 'tree' }));
    const keys = out.Contents?.map((c) => c.Key!) ?? [];
    assert.deepEqual(keys, [...keys].sort(byteOrder));
    assert.equal(keys.length, 13);
    // U+FF5E sorts before U+1F600 in UTF-8 (but after it in UTF-16).
    assert.ok(keys.indexOf('z/\uFF5E') < keys.indexOf('z/\u{1F600}'));
  });

  it('Delimiter rolls keys up into CommonPrefixes, with Prefix', async () => {
    const top = await t.s3.send(new ListObjectsV2Command({ Bucket: 'tree', Delimiter: '/' }));
    assert.deepEqual(top.Contents?.map((c) => c.Key), ['a', 'a-b', 'c', 'sp ace+plus']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/', 'z/']);
    assert.equal(top.KeyCount, 7);
    const a = await t.s3.send(new ListObjectsV2Command({ Bucket: 'tree', Delimiter: '/', Prefix: 'a/' }));
    assert.deepEqual(a.Contents?.map((c) => c.Key), ['a/', 'a/b']);
    assert.deepEqual(a.CommonPrefixes?.map((p) => p.Prefix), ['a//', 'a/b/']);
  });

  it('pages through CommonPrefixes without repeating them', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await t.s3.send(new ListObjectsV2Command({ Bucket: 'tree', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      assert.ok((out.KeyCount ?? 0) <= 2);
      seen.push(...(out.Contents ?? []).map((c) => c.Key!), ...(out.CommonPrefixes ?? []).map((p) => p.Prefix!));
      token = out.NextContinuationToken;
      pages++;
    } while (token);
    assert.equal(pages, 4);
    assert.deepEqual(seen.sort(byteOrder), ['a', 'a-b', 'a/', 'b/', 'c', 'sp ace+plus', 'z/'].sort(byteOrder));
  });

  it('EncodingType url percent-encodes keys (as the CLI asks for)', async () => {
    const out = await t.s3.send(new ListObjectsV2Command({ Bucket: 'tree', Prefix: 'sp', EncodingType: 'url' }));
    assert.deepEqual(out.Contents?.map((c) => c.Key), ['sp%20ace%2Bplus']);
  });

  it('ListObjects (v1) pages with Marker and NextMarker', async () => {
    const p1 = await t.s3.send(new ListObjectsCommand({ Bucket: 'tree', Delimiter: '/', MaxKeys: 3 }));
    assert.equal(p1.IsTruncated, true);
    assert.deepEqual(p1.Contents?.map((c) => c.Key), ['a', 'a-b']);
    assert.deepEqual(p1.CommonPrefixes?.map((c) => c.Prefix), ['a/']);
    assert.equal(p1.NextMarker, 'a/');
    const p2 = await t.s3.send(new ListObjectsCommand({ Bucket: 'tree', Delimiter: '/', Marker: p1.NextMarker }));
    assert.deepEqual(p2.Contents?.map((c) => c.Key), ['c', 'sp ace+plus']);
    assert.deepEqual(p2.CommonPrefixes?.map((c) => c.Prefix), ['b/', 'z/']);
    assert.equal(p2.IsTruncated, false);
  });

  it('a forged continuation token is InvalidArgument; listing a missing bucket is NoSuchBucket', async () => {
    await assert.rejects(t.s3.send(new ListObjectsV2Command({ Bucket: 'tree', ContinuationToken: '!!!' })), (e: S3ServiceException) => e.name === 'InvalidArgument');
    await assert.rejects(t.s3.send(new ListObjectsV2Command({ Bucket: 'absent' })), (e: S3ServiceException) => e.name === 'NoSuchBucket');
  });
});
