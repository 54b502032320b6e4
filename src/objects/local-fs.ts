import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AwsError } from '../errors.js';
import {
  bucketNotEmpty,
  entityTooSmall,
  invalidBucketName,
  invalidPart,
  invalidPartOrder,
  keyTooLong,
  noSuchBucket,
  noSuchKey,
  noSuchUpload,
  preconditionFailed,
  s3Error,
} from './errors.js';
import type {
  ListResult,
  ObjectChecksum,
  ObjectInfo,
  ObjectStore,
  PartInfo,
  PutOptions,
  UploadInfo,
} from './object-store.js';

/** S3's minimum size for every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_KEY_BYTES = 1024;

/**
 * S3 bucket naming rules (general purpose buckets): 3–63 characters of lower-case letters,
 * digits, dots and hyphens, starting and ending with a letter or digit, no `..`, not an IP
 * address, and none of the reserved prefixes/suffixes. Anything passing this is also a
 * safe single path segment (no `/`, `\`, NUL, and never `.` or `..`).
 */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}

/** What the sidecar `<hash>.json` holds; its rename is the commit point of a write. */
interface Sidecar extends Omit<ObjectInfo, 'bucket'> {
  /** Name of the immutable data file next to the sidecar. */
  data: string;
}

interface Entry {
  key: string;
  /** UTF-8 bytes of the key: S3 lists in byte order, not UTF-16 order. */
  kb: Buffer;
  side: Sidecar;
}

class BucketIndex {
  sorted: Entry[] = [];
  byKey = new Map<string, Entry>();

  /** First index whose key is >= kb (byte order). */
  lowerBound(kb: Buffer): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.sorted[mid].kb, kb) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(key: string, side: Sidecar): void {
    const prev = this.byKey.get(key);
    if (prev) {
      prev.side = side;
      return;
    }
    const e: Entry = { key, kb: Buffer.from(key, 'utf8'), side };
    this.sorted.splice(this.lowerBound(e.kb), 0, e);
    this.byKey.set(key, e);
  }

  remove(key: string): void {
    const e = this.byKey.get(key);
    if (!e) return;
    this.byKey.delete(key);
    this.sorted.splice(this.lowerBound(e.kb), 1);
  }
}

interface UploadRecord extends UploadInfo {
  opts: PutOptions;
}

interface PartSidecar extends PartInfo {
  data: string;
}

/**
 * Objects on the local filesystem, under `<root>` (= `<dataDir>/s3`):
 *
 *   .tmp/<uuid>                                  every write starts here (same filesystem → rename is atomic)
 *   .uploads/<uploadId>/upload.json              multipart upload in progress
 *   .uploads/<uploadId>/p<n>.json + p<n>.<uuid>.data
 *   <bucket>/bucket.json                         the bucket exists once this is in place
 *   <bucket>/objects/<hh>/<sha256(key)>.json     sidecar: key, size, ETag, type, metadata, data file name
 *   <bucket>/objects/<hh>/<sha256(key)>.<uuid>.data
 *
 * Keys never become path components: a key is hashed, so `..`, `//`, `\`, NUL, a trailing
 * `/`, or both `a` and `a/b` are all just distinct keys. Bucket names are validated to
 * S3's rules first, and reserved names start with `.` which no valid bucket can. Data
 * files are immutable; a write commits by renaming the sidecar over the old one, so a
 * reader sees either the old or the new object, never a mix.
 */
