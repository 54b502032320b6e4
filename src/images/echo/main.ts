/**
 * Built-in image `slipway/echo`: the smallest program that honours both SageMaker container
 * contracts, so endpoints and training jobs can be exercised without any ML stack.
 *
 *   main.js serve  model server on 127.0.0.1:$SAGEMAKER_BIND_TO_PORT; GET /ping → 200;
 *                  POST /invocations → the request body, unchanged, with its Content-Type;
 *                  POST /invocations-response-stream → the same, streamed in several chunks
 *                  (chunked transfer encoding), as SageMaker's streaming contract asks.
 *                  Both reflect X-Amzn-SageMaker-Custom-Attributes and read from it the
 *                  simulations below (SageMaker passes only that opaque header through).
 *   main.js train  reads every file of every channel under <input>/data/*, writes
 *                  <model>/echo-model.json, prints `train:bytes=<n>`, exits 0.
 *
 * Dependency-free on purpose: it runs with nothing but Node.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
/** The toolkit's override of /opt/ml; the real container path is the fallback. */
const baseDir = env.SAGEMAKER_BASE_DIR ?? '/opt/ml';

/**
 * What a request asks the echo model to simulate, from `key=value` pairs in its custom
 * attributes (separated by `;` or `,`; other pairs are ignored):
 *   echo-chunks=<n>         answer in n pieces (default 1 on /invocations, 4 when streaming;
 *                           never more pieces than bytes)
 *   echo-delay-ms=<ms>      wait this long before each piece after the first
 *   echo-status=<code>      answer with this HTTP status and a text/plain message instead
 *   echo-hang-up-after=<n>  send n pieces, then drop the connection without finishing
 */
interface Simulation {
  chunks?: number;
  delayMs: number;
  status?: number;
  hangUpAfter?: number;
}

function simulation(attributes: string | undefined): Simulation {
  const sim: Simulation = { delayMs: 0 };
  if (!attributes) return sim;
  for (const pair of attributes.split(/[;,]/)) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const key = pair.slice(0, eq).trim();
    const n = Number(pair.slice(eq + 1).trim());
    if (!Number.isInteger(n) || n < 0) continue;
    if (key === 'echo-chunks' && n > 0) sim.chunks = n;
    else if (key === 'echo-delay-ms') sim.delayMs = n;
    else if (key === 'echo-status' && n >= 100 && n <= 599) sim.status = n;
    else if (key === 'echo-hang-up-after') sim.hangUpAfter = n;
  }
  return sim;
}

/** `body` cut into at most `n` pieces of near-equal size (one empty piece for an empty body). */
function pieces(body: Buffer, n: number): Buffer[] {
  const count = Math.max(1, Math.min(n, body.length));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(body.subarray(Math.floor((i * body.length) / count), Math.floor(((i + 1) * body.length) / count)));
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Writes the echo answer: all at once with Content-Length (/invocations without simulation),
 * or piece by piece, with Content-Length on /invocations and chunked when streaming.
 */
async function answer(req: IncomingMessage, res: ServerResponse, body: Buffer, streaming: boolean): Promise<void> {
  const attributes = req.headers['x-amzn-sagemaker-custom-attributes'] as string | undefined;
  const headers: Record<string, string | number> = {
    'Content-Type': req.headers['content-type'] ?? 'application/octet-stream',
    'X-Slipway-Variant': env.SLIPWAY_VARIANT_NAME ?? '',
    'X-Slipway-Instance': env.SLIPWAY_INSTANCE_ID ?? '',
  };
  if (attributes !== undefined) headers['X-Amzn-SageMaker-Custom-Attributes'] = attributes;
  const sim = simulation(attributes);
  if (sim.status !== undefined) {
    const text = `echo: simulated status ${sim.status}`;
    res.writeHead(sim.status, { ...headers, 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) }).end(text);
    return;
  }
  const parts = pieces(body, sim.chunks ?? (streaming ? 4 : 1));
  if (!streaming) headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  // Streaming: the headers go out now, before the first piece, as a streaming server's would.
  if (streaming) res.flushHeaders();
  for (let i = 0; i < parts.length; i++) {
    if (sim.hangUpAfter !== undefined && i >= sim.hangUpAfter) {
      // Every piece so far has been handed to the kernel (write callbacks): the peer gets them, then the hang-up.
      res.socket?.destroy();
      return;
    }
    if (i > 0 && sim.delayMs > 0) await sleep(sim.delayMs);
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(parts[i], () => resolve()));
  }
  res.end();
}

