/**
 * A bring-your-own model server for the asynchronous inference tests, mapped through
 * images.json: it logs every call's start (with how many calls it has in flight) and end as
 * JSON lines to `$ASYNC_MODEL_LOG`, so tests count concurrency at the model itself; it waits
 * `delayMs` (from a JSON body) before answering with the body unchanged, and answers 500 for
 * `{"fail": "…"}`. It writes its pid under `$ASYNC_MODEL_PIDS` so a test that kill -9s
 * Slipway can also end the model servers left behind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export const MODEL = `
import { createServer } from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';
const log = process.env.ASYNC_MODEL_LOG;
writeFileSync(process.env.ASYNC_MODEL_PIDS + '/' + process.pid, '');
let inFlight = 0;
createServer((req, res) => {
  if (req.url === '/ping') return res.end('ok');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const id = req.headers['x-amzn-sagemaker-inference-id'];
    inFlight++;
    appendFileSync(log, JSON.stringify({ ev: 'start', pid: process.pid, id, inFlight }) + '\\n');
    let msg = {};
    try { msg = JSON.parse(body.toString()); } catch {}
    setTimeout(() => {
      inFlight--;
      appendFileSync(log, JSON.stringify({ ev: 'end', pid: process.pid, id }) + '\\n');
      if (msg.fail) { res.writeHead(500, { 'Content-Type': 'text/plain' }); return res.end('model refused: ' + msg.fail); }
      res.writeHead(200, { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream' });
      res.end(body);
    }, msg.delayMs ?? 0);
  });
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

export const IMAGE = 'example.com/async-model:1';

export interface ModelFiles {
  log: string;
  pids: string;
  /** The model's Environment for CreateModel. */
  environment: Record<string, string>;
}

/** Writes the model server and its images.json mapping into a data directory. */
export function installModel(dataDir: string): ModelFiles {
  const log = join(dataDir, 'model-calls.jsonl');
  const pids = join(dataDir, 'model-pids');
  mkdirSync(pids, { recursive: true });
  writeFileSync(log, '');
  writeFileSync(join(dataDir, 'async-model.mjs'), MODEL);
  writeFileSync(join(dataDir, 'images.json'), JSON.stringify({ images: [{ image: 'example.com/async-model:*', command: [process.execPath, 'async-model.mjs'] }] }));
  return { log, pids, environment: { ASYNC_MODEL_LOG: log, ASYNC_MODEL_PIDS: pids } };
}

export interface Call {
  ev: 'start' | 'end';
  pid: number;
  id: string;
  inFlight?: number;
}

export function calls(files: ModelFiles): Call[] {
  return readFileSync(files.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);
}

/** SIGKILLs every model server this fixture started that is still alive. */
export function killModels(files: ModelFiles): void {
  let pids: string[];
  try {
    pids = readdirSync(files.pids);
  } catch {
    return; // the data directory is already gone (a clean close stopped them)
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await get();
    if (v !== undefined) return v;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The object at an s3:// location as text, or undefined while it does not exist. */
export async function readLocation(s3: S3Client, location: string): Promise<string | undefined> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  assert.ok(m, location);
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
    return await got.Body!.transformToString();
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

export async function putInput(s3: S3Client, bucket: string, key: string, body: unknown): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(body), ContentType: 'application/json' }));
  return `s3://${bucket}/${key}`;
}
