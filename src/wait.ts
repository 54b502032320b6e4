/**
 * Waits for `work` to settle, but no longer than `ms`. The timer is cleared as soon as the work
 * is done: a bare `Promise.race([work, sleep(ms)])` leaves the timer running, and a pending
 * timer keeps Node's event loop (so a stopped server's process) alive until it fires.
 */
export async function atMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work.then(() => undefined, () => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
