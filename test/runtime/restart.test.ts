import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backoffDelay, Supervisor } from '../../src/runtime/restart.js';
import { ProcessBackend } from '../../src/runtime/process-backend.js';
import type { ExitStatus } from '../../src/runtime/backend.js';

describe('restart backoff policy', () => {
  it('doubles from the base delay and stays at the cap', () => {
    const policy = { baseMs: 100, factor: 2, maxMs: 1000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 50, 5000].map((a) => backoffDelay(a, policy)),
      [100, 200, 400, 800, 1000, 1000, 1000, 1000],
    );
  });
  it('refuses nonsense', () => {
    assert.throws(() => backoffDelay(-1), RangeError);
    assert.throws(() => backoffDelay(0, { baseMs: 10, factor: 0.5, maxMs: 100 }), RangeError);
  });
});

describe('Supervisor', { timeout: 20_000 }, () => {
  const backend = new ProcessBackend();
  let root: string;
  let sup: Supervisor | undefined;
  before(() => (root = mkdtempSync(join(tmpdir(), 'slipway-sup-'))));
  after(async () => {
    await sup?.stop(0);
    rmSync(root, { recursive: true, force: true });
  });

  it('restarts a crashing instance with growing delays, then gives up after maxRestarts', async () => {
    const crashes: Array<{ status: ExitStatus; attempt: number }> = [];
    const waits: number[] = [];
    let gaveUp = '';
    let starts = 0;
    sup = new Supervisor(
      backend,
      { id: 'crashy', role: 'train', resolved: { command: [process.execPath, '-e', 'process.exit(7)'] }, baseDir: join(root, 'crashy') },
      {
        maxRestarts: 2,
        policy: { baseMs: 10, factor: 3, maxMs: 1000 },
        onStart: () => void starts++,
        onCrash: (status, attempt) => crashes.push({ status, attempt }),
        onGiveUp: (reason) => (gaveUp = reason),
        sleep: async (ms) => void waits.push(ms),
      },
    );
    await sup.start();
    await sup.done;
    assert.equal(starts, 3, 'first start plus two restarts');
    assert.deepEqual(waits, [10, 30]);
    assert.deepEqual(crashes.map((c) => [c.attempt, c.status.code, c.status.stopRequested]), [
      [0, 7, false],
      [1, 7, false],
      [2, 7, false],
    ]);
    assert.match(gaveUp, /crashy crashed 3 times in a row/);
  });

  it('does not restart an instance that was stopped on purpose', async () => {
    let starts = 0;
    let crashes = 0;
    sup = new Supervisor(
      backend,
      { id: 'steady', role: 'train', resolved: { command: [process.execPath, '-e', 'setInterval(()=>{},1000)'] }, baseDir: join(root, 'steady') },
      { maxRestarts: 5, onStart: () => void starts++, onCrash: () => void crashes++, sleep: async () => {} },
    );
    await sup.start();
    const status = await sup.stop(2000);
    await sup.done;
    assert.equal(status?.signal, 'SIGTERM');
    assert.equal(status?.stopRequested, true);
    assert.deepEqual([starts, crashes], [1, 0]);
  });
});
