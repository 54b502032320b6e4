import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListModelsCommand } from '@aws-sdk/client-sagemaker';
import { startTestServer } from './helpers/server.js';
import { atMost } from '../src/wait.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('stopping Slipway', () => {
  it('close() leaves no timer running (a pending timer would hold the embedding process open for up to the 30 s grace)', async () => {
    const before = timers();
    // Production timings (no test overrides): the async-invocation grace is 30 s, the others 5–10 s.
    const t = await startTestServer();
    await t.sagemaker.send(new ListModelsCommand({}));
    await t.close();
    assert.equal(timers(), before);
  });

  it('atMost: resolves when the work settles (even by failing) and clears its timer; stops waiting at the limit', async () => {
    const before = timers();
    await atMost(Promise.resolve(), 60_000);
    await atMost(Promise.reject(new Error('failed work is only waited for')), 60_000);
    assert.equal(timers(), before);
    const started = Date.now();
    await atMost(new Promise(() => {}), 50);
    assert.ok(Date.now() - started >= 45);
    assert.equal(timers(), before);
  });
});