function serve(): void {
  const port = Number(env.SAGEMAKER_BIND_TO_PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(`echo: SAGEMAKER_BIND_TO_PORT must be a port number, got ${JSON.stringify(env.SAGEMAKER_BIND_TO_PORT)}`);
    process.exit(2);
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (req.method === 'POST' && (path === '/invocations' || path === '/invocations-response-stream')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const streaming = path === '/invocations-response-stream';
        if (!streaming && req.headers['x-amzn-sagemaker-custom-attributes'] === undefined) {
          // The common case in one write (the invocation benchmark measures this path).
          res.writeHead(200, {
            'Content-Type': req.headers['content-type'] ?? 'application/octet-stream',
            'Content-Length': body.length,
            'X-Slipway-Variant': env.SLIPWAY_VARIANT_NAME ?? '',
            'X-Slipway-Instance': env.SLIPWAY_INSTANCE_ID ?? '',
          });
          res.end(body);
          return;
        }
        answer(req, res, body, streaming).catch((err) => {
          console.error(`echo: answer failed: ${(err as Error).message}`);
          res.destroy();
        });
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  server.listen(port, '127.0.0.1', () => console.log(`echo: serving on 127.0.0.1:${port}`));
  // Contract: SIGTERM asks for a clean shutdown; finish in-flight requests, then exit 0.
  process.once('SIGTERM', () => {
    console.log('echo: SIGTERM, shutting down');
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}

function walk(dir: string, visit: (file: string, size: number) => void): void {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p, visit);
    else if (ent.isFile()) visit(p, statSync(p).size);
  }
}

function train(): void {
  // SM_INPUT_DIR is the toolkit's /opt/ml/input; channels are its data/<channel> folders.
  const dataDir = join(env.SM_INPUT_DIR ?? join(baseDir, 'input'), 'data');
  const modelDir = env.SM_MODEL_DIR ?? join(baseDir, 'model');
  let files = 0;
  let bytes = 0;
  const channels: Record<string, { files: number; bytes: number }> = {};
  let names: string[] = [];
  try {
    names = readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of names) {
    const c = (channels[name] = { files: 0, bytes: 0 });
    walk(join(dataDir, name), (file, size) => {
      // Read the bytes for real (a training job reads its data), not just the sizes.
      const n = readFileSync(file).length;
      if (n !== size) console.error(`echo: ${file} changed while reading`);
      c.files++;
      c.bytes += n;
    });
    files += c.files;
    bytes += c.bytes;
    console.log(`echo: channel ${name}: ${c.files} files, ${c.bytes} bytes`);
  }
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(join(modelDir, 'echo-model.json'), JSON.stringify({ files, bytes, channels }, null, 2) + '\n');
  // A metric line for MetricDefinitions such as {"Name":"bytes","Regex":"train:bytes=(\\d+)"}.
  console.log(`train:bytes=${bytes}`);
}

const mode = process.argv[2];
if (mode === 'serve') {
  serve();
} else if (mode === 'train') {
  try {
    train();
  } catch (err) {
    // Contract: the failure message goes to <base>/output/failure, FailureReason reads it.
    const msg = `echo training failed: ${(err as Error).message}`;
    console.error(msg);
    try {
      mkdirSync(join(baseDir, 'output'), { recursive: true });
      writeFileSync(join(baseDir, 'output', 'failure'), msg);
    } catch {
      // Nothing more to report with.
    }
    process.exit(1);
  }
} else {
  console.error(`usage: echo serve|train (got ${JSON.stringify(mode)})`);
  process.exit(2);
}
