import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { t } from 'tar';
import type { ObjectInfo, ObjectStore } from '../../src/objects/object-store.js';
import {
  ArtifactError,
  parseS3Uri,
  prepareModelData,
  UnsafeArchiveError,
  unsafeEntryReason,
  uploadDirectory,
} from '../../src/runtime/artifacts.js';

/** Just the two ObjectStore methods the artifact code calls, over a Map. */
class MemoryObjects implements Pick<ObjectStore, 'get' | 'put'> {
  readonly data = new Map<string, Buffer>();
  async put(bucket: string, key: string, body: Readable | Buffer): Promise<ObjectInfo> {
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(body)) chunks.push(body);
    else for await (const c of body) chunks.push(Buffer.from(c));
    const buf = Buffer.concat(chunks);
    this.data.set(`${bucket}/${key}`, buf);
    return this.info(bucket, key, buf);
  }
  async get(bucket: string, key: string) {
    const buf = this.data.get(`${bucket}/${key}`);
    return buf ? { info: this.info(bucket, key, buf), body: Readable.from([buf]) } : undefined;
  }
  private info(bucket: string, key: string, buf: Buffer): ObjectInfo {
    return { bucket, key, size: buf.length, etag: createHash('md5').update(buf).digest('hex'), lastModified: Date.now() };
  }
}

