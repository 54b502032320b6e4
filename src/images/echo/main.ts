/**
 * Built-in image `slipway/echo`: the smallest program that honours both SageMaker container
 * contracts, so endpoints and training jobs can be exercised without any ML stack.
 *
 *   main.js serve  model server on 127.0.0.1:$SAGEMAKER_BIND_TO_PORT; GET /ping → 200;
 *                  POST /invocations → the request body, unchanged, with its Content-Type.
 *   main.js train  reads every file of every channel under <input>/data/*, writes
 *                  <model>/echo-model.json, prints `train:bytes=<n>`, exits 0.
 *
 * Dependency-free on purpose: it runs with nothing but Node.
 */
import { createServer } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
/** The toolkit's override of /opt/ml; the real container path is the fallback. */
const baseDir = env.SAGEMAKER_BASE_DIR ?? '/opt/ml';

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
    if (req.method === 'POST' && path === '/invocations') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, {
          'Content-Type': req.headers['content-type'] ?? 'application/octet-stream',
          'Content-Length': body.length,
          'X-Slipway-Variant': env.SLIPWAY_VARIANT_NAME ?? '',
          'X-Slipway-Instance': env.SLIPWAY_INSTANCE_ID ?? '',
        });
        res.end(body);
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