export class LocalObjectStore implements ObjectStore {
  private readonly tmpDir: string;
  private readonly uploadsDir: string;
  private readonly indexes = new Map<string, Promise<BucketIndex>>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {
    this.tmpDir = join(root, '.tmp');
    this.uploadsDir = join(root, '.uploads');
    mkdirSync(this.uploadsDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
    // Leftovers of writes interrupted by a crash were never committed: drop them.
    for (const f of readdirSync(this.tmpDir)) rmSync(join(this.tmpDir, f), { recursive: true, force: true });
  }

  // ---- buckets -------------------------------------------------------------------------

  async createBucket(bucket: string): Promise<boolean> {
    this.checkBucketName(bucket);
    // Build the bucket in .tmp and rename it into place: it appears complete or not at all.
    const staging = join(this.tmpDir, randomUUID());
    await mkdir(join(staging, 'objects'), { recursive: true });
    await this.writeJson(join(staging, 'bucket.json'), { name: bucket, created: Date.now() });
    try {
      await rename(staging, this.bucketDir(bucket));
      return true;
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      if (isCode(e, 'EEXIST', 'ENOTEMPTY')) return false;
      throw e;
    }
  }

  async bucketExists(bucket: string): Promise<boolean> {
    if (!isValidBucketName(bucket)) return false;
    return exists(join(this.bucketDir(bucket), 'bucket.json'));
  }

  async listBuckets(): Promise<Array<{ name: string; created: number }>> {
    const out: Array<{ name: string; created: number }> = [];
    for (const name of (await readdir(this.root)).sort()) {
      if (!isValidBucketName(name)) continue;
      try {
        const b = JSON.parse(await readFile(join(this.bucketDir(name), 'bucket.json'), 'utf8')) as { created: number };
        out.push({ name, created: b.created });
      } catch (e) {
        if (!isCode(e, 'ENOENT', 'ENOTDIR')) throw e;
      }
    }
    return out;
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.requireBucket(bucket);
    await this.withLock(`bucket\0${bucket}`, async () => {
      const index = await this.index(bucket);
      if (index.sorted.length > 0) throw bucketNotEmpty(bucket);
      // Move it aside first so the bucket disappears in one step, then clean up.
      const trash = join(this.tmpDir, randomUUID());
      await rename(this.bucketDir(bucket), trash);
      this.indexes.delete(bucket);
      await rm(trash, { recursive: true, force: true });
      // Uploads still open in the bucket can never complete now: drop their parts too.
      for (const id of await readdir(this.uploadsDir)) {
        try {
          const rec = JSON.parse(await readFile(join(this.uploadsDir, id, 'upload.json'), 'utf8')) as UploadRecord;
          if (rec.bucket === bucket) await rm(join(this.uploadsDir, id), { recursive: true, force: true });
        } catch (e) {
          if (!isCode(e, 'ENOENT')) throw e;
        }
      }
    });
  }

  // ---- objects -------------------------------------------------------------------------

  async put(bucket: string, key: string, body: Readable | Buffer, opts: PutOptions = {}): Promise<ObjectInfo> {
    this.checkKey(key);
    await this.requireBucket(bucket);
    // Checked before the upload (to fail fast) and again at commit (where it counts).
    const condition = { ifNoneMatch: opts.ifNoneMatch, ifMatch: opts.ifMatch };
    checkWriteConditions(key, (await this.index(bucket)).byKey.get(key)?.side, condition);
    const tmp = await this.writeTemp(body);
    return this.commit(bucket, key, tmp.path, {
      size: tmp.size,
      etag: tmp.md5,
      ...fromOptions(opts),
    }, condition);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    this.checkKey(key);
    await this.requireBucket(bucket);
    const e = (await this.index(bucket)).byKey.get(key);
    return e ? toInfo(bucket, e.side) : undefined;
  }

  async get(bucket: string, key: string, range?: { start: number; end: number }): Promise<{ info: ObjectInfo; body: Readable } | undefined> {
    this.checkKey(key);
    await this.requireBucket(bucket);
    // An overwrite may unlink the data file between the lookup and the open: look again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const e = (await this.index(bucket)).byKey.get(key);
      if (!e) return undefined;
      const side = e.side;
      let fh;
      try {
        fh = await open(join(this.objectDir(bucket, key), side.data), 'r');
      } catch (err) {
        if (isCode(err, 'ENOENT')) continue;
        throw err;
      }
      // The open descriptor keeps the bytes readable even if the object is replaced now.
      const body = fh.createReadStream(range ? { start: range.start, end: range.end } : {});
      return { info: toInfo(bucket, side), body };
    }
    throw new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500);
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.checkKey(key);
    await this.requireBucket(bucket);
    await this.withLock(this.lockId(bucket, key), async () => {
      const index = await this.index(bucket);
      const e = index.byKey.get(key);
      if (!e) return;
      const dir = this.objectDir(bucket, key);
      const base = keyHash(key);
      await unlinkQuiet(join(dir, `${base}.json`));
      index.remove(key);
      await unlinkQuiet(join(dir, e.side.data));
    });
  }

  async list(bucket: string, opts: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys: number }): Promise<ListResult> {
    await this.requireBucket(bucket);
    const index = await this.index(bucket);
    const prefix = opts.prefix ?? '';
    const delimiter = opts.delimiter || undefined;
    const sorted = index.sorted;
    let i = index.lowerBound(Buffer.from(prefix, 'utf8'));
    if (opts.startAfter !== undefined) i = Math.max(i, index.lowerBound(after(opts.startAfter)));
    const out: ListResult = { objects: [], commonPrefixes: [], truncated: false };
    let count = 0;
    while (i < sorted.length) {
      const e = sorted[i];
      if (!e.key.startsWith(prefix)) break;
      const d = delimiter ? e.key.indexOf(delimiter, prefix.length) : -1;
      if (d >= 0) {
        const cp = e.key.slice(0, d + delimiter!.length);
        // Every key under a common prefix sorts between cp and cp+0xFF: jump past them.
        const next = index.lowerBound(Buffer.concat([Buffer.from(cp, 'utf8'), Buffer.from([0xff])]));
        // Continuing after a page that ended on this common prefix: it was already returned.
        if (cp === opts.startAfter) {
          i = next;
          continue;
        }
        if (count >= opts.maxKeys) {
          out.truncated = opts.maxKeys > 0;
          break;
        }
        out.commonPrefixes.push(cp);
        out.nextStartAfter = cp;
        count++;
        i = next;
        continue;
      }
      if (count >= opts.maxKeys) {
        out.truncated = opts.maxKeys > 0;
        break;
      }
      out.objects.push(toInfo(bucket, e.side));
      out.nextStartAfter = e.key;
      count++;
      i++;
    }
    if (!out.truncated) out.nextStartAfter = undefined;
    return out;
  }

  async copy(src: { bucket: string; key: string }, dst: { bucket: string; key: string }, replace?: PutOptions): Promise<ObjectInfo> {
    this.checkKey(src.key);
    this.checkKey(dst.key);
    await this.requireBucket(src.bucket);
    await this.requireBucket(dst.bucket);
    for (let attempt = 0; attempt < 3; attempt++) {
      const e = (await this.index(src.bucket)).byKey.get(src.key);
      if (!e) throw noSuchKey(src.key);
      const side = e.side;
      const tmp = join(this.tmpDir, randomUUID());
      try {
        // Data files are immutable, so a hard link is a complete, instant copy.
        await link(join(this.objectDir(src.bucket, src.key), side.data), tmp);
      } catch (err) {
        if (isCode(err, 'ENOENT')) continue;
        throw err;
      }
      const { data: _data, key: _key, lastModified: _lm, ...rest } = side;
      const meta = replace ? { size: side.size, etag: side.etag, partsCount: side.partsCount, checksum: side.checksum, ...fromOptions(replace) } : rest;
      return this.commit(dst.bucket, dst.key, tmp, meta);
    }
    throw new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500);
  }

  // ---- multipart -----------------------------------------------------------------------

  async createMultipartUpload(bucket: string, key: string, opts: PutOptions = {}): Promise<UploadInfo> {
    this.checkKey(key);
    await this.requireBucket(bucket);
    const uploadId = randomBytes(24).toString('hex');
    const rec: UploadRecord = { uploadId, bucket, key, initiated: Date.now(), opts };
    const staging = join(this.tmpDir, randomUUID());
    await mkdir(staging);
    await this.writeJson(join(staging, 'upload.json'), rec);
    await rename(staging, join(this.uploadsDir, uploadId));
    return { uploadId, bucket, key, initiated: rec.initiated };
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable | Buffer, checksum?: ObjectChecksum | (() => ObjectChecksum | undefined)): Promise<PartInfo> {
    const dir = (await this.upload(bucket, key, uploadId)).dir;
    const tmp = await this.writeTemp(body);
    const part: PartSidecar = {
      partNumber,
      etag: tmp.md5,
      size: tmp.size,
      lastModified: Date.now(),
      checksum: typeof checksum === 'function' ? checksum() : checksum,
      data: `p${partNumber}.${randomUUID()}.data`,
    };
    return this.withLock(`upload\0${uploadId}\0${partNumber}`, async () => {
      let old: PartSidecar | undefined;
      try {
        old = JSON.parse(await readFile(join(dir, `p${partNumber}.json`), 'utf8')) as PartSidecar;
      } catch {
        old = undefined;
      }
      try {
        await rename(tmp.path, join(dir, part.data));
      } catch (e) {
        await unlinkQuiet(tmp.path);
        if (isCode(e, 'ENOENT')) throw noSuchUpload(uploadId); // aborted meanwhile
        throw e;
      }
      await this.writeJson(join(dir, `p${partNumber}.json`), part);
      if (old) await unlinkQuiet(join(dir, old.data));
      const { data: _d, ...info } = part;
      return info;
    });
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadInfo; parts: PartInfo[] }> {
    const { dir, rec } = await this.upload(bucket, key, uploadId);
    const parts = await this.readParts(dir);
    const { opts: _o, ...upload } = rec;
    return { upload, parts: [...parts.values()].sort((a, b) => a.partNumber - b.partNumber).map(({ data: _d, ...p }) => p) };
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, wanted: Array<{ partNumber: number; etag: string }>): Promise<ObjectInfo> {
    const { dir, rec } = await this.upload(bucket, key, uploadId);
    return this.withLock(`upload\0${uploadId}`, async () => {
      const have = await this.readParts(dir);
      const chosen: PartSidecar[] = [];
      let prev = 0;
      for (const w of wanted) {
        if (w.partNumber <= prev) throw invalidPartOrder();
        prev = w.partNumber;
        const p = have.get(w.partNumber);
        if (!p || p.etag !== w.etag.replace(/^"|"$/g, '')) throw invalidPart();
        chosen.push(p);
      }
      for (let i = 0; i < chosen.length - 1; i++) if (chosen[i].size < MIN_PART_SIZE) throw entityTooSmall();
      // Concatenate the parts into one new data file, streaming, then commit like any put.
      const tmpPath = join(this.tmpDir, randomUUID());
      const out = await open(tmpPath, 'wx');
      let size = 0;
      try {
        for (const p of chosen) {
          const src = await open(join(dir, p.data), 'r');
          try {
            for await (const chunk of src.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
              await writeAll(out, chunk);
              size += chunk.length;
            }
          } finally {
            await src.close();
          }
        }
        await out.sync();
      } catch (e) {
        await out.close();
        await unlinkQuiet(tmpPath);
        throw e;
      }
      await out.close();
      const md5s = Buffer.concat(chosen.map((p) => Buffer.from(p.etag, 'hex')));
      const etag = `${createHash('md5').update(md5s).digest('hex')}-${chosen.length}`;
      const { checksum: _c, ...opts } = rec.opts;
      const info = await this.commit(bucket, key, tmpPath, { size, etag, partsCount: chosen.length, ...fromOptions(opts) });
      await rm(dir, { recursive: true, force: true });
      return info;
    });
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const { dir } = await this.upload(bucket, key, uploadId);
    const trash = join(this.tmpDir, randomUUID());
    try {
      await rename(dir, trash);
    } catch (e) {
      if (isCode(e, 'ENOENT')) throw noSuchUpload(uploadId);
      throw e;
    }
    await rm(trash, { recursive: true, force: true });
  }

  // ---- internals -----------------------------------------------------------------------

  private bucketDir(bucket: string): string {
    return join(this.root, bucket);
  }

  private objectDir(bucket: string, key: string): string {
    return join(this.root, bucket, 'objects', keyHash(key).slice(0, 2));
  }

  private lockId(bucket: string, key: string): string {
    return `object\0${bucket}\0${key}`;
  }

  private checkBucketName(bucket: string): void {
    if (!isValidBucketName(bucket)) throw invalidBucketName(bucket);
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) throw s3Error('InvalidArgument', 'Object key must not be empty.', 400);
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw keyTooLong();
  }

  private async requireBucket(bucket: string): Promise<void> {
    this.checkBucketName(bucket);
    if (!(await exists(join(this.bucketDir(bucket), 'bucket.json')))) throw noSuchBucket(bucket);
  }

  private async upload(bucket: string, key: string, uploadId: string): Promise<{ dir: string; rec: UploadRecord }> {
    // Upload ids are ours (hex); anything else cannot name a directory of ours.
    if (!/^[0-9a-f]{48}$/.test(uploadId)) throw noSuchUpload(uploadId);
    await this.requireBucket(bucket);
    const dir = join(this.uploadsDir, uploadId);
    let rec: UploadRecord;
    try {
      rec = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as UploadRecord;
    } catch (e) {
      if (isCode(e, 'ENOENT')) throw noSuchUpload(uploadId);
      throw e;
    }
    if (rec.bucket !== bucket || rec.key !== key) throw noSuchUpload(uploadId);
    return { dir, rec };
  }

  private async readParts(dir: string): Promise<Map<number, PartSidecar>> {
    const parts = new Map<number, PartSidecar>();
    for (const f of await readdir(dir)) {
      if (!/^p\d+\.json$/.test(f)) continue;
      const p = JSON.parse(await readFile(join(dir, f), 'utf8')) as PartSidecar;
      parts.set(p.partNumber, p);
    }
    return parts;
  }

  /** The bucket's sorted key index, loaded from the sidecars on first use. */
  private index(bucket: string): Promise<BucketIndex> {
    let p = this.indexes.get(bucket);
    if (!p) {
      p = this.loadIndex(bucket);
      this.indexes.set(bucket, p);
      p.catch(() => this.indexes.delete(bucket));
    }
    return p;
  }

  private async loadIndex(bucket: string): Promise<BucketIndex> {
    const index = new BucketIndex();
    const objects = join(this.bucketDir(bucket), 'objects');
    const sides: Sidecar[] = [];
    for (const hh of await readdir(objects)) {
      const dir = join(objects, hh);
      const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
      const read = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as Sidecar));
      sides.push(...read);
    }
    const entries = sides.map((side) => ({ key: side.key, kb: Buffer.from(side.key, 'utf8'), side }));
    entries.sort((a, b) => Buffer.compare(a.kb, b.kb));
    index.sorted = entries;
    for (const e of entries) index.byKey.set(e.key, e);
    return index;
  }

  /** Streams a body into a fresh temp file with fsync; on any failure the file is gone. */
  private async writeTemp(body: Readable | Buffer): Promise<{ path: string; size: number; md5: string }> {
    const path = join(this.tmpDir, randomUUID());
    const fh = await open(path, 'wx');
    const md5 = createHash('md5');
    let size = 0;
    try {
      const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(body) ? [body] : body;
      for await (const chunk of chunks) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        md5.update(b);
        size += b.length;
        await writeAll(fh, b);
      }
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      await unlinkQuiet(path);
      if (!Buffer.isBuffer(body)) body.resume();
      throw e;
    }
    await fh.close();
    return { path, size, md5: md5.digest('hex') };
  }

  /** Moves a finished temp data file into the bucket and renames the sidecar over the old one. */
  private async commit(
    bucket: string,
    key: string,
    tmpPath: string,
    meta: Omit<Sidecar, 'data' | 'key' | 'lastModified'>,
    condition: { ifNoneMatch?: boolean; ifMatch?: string } = {},
  ): Promise<ObjectInfo> {
    try {
      return await this.withLock(this.lockId(bucket, key), async () => {
        await this.requireBucket(bucket);
        const index = await this.index(bucket);
        // Captured now: index.set() below replaces the entry's sidecar in place.
        const old = index.byKey.get(key)?.side;
        checkWriteConditions(key, old, condition);
        const dir = this.objectDir(bucket, key);
        await mkdir(dir, { recursive: true });
        const base = keyHash(key);
        const side: Sidecar = { ...meta, key, lastModified: Date.now(), data: `${base}.${randomUUID()}.data` };
        await rename(tmpPath, join(dir, side.data));
        await this.writeJson(join(dir, `${base}.json`), side);
        index.set(key, side);
        if (old) await unlinkQuiet(join(dir, old.data));
        return toInfo(bucket, side);
      });
    } finally {
      await unlinkQuiet(tmpPath); // only still there if the commit failed
    }
  }

  /** temp + fsync + rename: the JSON file is replaced whole or not at all. */
  private async writeJson(path: string, value: unknown): Promise<void> {
    const tmp = join(this.tmpDir, randomUUID());
    const fh = await open(tmp, 'wx');
    try {
      await writeAll(fh, Buffer.from(JSON.stringify(value)));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, path);
    } catch (e) {
      await unlinkQuiet(tmp);
      throw e;
    }
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

