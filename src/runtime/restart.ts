import type { Backend, ExitStatus, RunHandle, RunSpec } from './backend.js';

/** Exponential backoff, capped: how long to wait before restart number `attempt` (0-based). */
export interface BackoffPolicy {
  /** Delay before the first restart. */
  baseMs: number;
  /** Multiplier per further attempt (2 doubles). */
  factor: number;
  /** Upper bound for any single delay. */
  maxMs: number;
}

/** Close to what Kubernetes does for a crash-looping container (10 s doubling to 5 min), scaled for a laptop. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, factor: 2, maxMs: 60_000 };

/** Pure: the delay before restart `attempt` (0-based) — `min(maxMs, baseMs * factor^attempt)`. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer: ${attempt}`);
  if (policy.baseMs < 0 || policy.factor < 1 || policy.maxMs < policy.baseMs) throw new RangeError('invalid backoff policy');
  // Computed in steps so a large attempt cannot overflow to Infinity before the cap applies.
  let delay = policy.baseMs;
  for (let i = 0; i < attempt && delay < policy.maxMs; i++) delay *= policy.factor;
  return Math.min(policy.maxMs, delay);
}

export interface SupervisorOptions {
  policy?: BackoffPolicy;
  /** Give up after this many restarts in a row (bounded: a broken image must not loop forever). */
  maxRestarts: number;
  /** An instance that ran this long before crashing resets the attempt count. */
  stableAfterMs?: number;
  /** Called for every crash (exit not requested by stop), before the backoff wait. */
  onCrash?: (status: ExitStatus, attempt: number) => void;
  /** Called after each successful (re)start, e.g. to wait for health and re-register the address. */
  onStart?: (handle: RunHandle) => void | Promise<void>;
  /** Called once when restarts are exhausted or a restart cannot start. */
  onGiveUp?: (reason: string) => void;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Keeps one instance running: when it crashes (an exit nobody asked for), waits the backoff
 * delay and starts it again, up to `maxRestarts` times in a row. `stop` ends supervision and
 * stops the current instance with the usual grace.
 */
export class Supervisor {
  private current?: RunHandle;
  private stopped = false;
  private restarts = 0;
  private wake?: () => void;
  /** Resolves when supervision ends (stopped or given up). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly backend: Backend,
    private readonly spec: RunSpec,
    private readonly opts: SupervisorOptions,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get handle(): RunHandle | undefined {
    return this.current;
  }

  get restartCount(): number {
    return this.restarts;
  }

  async start(): Promise<RunHandle> {
    const h = await this.backend.start(this.spec);
    this.watch(h);
    return h;
  }

  async stop(graceMs: number): Promise<ExitStatus | undefined> {
    this.stopped = true;
    this.wake?.();
    const h = this.current;
    const status = h ? await this.backend.stop(h, graceMs) : undefined;
    this.resolveDone();
    return status;
  }

  private watch(h: RunHandle): void {
    this.current = h;
    const now = this.opts.now ?? Date.now;
    const startedAt = now();
    void Promise.resolve(this.opts.onStart?.(h)).catch(() => {});
    void h.exited.then(async (status) => {
      if (this.stopped || status.stopRequested) return this.resolveDone();
      if (this.opts.stableAfterMs !== undefined && now() - startedAt >= this.opts.stableAfterMs) this.restarts = 0;
      const attempt = this.restarts;
      this.opts.onCrash?.(status, attempt);
      if (attempt >= this.opts.maxRestarts) {
        this.opts.onGiveUp?.(`instance ${h.id} crashed ${attempt + 1} times in a row`);
        return this.resolveDone();
      }
      const delay = backoffDelay(attempt, this.opts.policy);
      let timer: NodeJS.Timeout | undefined;
      const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => (timer = setTimeout(r, ms))));
      // A stop during the wait must not leave a fresh instance behind: wake early and bail
      // (and clear the backoff timer, which would otherwise hold a stopped server's process open).
      await Promise.race([sleep(delay), new Promise<void>((r) => (this.wake = r))]);
      clearTimeout(timer);
      if (this.stopped) return this.resolveDone();
      this.restarts = attempt + 1;
      try {
        const next = await this.backend.start(this.spec);
        // stop() arrived while this start was in flight: do not leave the new instance running.
        if (this.stopped) {
          await this.backend.stop(next, 0);
          return this.resolveDone();
        }
        this.watch(next);
      } catch (err) {
        this.opts.onGiveUp?.(`instance ${h.id} could not be restarted: ${(err as Error).message}`);
        this.resolveDone();
      }
    });
  }
}
