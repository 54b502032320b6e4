import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessBackend } from '../../src/runtime/process-backend.js';
import { ImageCatalog } from '../../src/runtime/image-catalog.js';
import type { RunHandle } from '../../src/runtime/backend.js';

const backend = new ProcessBackend();
const started: RunHandle[] = [];
let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-train-'));
});
after(async () => {
  await Promise.all(started.map((h) => backend.stop(h, 0).catch(() => {})));
  rmSync(root, { recursive: true, force: true });
});

describe('slipway/echo train', { timeout: 20_000 }, () => {
  it('reads every channel file under <base>/input/data and writes model/echo-model.json and a metric line', async () => {
    const base = join(root, 'job-1');
    mkdirSync(join(base, 'input', 'data', 'train', 'nested'), { recursive: true });
    mkdirSync(join(base, 'input', 'data', 'validation'), { recursive: true });
    writeFileSync(join(base, 'input', 'data', 'train', 'a.csv'), '1,2,3\n'); // 6 bytes
    writeFileSync(join(base, 'input', 'data', 'train', 'nested', 'b.bin'), Buffer.alloc(1000, 7));
    writeFileSync(join(base, 'input', 'data', 'validation', 'c.txt'), 'hello'); // 5 bytes

    const image = new ImageCatalog({ dataDir: root }).resolve('slipway/echo');
    const h = await backend.start({ id: 'job-1', role: 'train', resolved: image, baseDir: base });
    started.push(h);
    const status = await h.exited;
    const log = readFileSync(backend.logs(h).path, 'utf8');
    assert.equal(status.code, 0, log);
    assert.match(log, /^train:bytes=1011$/m);
    const model = JSON.parse(readFileSync(join(base, 'model', 'echo-model.json'), 'utf8'));
    assert.deepEqual(model, {
      files: 3,
      bytes: 1011,
      channels: { train: { files: 2, bytes: 1006 }, validation: { files: 1, bytes: 5 } },
    });
  });
});
