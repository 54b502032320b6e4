import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessBackend } from '../../src/runtime/process-backend.js';
import { ImageCatalog } from '../../src/runtime/image-catalog.js';
import type { RunHandle } from '../../src/runtime/backend.js';

// dist/test/runtime → repository root → examples/python-echo
const exampleConfig = fileURLToPath(new URL('../../../examples/python-echo/images.json', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

const backend = new ProcessBackend();
const started: RunHandle[] = [];
let root: string;
before(() => (root = mkdtempSync(join(tmpdir(), 'slipway-py-'))));
after(async () => {
  await Promise.all(started.map((h) => backend.stop(h, 0).catch(() => {})));
  rmSync(root, { recursive: true, force: true });
});

describe('examples/python-echo (bring your own server)', { timeout: 30_000 }, () => {
  it('is mapped by its images.json, becomes healthy, echoes (whole and streamed in pieces), and exits 0 on SIGTERM', { skip: !hasPython && 'python3 not installed' }, async () => {
    const catalog = new ImageCatalog({ dataDir: root, configPath: exampleConfig });
    const image = catalog.resolve('123456789012.dkr.ecr.eu-west-1.amazonaws.com/python-echo:1');
    assert.equal(image.source, 'user');
    const h = await backend.start({ id: 'py-1', role: 'serve', resolved: image, baseDir: join(root, 'py-1'), env: { SLIPWAY_VARIANT_NAME: 'v1' } });
    started.push(h);
    await backend.waitHealthy(h, 15_000);
    const [host, port] = backend.address(h)!.split(':');
    const body = Buffer.from('{"instances":[1,2,3]}');
    const res = await new Promise<{ status: number; type?: string; variant?: string; body: Buffer }>((resolve, reject) => {
      const req = request({ host, port: Number(port), method: 'POST', path: '/invocations', headers: { 'Content-Type': 'application/json' }, timeout: 5000 }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () =>
          resolve({ status: r.statusCode!, type: r.headers['content-type'], variant: r.headers['x-slipway-variant'] as string, body: Buffer.concat(chunks) }),
        );
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
    assert.deepEqual([res.status, res.type, res.variant, res.body.toString()], [200, 'application/json', 'v1', body.toString()]);

    // Streaming contract: the same answer in pieces (chunked), each leaving as it is made.
    const streamed = await new Promise<{ status: number; encoding?: string; parts: Buffer[]; at: number[] }>((resolve, reject) => {
      const t0 = Date.now();
      const req = request({ host, port: Number(port), method: 'POST', path: '/invocations-response-stream', headers: { 'Content-Type': 'application/json' }, timeout: 5000 }, (r) => {
        const parts: Buffer[] = [];
        const at: number[] = [];
        r.on('data', (c: Buffer) => (parts.push(c), at.push(Date.now() - t0)));
        r.on('end', () => resolve({ status: r.statusCode!, encoding: r.headers['transfer-encoding'], parts, at }));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
    assert.deepEqual([streamed.status, streamed.encoding, Buffer.concat(streamed.parts).toString()], [200, 'chunked', body.toString()]);
    // Four pieces 50 ms apart (STREAM_PIECES, STREAM_DELAY): the last arrives well after the first.
    assert.ok(streamed.parts.length > 1, `${streamed.parts.length} parts`);
    assert.ok(streamed.at[streamed.at.length - 1]! - streamed.at[0]! >= 100, `parts at ${streamed.at.join(', ')} ms`);
    const status = await backend.stop(h, 5000);
    assert.deepEqual([status.code, status.signal], [0, null]);
  });
});