/** S3 conditional writes: If-None-Match: * (create only) and If-Match: <etag> (replace exactly this version). */
function checkWriteConditions(key: string, current: Sidecar | undefined, c: { ifNoneMatch?: boolean; ifMatch?: string }): void {
  if (c.ifNoneMatch && current) throw preconditionFailed('If-None-Match');
  if (c.ifMatch !== undefined) {
    if (!current) throw noSuchKey(key);
    const wanted = c.ifMatch.split(',').map((t) => t.trim().replace(/^"|"$/g, ''));
    if (!wanted.includes('*') && !wanted.includes(current.etag)) throw preconditionFailed('If-Match');
  }
}

function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The smallest byte string greater than `s`: keys strictly after s start at s + 0x00. */
function after(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function fromOptions(o: PutOptions): Partial<Sidecar> {
  const out: Partial<Sidecar> = {};
  if (o.contentType !== undefined) out.contentType = o.contentType;
  if (o.metadata && Object.keys(o.metadata).length) out.metadata = o.metadata;
  if (o.headers && Object.values(o.headers).some((v) => v !== undefined)) out.headers = o.headers;
  const checksum = typeof o.checksum === 'function' ? o.checksum() : o.checksum;
  if (checksum) out.checksum = checksum;
  return out;
}

function toInfo(bucket: string, side: Sidecar): ObjectInfo {
  const { data: _data, ...rest } = side;
  return { bucket, ...rest };
}

async function writeAll(fh: import('node:fs/promises').FileHandle, b: Buffer): Promise<void> {
  let off = 0;
  while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return false;
    throw e;
  }
}

async function unlinkQuiet(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (!isCode(e, 'ENOENT')) throw e;
  }
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}
