/**
 * Model artifacts between the object store and an instance's directories.
 *
 * Hosting: `ModelDataUrl` (`s3://bucket/key.tar.gz`) is unpacked into the model directory
 * (`SM_MODEL_DIR`) before the server starts. The archive is user input, so no entry may land
 * outside that directory: tar's own guards (`strict`, `preservePaths: false`) plus an
 * explicit check of every entry's path and link target, and extraction into a private
 * staging directory that only becomes the model directory when the whole archive was safe.
 *
 * Training: `model/` becomes `model.tar.gz` ({@link packDirectory}).
 */
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { c, x, type ReadEntry } from 'tar';
import type { ObjectStore } from '../objects/object-store.js';

/** The model data could not be fetched or unpacked; the message is meant for FailureReason. */
export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

/** The archive tried to write outside its directory (or holds entry types a model never needs). */
export class UnsafeArchiveError extends ArtifactError {
  constructor(
    readonly source: string,
    readonly refused: string[],
  ) {
    super(
      `Refused to extract ${source}: ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} would escape the model directory or are not regular files/directories/links: ` +
        refused.slice(0, 5).join('; ') +
        (refused.length > 5 ? '; …' : ''),
    );
    this.name = 'UnsafeArchiveError';
  }
}

/** Splits `s3://bucket/key` (the key may contain slashes). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new ArtifactError(`Not an S3 object URI: ${JSON.stringify(uri)} (expected s3://bucket/key.tar.gz)`);
  return { bucket: m[1]!, key: m[2]! };
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/**
 * Why an entry is unsafe, or undefined when it is fine. Pure string logic on the archive's
 * own names (no filesystem access), so it can be checked before anything is written.
 */
export function unsafeEntryReason(path: string, type: string, linkpath?: string): string | undefined {
  const p = path.replaceAll('\\', '/');
  if (!ALLOWED_TYPES.has(type)) return `${JSON.stringify(path)} is a ${type}`;
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return `${JSON.stringify(path)} is an absolute path`;
  if (p.split('/').includes('..')) return `${JSON.stringify(path)} contains '..'`;
  if (type === 'SymbolicLink' || type === 'Link') {
    const l = (linkpath ?? '').replaceAll('\\', '/');
    if (!l) return `${JSON.stringify(path)} is a link without a target`;
    if (l.startsWith('/') || /^[a-zA-Z]:/.test(l)) return `${JSON.stringify(path)} links to absolute ${JSON.stringify(linkpath)}`;
    // A symlink's target is relative to its own directory; a hard link's to the archive root.
    const resolved = posix.normalize(type === 'SymbolicLink' ? posix.join(posix.dirname(p), l) : l);
    if (resolved === '..' || resolved.startsWith('../')) return `${JSON.stringify(path)} links outside to ${JSON.stringify(linkpath)}`;
  }
  return undefined;
}

/**
 * Extracts a (gzipped) tar stream into `destDir`, refusing the whole archive when any entry
 * is unsafe. `destDir` must be absent or empty; on failure it is left as it was.
 */
export async function extractArchive(body: Readable, destDir: string, source = 'archive'): Promise<{ entries: number }> {
  await mkdir(dirname(destDir), { recursive: true });
  const existing = await readdir(destDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing && existing.length > 0) throw new ArtifactError(`Model directory ${destDir} is not empty`);
  // Staging next to the destination (same filesystem) so the final step is an atomic rename.
  const staging = join(dirname(destDir), `.${basename(destDir)}.extract-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  const refused: string[] = [];
  let entries = 0;
  try {
    const unpack = x({
      cwd: staging,
      // Every tar warning (bad header, '..', escape) becomes an error instead of a skipped file.
      strict: true,
      // Never honour absolute paths or '..' (the default, stated because it matters).
      preservePaths: false,
      // Ownership from the archive means nothing here, and the mode must not make files unreadable to us.
      preserveOwner: false,
      filter: (path: string, entry) => {
        const e = entry as ReadEntry;
        const reason = unsafeEntryReason(path, String(e.type), e.linkpath);
        if (reason) {
          refused.push(reason);
          return false;
        }
        entries++;
        return true;
      },
    });
    try {
      await pipeline(body, unpack);
    } catch (err) {
      if (refused.length) throw new UnsafeArchiveError(source, refused);
      throw new ArtifactError(`Could not extract ${source}: ${(err as Error).message}`);
    }
    if (refused.length) throw new UnsafeArchiveError(source, refused);
    if (existing) await rmdir(destDir);
    await rename(staging, destDir);
    return { entries };
  } finally {
    // After a failure tar may still be finishing writes it had already started; retrying
    // (bounded) on ENOTEMPTY lets those land before the staging directory goes.
    await rm(staging, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}

/** Fetches `modelDataUrl` from the object store and unpacks it into `modelDir` (SM_MODEL_DIR). */
export async function prepareModelData(objects: Pick<ObjectStore, 'get'>, modelDataUrl: string, modelDir: string): Promise<{ entries: number }> {
  const { bucket, key } = parseS3Uri(modelDataUrl);
  const got = await objects.get(bucket, key);
  if (!got) throw new ArtifactError(`Could not find model data at ${modelDataUrl}`);
  return extractArchive(got.body, modelDir, modelDataUrl);
}

/**
 * The reverse, for training: `dir`'s contents as a gzipped tar stream (entries relative to
 * `dir`, no leading `./`, as SageMaker's model.tar.gz has them). Portable: no owner names or
 * host-specific metadata.
 */
export async function packDirectory(dir: string): Promise<Readable> {
  const names = (await readdir(dir)).sort();
  if (names.length === 0) {
    // tar's `c` refuses an empty list, and a tar with no entry at all does not read back as an
    // archive; an empty model/ becomes the single entry "./" (what `tar -C model -czf … .` writes).
    return Readable.from(c({ gzip: true, portable: true, cwd: dir }, ['.']));
  }
  return Readable.from(c({ gzip: true, portable: true, cwd: dir }, names));
}

/** Packs `dir` and stores it at `s3Uri` (e.g. `<S3OutputPath>/<job>/output/model.tar.gz`). */
export async function uploadDirectory(objects: Pick<ObjectStore, 'put'>, dir: string, s3Uri: string) {
  const { bucket, key } = parseS3Uri(s3Uri);
  return objects.put(bucket, key, await packDirectory(dir), { contentType: 'application/x-tar' });
}