/** One raw ustar header block, written by hand so the archive can say things tar's `c` never would. */
function header(name: string, type: '0' | '1' | '2' | '5', size: number, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(type === '5' ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put(type, 156, 1);
  put(linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

type RawEntry = { name: string; type: '0' | '1' | '2' | '5'; body?: string; link?: string };
function rawTarGz(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    blocks.push(header(e.name, e.type, e.type === '0' ? body.length : 0, e.link));
    if (e.type === '0' && body.length) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

let root: string;
before(() => (root = mkdtempSync(join(tmpdir(), 'slipway-art-'))));
after(() => rmSync(root, { recursive: true, force: true }));

describe('model artifacts', { timeout: 20_000 }, () => {
  it('packs a model directory into model.tar.gz and unpacks it into another instance unchanged', async () => {
    const src = join(root, 'trained', 'model');
    mkdirSync(join(src, 'weights', 'layer1'), { recursive: true });
    const blob = randomBytes(200_000);
    writeFileSync(join(src, 'weights', 'layer1', 'w.bin'), blob);
    writeFileSync(join(src, 'config.json'), '{"classes":3}');
    symlinkSync('weights/layer1/w.bin', join(src, 'latest.bin'));

    const objects = new MemoryObjects();
    await uploadDirectory(objects, src, 's3://bucket/jobs/job-1/output/model.tar.gz');
    const stored = objects.data.get('bucket/jobs/job-1/output/model.tar.gz')!;
    assert.deepEqual([...stored.subarray(0, 2)], [0x1f, 0x8b], 'gzip');

    // SageMaker's model.tar.gz lists files relative to the model directory, no "./" prefix.
    const names: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const lister = t({ onReadEntry: (e) => names.push(e.path) });
      lister.on('end', resolve).on('error', reject);
      lister.end(stored);
    });
    assert.deepEqual(names.sort(), ['config.json', 'latest.bin', 'weights/', 'weights/layer1/', 'weights/layer1/w.bin']);

    const dest = join(root, 'endpoint', 'instance-1', 'model');
    const { entries } = await prepareModelData(objects, 's3://bucket/jobs/job-1/output/model.tar.gz', dest);
    assert.equal(entries, 5);
    assert.ok(readFileSync(join(dest, 'weights', 'layer1', 'w.bin')).equals(blob));
    assert.equal(readFileSync(join(dest, 'config.json'), 'utf8'), '{"classes":3}');
    assert.equal(readlinkSync(join(dest, 'latest.bin')), 'weights/layer1/w.bin');
    assert.deepEqual(readdirSync(join(root, 'endpoint', 'instance-1')), ['model'], 'no staging directory left behind');
  });

  it('packs an empty model directory into a valid empty archive', async () => {
    const empty = join(root, 'empty-model');
    mkdirSync(empty);
    const objects = new MemoryObjects();
    await uploadDirectory(objects, empty, 's3://b/empty.tar.gz');
    const dest = join(root, 'empty-dest');
    assert.deepEqual(await prepareModelData(objects, 's3://b/empty.tar.gz', dest), { entries: 1 }, 'just "./"');
    assert.deepEqual(readdirSync(dest), []);
  });

  const attacks: Array<[string, RawEntry, RegExp]> = [
    ['a path with ..', { name: '../escaped.txt', type: '0', body: 'pwned' }, /contains '\.\.'/],
    ['an absolute path', { name: join(root, 'absolute-escape.txt'), type: '0', body: 'pwned' }, /is an absolute path/],
    ['a symlink out of the directory', { name: 'up', type: '2', link: '../../..' }, /links outside/],
    ['an absolute symlink', { name: 'etc', type: '2', link: '/etc' }, /links to absolute/],
    ['a hard link out of the directory', { name: 'hl', type: '1', link: '../victim.txt' }, /contains '\.\.'|links outside/],
  ];
  for (const [what, evil, reason] of attacks) {
    it(`refuses an archive containing ${what}, and writes nothing`, async () => {
      const objects = new MemoryObjects();
      const id = randomBytes(4).toString('hex');
      await objects.put('b', `evil-${id}.tar.gz`, rawTarGz([{ name: 'ok.txt', type: '0', body: 'fine' }, evil, { name: 'after.txt', type: '0', body: 'x' }]));
      writeFileSync(join(root, 'victim.txt'), 'original');
      const dest = join(root, `evil-${id}`, 'model');
      await assert.rejects(prepareModelData(objects, `s3://b/evil-${id}.tar.gz`, dest), (err: unknown) => {
        assert.ok(err instanceof UnsafeArchiveError, String(err));
        assert.match(err.message, new RegExp(`^Refused to extract s3://b/evil-${id}\\.tar\\.gz: 1 entry`));
        assert.match(err.message, reason);
        return true;
      });
      assert.equal(existsSync(dest), false, 'the model directory was not created');
      assert.deepEqual(readdirSync(join(root, `evil-${id}`)), [], 'no staging directory left behind');
      assert.equal(existsSync(join(root, 'escaped.txt')), false);
      assert.equal(existsSync(join(root, `evil-${id}`, 'escaped.txt')), false);
      assert.equal(existsSync(join(root, 'absolute-escape.txt')), false);
      assert.equal(readFileSync(join(root, 'victim.txt'), 'utf8'), 'original');
    });
  }

  it('accepts links that stay inside the model directory', async () => {
    const objects = new MemoryObjects();
    await objects.put(
      'b',
      'inner.tar.gz',
      rawTarGz([
        { name: 'a/', type: '5' },
        { name: 'b.txt', type: '0', body: 'bee' },
        { name: 'a/link', type: '2', link: '../b.txt' },
        { name: 'a/hard', type: '1', link: 'b.txt' },
      ]),
    );
    const dest = join(root, 'inner');
    await prepareModelData(objects, 's3://b/inner.tar.gz', dest);
    assert.equal(readFileSync(join(dest, 'a', 'link'), 'utf8'), 'bee');
    assert.equal(readFileSync(join(dest, 'a', 'hard'), 'utf8'), 'bee');
  });

  it('classifies entries by path, type and link target', () => {
    assert.equal(unsafeEntryReason('model/w.bin', 'File'), undefined);
    assert.equal(unsafeEntryReason('a/b/link', 'SymbolicLink', '../c'), undefined);
    assert.match(unsafeEntryReason('a/link', 'SymbolicLink', '../../c') ?? '', /links outside/);
    assert.match(unsafeEntryReason('dev', 'CharacterDevice') ?? '', /is a CharacterDevice/);
    assert.match(unsafeEntryReason('x/../../y', 'File') ?? '', /contains '\.\.'/);
  });

  it('reports a missing object and a malformed URI for FailureReason', async () => {
    const objects = new MemoryObjects();
    await assert.rejects(prepareModelData(objects, 's3://b/missing.tar.gz', join(root, 'm1')), (err: unknown) =>
      err instanceof ArtifactError && err.message === 'Could not find model data at s3://b/missing.tar.gz',
    );
    assert.throws(() => parseS3Uri('https://b/k'), /Not an S3 object URI/);
    assert.deepEqual(parseS3Uri('s3://bucket/a/b/model.tar.gz'), { bucket: 'bucket', key: 'a/b/model.tar.gz' });
  });

  it('refuses to unpack over a non-empty model directory', async () => {
    const objects = new MemoryObjects();
    await objects.put('b', 'ok.tar.gz', rawTarGz([{ name: 'ok.txt', type: '0', body: 'fine' }]));
    const dest = join(root, 'busy');
    mkdirSync(dest);
    writeFileSync(join(dest, 'keep'), 'x');
    await assert.rejects(prepareModelData(objects, 's3://b/ok.tar.gz', dest), /is not empty/);
  });
});
