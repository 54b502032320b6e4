/**
 * Bytes in and out of a training job: channel downloads (S3Prefix, ManifestFile), checkpoint
 * mirroring, artifact uploads, metrics from the log, FailureReason. Everything that touches a
 * path joins it under a directory and refuses to leave it.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import type { ObjectStore } from '../../objects/object-store.js';
import { parseS3Uri } from '../../runtime/artifacts.js';
import type { Channel, MetricData, MetricDefinition } from './job.js';

/** A job failure whose message is meant for FailureReason as it stands. */
export class JobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** Joins a relative object path under `root`, refusing absolute paths and `..`. */
export function safeJoin(root: string, rel: string): string {
  const clean = rel.replaceAll('\\', '/');
  if (!clean || clean.startsWith('/') || clean.split('/').some((p) => p === '..')) {
    throw new JobFailure(`ClientError: refusing to write input file ${JSON.stringify(rel)} outside its channel directory`);
  }
  const out = resolve(root, ...clean.split('/').filter((p) => p && p !== '.'));
  if (out !== root && !out.startsWith(root + sep)) throw new JobFailure(`ClientError: input file ${JSON.stringify(rel)} escapes its channel directory`);
  return out;
}

/** Splits `s3://bucket/prefix`; a bucket alone means the whole bucket. */
function s3Prefix(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new JobFailure(`ClientError: ${JSON.stringify(uri)} is not an S3 URI (expected s3://bucket/prefix)`);
  return { bucket: m[1]!, prefix: m[2]! };
}

/** Every key under a prefix, paging through the store (bounded by the store's own pages). */
async function listAll(objects: ObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await objects.list(bucket, { prefix, startAfter, maxKeys: 1000 });
    for (const o of page.objects) keys.push(o.key);
    if (!page.truncated || !page.nextStartAfter) return keys;
    startAfter = page.nextStartAfter;
  }
}

async function fetchTo(objects: ObjectStore, bucket: string, key: string, dest: string): Promise<number> {
  const got = await objects.get(bucket, key);
  if (!got) throw new JobFailure(`ClientError: Could not download s3://${bucket}/${key}: the object does not exist.`);
  await mkdir(dirname(dest), { recursive: true });
  await pipeline(got.body, createWriteStream(dest));
  return got.info.size;
}

/** AWS's wording when a channel's prefix matches nothing (or its bucket is missing). */
function noObjects(uri: string, region: string, role: string, bucket: string): JobFailure {
  return new JobFailure(
    `ClientError: No S3 objects found under S3 URL "${uri}" given in input data source. Please ensure that the bucket exists in the selected region (${region}), that objects exist under that S3 prefix, and that the role "${role}" has "s3:ListBucket" permissions on bucket "${bucket}".`,
  );
}

/**
 * Downloads one `File`-mode channel into `dest` as SageMaker lays it out. S3Prefix matches
 * keys by raw prefix, as S3 does (`s3://b/data/train` also matches `data/train-other/…`); each
 * file keeps its path below the prefix (`a.csv` for `data/train/a.csv`), an exact object key
 * its file name. ManifestFile: every listed relative path under the manifest's `prefix`.
 */
export async function downloadChannel(
  objects: ObjectStore,
  channel: Channel,
  dest: string,
  ctx: { region: string; role: string },
): Promise<{ files: number; bytes: number }> {
  const src = channel.DataSource.S3DataSource;
  if (!src) throw new JobFailure(`ClientError: channel ${channel.ChannelName} has no S3DataSource`);
  await mkdir(dest, { recursive: true });
  let files = 0;
  let bytes = 0;
  if (src.S3DataType === 'ManifestFile') {
    const { bucket, key } = parseS3Uri(src.S3Uri);
    const got = await objects.get(bucket, key).catch(() => undefined);
    if (!got) throw new JobFailure(`ClientError: Could not download manifest file ${src.S3Uri} for channel ${channel.ChannelName}: the object does not exist.`);
    const chunks: Buffer[] = [];
    for await (const c of got.body) chunks.push(c as Buffer);
    let manifest: unknown;
    try {
      manifest = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      throw new JobFailure(`ClientError: Manifest file ${src.S3Uri} is not valid JSON: ${(err as Error).message}`);
    }
    // Format: [{"prefix": "s3://bucket/base/"}, "relative/file1", "relative/file2", ...]
    if (!Array.isArray(manifest) || typeof manifest[0]?.prefix !== 'string') {
      throw new JobFailure(`ClientError: Manifest file ${src.S3Uri} must be a JSON array starting with {"prefix": "s3://bucket/prefix/"}`);
    }
    const base = s3Prefix(manifest[0].prefix);
    for (const rel of manifest.slice(1)) {
      if (typeof rel !== 'string') throw new JobFailure(`ClientError: Manifest file ${src.S3Uri} lists a non-string entry`);
      bytes += await fetchTo(objects, base.bucket, base.prefix + rel, safeJoin(dest, rel));
      files++;
    }
    return { files, bytes };
  }
  if (src.S3DataType !== 'S3Prefix') {
    throw new JobFailure(`ClientError: S3DataType ${src.S3DataType} is not supported by Slipway (S3Prefix and ManifestFile are)`);
  }
  const { bucket, prefix } = s3Prefix(src.S3Uri);
  let keys: string[];
  try {
    keys = (await listAll(objects, bucket, prefix)).filter((k) => !k.endsWith('/'));
  } catch (err) {
    if ((err as { code?: string }).code === 'NoSuchBucket') throw noObjects(src.S3Uri, ctx.region, ctx.role, bucket);
    throw err;
  }
  if (keys.length === 0) throw noObjects(src.S3Uri, ctx.region, ctx.role, bucket);
  const cut = prefix.lastIndexOf('/') + 1;
  for (const key of keys) {
    // A "folder" prefix (`data/train` for `data/train/a.csv`) is stripped whole; a partial
    // name (`data/tr` for `data/train-other/c.csv`) keeps the name after its last '/'.
    const rel =
      key.length === prefix.length
        ? posix.basename(key)
        : prefix.endsWith('/') || key[prefix.length] === '/' || prefix === ''
          ? key.slice(prefix.length).replace(/^\/+/, '')
          : key.slice(cut);
    bytes += await fetchTo(objects, bucket, key, safeJoin(dest, rel));
    files++;
  }
  return { files, bytes };
}

