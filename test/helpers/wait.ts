import assert from 'node:assert/strict';

/** Polls `get` until it returns something other than undefined (its value), or fails the test after `timeoutMs`. */
export async function until<T>(what: string, get: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  assert.fail(`timed out waiting for ${what}`);
}