/** Restores `s3Uri`'s objects into `dir` (AWS copies existing checkpoints in before training). */
export async function restoreCheckpoints(objects: ObjectStore, s3Uri: string, dir: string): Promise<number> {
  const { bucket, prefix: raw } = s3Prefix(s3Uri);
  const prefix = raw && !raw.endsWith('/') ? `${raw}/` : raw;
  let keys: string[] = [];
  try {
    keys = await listAll(objects, bucket, prefix);
  } catch (err) {
    if ((err as { code?: string }).code !== 'NoSuchBucket') throw err;
  }
  let n = 0;
  for (const key of keys) {
    if (key.endsWith('/')) continue;
    await fetchTo(objects, bucket, key, safeJoin(dir, key.slice(prefix.length)));
    n++;
  }
  return n;
}

async function walkFiles(dir: string, out: string[] = [], root = dir): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walkFiles(p, out, root);
    else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
  }
  return out;
}

/**
 * Mirrors new or changed files of the local checkpoint directory to `s3Uri` (the training
 * platform uploads checkpoints while the job runs, so a stopped or spot-interrupted job can
 * resume). `seen` remembers size+mtime per file between calls.
 */
export async function mirrorCheckpoints(objects: ObjectStore, dir: string, s3Uri: string, seen: Map<string, string>): Promise<number> {
  const { bucket, prefix: raw } = s3Prefix(s3Uri);
  const prefix = raw && !raw.endsWith('/') ? `${raw}/` : raw;
  let n = 0;
  for (const rel of await walkFiles(dir)) {
    const st = await stat(join(dir, rel)).catch(() => undefined);
    if (!st) continue;
    const sig = `${st.size}:${st.mtimeMs}`;
    if (seen.get(rel) === sig) continue;
    const body = await readFile(join(dir, rel)).catch(() => undefined);
    if (!body) continue;
    await objects.put(bucket, prefix + rel, body);
    seen.set(rel, sig);
    n++;
  }
  return n;
}

/** True when `dir` holds at least one file (an empty output/data makes no output.tar.gz). */
export async function hasFiles(dir: string): Promise<boolean> {
  return (await walkFiles(dir)).length > 0;
}

/** Compiles MetricDefinitions; a regex JavaScript cannot compile is reported, not ignored. */
export function compileMetrics(defs: MetricDefinition[] | undefined): Array<{ name: string; re: RegExp }> {
  return (defs ?? []).map((d) => {
    try {
      return { name: d.Name, re: new RegExp(d.Regex) };
    } catch (err) {
      throw new JobFailure(`ClientError: MetricDefinitions regex for ${d.Name} does not compile: ${(err as Error).message}`);
    }
  });
}

/**
 * Runs every metric regex over each log line (stdout and stderr share the log); the first
 * capture group is the value; the last value per metric is the final one, as in AWS's
 * FinalMetricDataList. Non-numeric captures are skipped.
 */
export async function extractMetrics(logFile: string, defs: Array<{ name: string; re: RegExp }>, nowMs: number): Promise<MetricData[]> {
  if (defs.length === 0) return [];
  const last = new Map<string, number>();
  let stream;
  try {
    await stat(logFile);
    stream = createReadStream(logFile, { encoding: 'utf8' });
  } catch {
    return [];
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    for (const d of defs) {
      const m = d.re.exec(line);
      if (m && m[1] !== undefined) {
        const v = Number(m[1]);
        if (Number.isFinite(v)) last.set(d.name, v);
      }
    }
  }
  return defs.filter((d) => last.has(d.name)).map((d) => ({ MetricName: d.name, Value: last.get(d.name)!, Timestamp: nowMs / 1000 }));
}

/** The first 1024 characters of `output/failure`, when the algorithm wrote one. */
export async function readFailureFile(baseDir: string): Promise<string | undefined> {
  const text = await readFile(join(baseDir, 'output', 'failure'), 'utf8').catch(() => undefined);
  const t = text?.trim();
  return t ? t.slice(0, 1024) : undefined;
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value));
}
