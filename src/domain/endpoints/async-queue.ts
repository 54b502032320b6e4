/**
 * Asynchronous inference (InvokeEndpointAsync) as AWS runs it: "Inference requests sent to
 * this API are enqueued for asynchronous processing" (InvokeEndpointAsync API reference).
 * Each endpoint has a durable FIFO queue in the store; a worker per endpoint drains it.
 *
 * - Accept: the request (its input, output and failure locations, headers, TTL, timeout) is
 *   written to the store before InvokeEndpointAsync answers 202, so an acknowledged request
 *   survives a crash (`kill -9`) of Slipway.
 * - Drain: entries run in arrival order with at most
 *   `AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance` in flight per
 *   healthy instance ("the maximum number of concurrent requests sent by the SageMaker
 *   client to the model container"). While the endpoint has no healthy instance (Slipway
 *   restarting it, an instance restarting after a crash, a fleet being replaced) requests
 *   wait in the queue instead of failing.
 * - `RequestTTLSeconds` ("maximum age in seconds a request can be in the queue before it is
 *   marked as expired", default 6 hours): a request still waiting after it is not run; a
 *   failure document is written to its failure location instead.
 *   `InvocationTimeoutSeconds` (default 15 minutes) bounds the model call.
 * - Outcome: the model's answer goes to the output location the 202 named; a failure (the
 *   model's error response, a timeout, a missing input object, an expired TTL) to the failure
 *   location ("S3FailurePath: the Amazon S3 location to upload failure inference responses
 *   to"). The entry is removed from the store only after its document is written: a crash in
 *   between runs it again (at-least-once, like AWS's own queue).
 * - Restart: queued entries and the ones that were in flight run again once their endpoint
 *   serves; entries of an endpoint that no longer exists are dropped. DeleteEndpoint drops
 *   the endpoint's queue (the endpoint controller calls {@link AsyncInvocations.dropEndpoint}).
 * - Shutdown: nothing new is taken from the queues; in-flight invocations get the hosting
 *   stop grace to finish (their outcome is written and the entry removed); whatever is still
 *   running then is abandoned without writing anything and runs again after the restart. So
 *   nothing acknowledged is lost and nothing is reported twice with different outcomes.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { AwsError } from '../../errors.js';
import type { ObjectStore } from '../../objects/object-store.js';
import type { QueueEntry, Scope, Store } from '../../store/store.js';
import type { EndpointController, LiveEndpoint, LiveVariant } from './controller.js';
import { ENDPOINT_KIND } from './endpoint.js';
import { ContainerTargetError } from './containers.js';
import { atMost } from '../../wait.js';

/**
 * MaxConcurrentInvocationsPerInstance when the endpoint config leaves it out. AWS only says
 * "If no value is provided, SageMaker chooses an optimal value". Slipway's documented choice is
 * 1: the container contract does not promise that a model server answers several requests at
 * once (many single-worker servers do not), one at a time never overloads an instance, and
 * it drains in strict arrival order per instance. Set the value for more parallelism.
 */
export const DEFAULT_MAX_CONCURRENT_INVOCATIONS_PER_INSTANCE = 1;
/** InvokeEndpointAsync API reference: "The default is 6 hours, or 21,600 seconds." */
export const DEFAULT_REQUEST_TTL_SECONDS = 21_600;
/** InvokeEndpointAsync API reference: "The default is 15 minutes, or 900 seconds." */
export const DEFAULT_INVOCATION_TIMEOUT_SECONDS = 900;

/** How often a queue that waits (no capacity, or entries that may expire) looks again. */
const POLL_MS = 200;
/** Waiting entries are checked for an expired TTL at most this often (one pass over the queue). */
const SWEEP_MS = 1000;
/** After an entry was put back (endpoint not serving), the queue rests this long before trying again. */
const RETRY_PAUSE_MS = 250;
/** A model server that drops the connection (crashed) gets the request again this many times. */
const MAX_UNREACHABLE_RETRIES = 3;

/** One accepted request as the queue stores it. */
export interface AsyncRequest {
  /** The endpoint name as the caller wrote it. */
  endpoint: string;
  inferenceId: string;
  inputLocation: string;
  /** Absent when the endpoint config has only an S3FailurePath. */
  outputLocation?: string;
  failureLocation: string;
  /** The caller's ContentType (data capture reports it as the observed input type). */
  contentType?: string;
  /** Headers for the model: Content-Type, Accept, custom attributes, inference id. */
  headers: Record<string, string>;
  requestTtlSeconds: number;
  invocationTimeoutSeconds: number;
}

export interface AsyncInvocation {
  body: Buffer;
  headers: Record<string, string>;
  targetVariant?: string;
  timeoutMs: number;
}

export interface AsyncInvoked {
  endpoint: LiveEndpoint;
  variant: { name: string };
  answer: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };
}

/**
 * One invocation through the endpoint's router (injected: the Runtime's `invokeThrough`, so
 * async calls take exactly InvokeEndpoint's path and errors). Rejects with AwsError
 * `ServiceUnavailable` (nothing healthy), `ValidationError` (endpoint or variant not serving)
 * or `ModelError`.
 */
export type AsyncInvoker = (scope: Scope, endpoint: string, inv: AsyncInvocation) => Promise<AsyncInvoked>;

export interface AsyncQueueDeps {
  config: Config;
  store: Store;
  objects: ObjectStore;
  clock: { now(): number };
  log: Logger;
  endpoints: EndpointController;
  invoke: AsyncInvoker;
}

type Entry = QueueEntry<AsyncRequest> & { unreachable?: number };

/** Arrival-ordered entries waiting for a slot; O(1) take from the front. */
class Waiting {
  private items: Entry[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  peek(): Entry | undefined {
    return this.items[this.head];
  }
  take(): Entry | undefined {
    const e = this.items[this.head];
    if (e === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as Entry;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return e;
  }
  push(e: Entry): void {
    this.items.push(e);
  }
  /** Back into its arrival position (an entry that could not run yet). */
  putBack(e: Entry): void {
    let i = this.head;
    while (i < this.items.length && this.items[i]!.seq < e.seq) i++;
    if (i === this.head && this.head > 0) this.items[--this.head] = e;
    else this.items.splice(i, 0, e);
  }
  /** Removes and returns every entry `pred` selects, keeping the others in order. */
  extract(pred: (e: Entry) => boolean): Entry[] {
    const out: Entry[] = [];
    const keep: Entry[] = [];
    for (let i = this.head; i < this.items.length; i++) (pred(this.items[i]!) ? out : keep).push(this.items[i]!);
    if (out.length) (this.items = keep), (this.head = 0);
    return out;
  }
}

/** One endpoint's queue in memory: what waits, what runs, and the variant split state. */
class EndpointQueue {
  readonly waiting = new Waiting();
  inFlight = 0;
  readonly byVariant = new Map<string, number>();
  /** Smooth weighted round-robin state per variant (kept here: the live router's is for InvokeEndpoint). */
  readonly wrr = new Map<string, number>();
  timer: NodeJS.Timeout | undefined;
  lastSweep = 0;
  restUntil = 0;
  /** The endpoint was deleted: nothing more runs and no outcome is written. */
  dropped = false;
  constructor(
    readonly scope: Scope,
    readonly name: string,
  ) {}
}

const queueKey = (s: Scope, name: string) => `${s.account}/${s.region}/${name.toLowerCase()}`;

/** Why a request did not produce an output. */
class Failure extends Error {
  constructor(
    message: string,
    readonly body: Buffer = Buffer.from(message),
    readonly contentType = 'text/plain',
  ) {
    super(message);
  }
}

/**
 * An S3 object location as InvokeEndpointAsync accepts it (pattern `^(https|s3)://([^/]+)/?(.*)$`):
 * `s3://bucket/key`, or the https forms of an S3 object URL, virtual-hosted
 * (`https://bucket.s3.region.amazonaws.com/key`) or path style
 * (`https://s3.region.amazonaws.com/bucket/key`). Throws on anything else.
 */
export function parseObjectLocation(uri: string): { bucket: string; key: string } {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (s3) return { bucket: s3[1]!, key: s3[2]! };
  const https = /^https:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (https) {
    const host = https[1]!.toLowerCase();
    const path = https[2]!;
    const virtual = /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.exec(host);
    if (virtual) return { bucket: virtual[1]!, key: decodeURIComponent(path) };
    if (/^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.test(host)) {
      const slash = path.indexOf('/');
      if (slash > 0 && slash < path.length - 1) return { bucket: path.slice(0, slash), key: decodeURIComponent(path.slice(slash + 1)) };
    }
  }
  throw new Error(`not an S3 object location: ${uri}`);
}

export class AsyncInvocations {
  private readonly queues = new Map<string, EndpointQueue>();
  private readonly background = new Set<Promise<unknown>>();
  /** No entry is taken from a queue any more. */
  private stopping = false;
  /** Shutdown's grace is over: late outcomes are not written (the entries run again after the restart). */
  private abandoned = false;

  constructor(private readonly deps: AsyncQueueDeps) {}

  // ---------------------------------------------------------------- lifecycle

  /** Loads every stored queue; entries of endpoints that no longer exist are dropped. */
  async start(): Promise<void> {
    const { store, log } = this.deps;
    const groups = new Map<string, Array<QueueEntry<AsyncRequest> & Scope>>();
    for (const e of await store.scanQueues<AsyncRequest>()) {
      const k = queueKey(e, e.queue);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(e);
    }
    for (const entries of groups.values()) {
      const first = entries[0]!;
      const scope = { account: first.account, region: first.region };
      if (!(await store.get(scope, ENDPOINT_KIND, first.queue))) {
        const n = await store.dropQueue(scope, first.queue);
        log.info({ endpoint: first.data.endpoint, dropped: n }, 'async invocations of a deleted endpoint dropped');
        continue;
      }
      const q = this.queueFor(scope, first.data.endpoint);
      for (const { account: _a, region: _r, ...e } of entries) q.waiting.push(e);
      log.info({ endpoint: first.data.endpoint, queued: entries.length }, 'async invocations resumed');
      this.pump(q);
    }
  }

  /**
   * Takes nothing more from the queues and gives in-flight invocations the hosting stop grace
   * to finish. Call it before the endpoint controller stops the model servers.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const q of this.queues.values()) clearTimeout(q.timer);
    const grace = this.deps.config.timing.hostingStopGraceMs;
    await atMost(Promise.allSettled([...this.background]), grace);
    this.abandoned = true;
  }

  // ---------------------------------------------------------------- operations

  /** Persists an accepted request (durable when this resolves), then hands it to the endpoint's worker. */
  async accept(scope: Scope, request: AsyncRequest): Promise<QueueEntry<AsyncRequest>> {
    const s = { account: scope.account, region: scope.region };
    const entry = await this.deps.store.enqueue(s, request.endpoint.toLowerCase(), this.deps.clock.now(), request);
    const q = this.queueFor(s, request.endpoint);
    q.waiting.push({ ...entry });
    this.pump(q);
    return entry;
  }

  /** The endpoint is being deleted: its waiting requests are dropped, in-flight outcomes discarded. */
  async dropEndpoint(scope: Scope, name: string): Promise<void> {
    const k = queueKey(scope, name);
    const q = this.queues.get(k);
    if (q) {
      q.dropped = true;
      clearTimeout(q.timer);
      this.queues.delete(k);
    }
    const n = await this.deps.store.dropQueue({ account: scope.account, region: scope.region }, name.toLowerCase());
    if (n) this.deps.log.info({ endpoint: name, dropped: n }, 'async invocations dropped with their endpoint');
  }

  /** Requests waiting and running for an endpoint (operators, tests). */
  depth(scope: Scope, name: string): { waiting: number; inFlight: number } {
    const q = this.queues.get(queueKey(scope, name));
    return { waiting: q?.waiting.length ?? 0, inFlight: q?.inFlight ?? 0 };
  }

  // ---------------------------------------------------------------- the worker

  private queueFor(scope: Scope, name: string): EndpointQueue {
    const k = queueKey(scope, name);
    let q = this.queues.get(k);
    if (!q) this.queues.set(k, (q = new EndpointQueue(scope, name)));
    return q;
  }

  /** Starts what the endpoint has room for, expires what waited too long, and looks again later if anything waits. */
  private pump(q: EndpointQueue): void {
    if (q.dropped || this.stopping) return;
    clearTimeout(q.timer);
    q.timer = undefined;
    const now = this.deps.clock.now();
    if (now - q.lastSweep >= SWEEP_MS || now < q.lastSweep) {
      q.lastSweep = now;
      for (const e of q.waiting.extract((e) => this.expired(e, now))) this.expire(q, e);
    }
    const ep = this.deps.endpoints.endpoint(q.scope, q.name);
    if (ep && Date.now() >= q.restUntil) {
      const limit = ep.asyncConfig?.ClientConfig?.MaxConcurrentInvocationsPerInstance ?? DEFAULT_MAX_CONCURRENT_INVOCATIONS_PER_INSTANCE;
      while (q.waiting.length) {
        const head = q.waiting.peek()!;
        if (this.expired(head, now)) {
          q.waiting.take();
          this.expire(q, head);
          continue;
        }
        const variant = pickVariant(q, ep, limit);
        if (!variant) break;
        q.waiting.take();
        this.dispatch(q, head, variant.name);
      }
    }
    if (q.waiting.length) {
      q.timer = setTimeout(() => this.pump(q), POLL_MS);
      q.timer.unref();
    } else if (q.inFlight === 0 && this.queues.get(queueKey(q.scope, q.name)) === q) {
      // Idle: forget it (the next request creates it again).
      this.queues.delete(queueKey(q.scope, q.name));
    }
  }

  /**
   * Expired once it waited longer than its TTL. An entry that a worker had already taken
   * (in flight when Slipway stopped) is not expired for its age: its TTL counts again from
   * when it was taken, so it runs again after the restart unless the endpoint stays away.
   */
  private expired(e: Entry, now: number): boolean {
    return now - (e.startedAt ?? e.enqueuedAt) > e.data.requestTtlSeconds * 1000;
  }

  private track(task: Promise<unknown>): void {
    const p = task.catch((err) => this.deps.log.error({ err }, 'async invocation task failed'));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private expire(q: EndpointQueue, e: Entry): void {
    // Slipway's wording: AWS documents the expiry but not the text of the failure document.
    const f = new Failure(
      `Request expired: it waited in the queue of endpoint ${e.data.endpoint} for longer than its RequestTTLSeconds (${e.data.requestTtlSeconds}) before an instance could take it, so it was not processed.`,
    );
    this.deps.log.info({ endpoint: e.data.endpoint, inferenceId: e.data.inferenceId }, 'async invocation expired in the queue');
    this.track(this.finish(q, e, { failure: f }));
  }

  private dispatch(q: EndpointQueue, e: Entry, variant: string): void {
    q.inFlight++;
    q.byVariant.set(variant, (q.byVariant.get(variant) ?? 0) + 1);
    this.track(
      this.run(q, e, variant).finally(() => {
        q.inFlight--;
        q.byVariant.set(variant, q.byVariant.get(variant)! - 1);
        this.pump(q);
      }),
    );
  }

  private async run(q: EndpointQueue, e: Entry, variant: string): Promise<void> {
    const { store, objects, clock } = this.deps;
    const req = e.data;
    // Recorded before the model is called: after a restart an entry that was taken runs again.
    e.startedAt = clock.now();
    if (!(await store.markQueueEntry(e.seq, e.startedAt))) return; // dropped meanwhile
    let input: Buffer;
    try {
      input = await this.readInput(req.inputLocation);
    } catch (err) {
      return this.finish(q, e, { failure: err instanceof Failure ? err : new Failure((err as Error).message) });
    }
    let got: AsyncInvoked;
    try {
      got = await this.deps.invoke(q.scope, req.endpoint, { body: input, headers: req.headers, targetVariant: variant, timeoutMs: req.invocationTimeoutSeconds * 1000 });
    } catch (err) {
      if (this.retryable(e, err)) return this.putBack(q, e);
      return this.finish(q, e, { failure: failureOf(err) });
    }
    const contentType = (got.answer.headers['content-type'] as string | undefined) ?? 'application/octet-stream';
    got.endpoint.capture?.record({
      variant: got.variant.name,
      inputContentType: req.contentType,
      input,
      outputContentType: contentType,
      output: got.answer.body,
      inferenceId: req.inferenceId,
      at: clock.now(),
    });
    return this.finish(q, e, { output: got.answer.body, contentType });
  }

  /** Not the request's fault: the endpoint was not serving (or the instance went away) when it ran. */
  private retryable(e: Entry, err: unknown): boolean {
    if (!(err instanceof AwsError)) return false;
    // A call the endpoint's model refuses whatever its state (no TargetContainerHostname for
    // direct invocation, after an update to such a model): retrying cannot help.
    if (err instanceof ContainerTargetError) return false;
    // Nothing healthy right now, or the endpoint / variant is out of routing (being restarted or replaced).
    if (err.code === 'ServiceUnavailable' || err.code === 'ValidationError') return true;
    // The model server dropped the connection (crashed): the request goes to the next instance
    // that serves, a few times, so one that crashes every server it reaches still fails.
    if (err.code === 'ModelError' && err.extra.OriginalStatusCode === 0 && /could not be reached/.test(String(err.extra.OriginalMessage))) {
      e.unreachable = (e.unreachable ?? 0) + 1;
      return e.unreachable <= MAX_UNREACHABLE_RETRIES;
    }
    return false;
  }

  private async putBack(q: EndpointQueue, e: Entry): Promise<void> {
    if (q.dropped || this.stopping) return; // stays in the store as taken: runs again after the restart
    e.startedAt = undefined;
    if (!(await this.deps.store.markQueueEntry(e.seq, undefined))) return;
    if (q.dropped || this.stopping) return;
    q.waiting.putBack(e);
    q.restUntil = Date.now() + RETRY_PAUSE_MS;
  }

  private async readInput(location: string): Promise<Buffer> {
    const missing = () => new Failure(`Could not find the input at ${location}.`);
    let where: { bucket: string; key: string };
    try {
      where = parseObjectLocation(location);
    } catch {
      throw missing();
    }
    let got: Awaited<ReturnType<ObjectStore['get']>>;
    try {
      got = await this.deps.objects.get(where.bucket, where.key);
    } catch (err) {
      if (err instanceof AwsError && (err.code === 'NoSuchBucket' || err.code === 'NoSuchKey' || err.code === 'InvalidBucketName')) throw missing();
      throw err;
    }
    if (!got) throw missing();
    const chunks: Buffer[] = [];
    for await (const c of got.body) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Writes the outcome document where the 202 said, then removes the entry. */
  private async finish(q: EndpointQueue, e: Entry, outcome: { output: Buffer; contentType: string } | { failure: Failure }): Promise<void> {
    const { store, log } = this.deps;
    const req = e.data;
    if (q.dropped || this.abandoned) return;
    if ('output' in outcome) {
      if (req.outputLocation) {
        try {
          await this.write(req.outputLocation, outcome.output, outcome.contentType);
        } catch (err) {
          outcome = { failure: new Failure(`Could not write the inference output to ${req.outputLocation}: ${(err as Error).message}`) };
        }
      }
    }
    if ('failure' in outcome) {
      try {
        await this.write(req.failureLocation, outcome.failure.body, outcome.failure.contentType);
      } catch (err) {
        // Nowhere left to report it (the failure bucket is gone): the log keeps it.
        log.error({ err, endpoint: req.endpoint, inferenceId: req.inferenceId, reason: outcome.failure.message }, 'async invocation failure could not be written');
      }
    }
    if (q.dropped || this.abandoned) return;
    await store.dequeue(e.seq);
  }

  private async write(location: string, body: Buffer, contentType: string): Promise<void> {
    const { bucket, key } = parseObjectLocation(location);
    await this.deps.objects.put(bucket, key, body, { contentType });
  }
}

/**
 * A production variant with room for one more: weight > 0, healthy instances, and fewer
 * than `limit` × healthy instances of this queue's calls in flight. Among those, smooth
 * weighted round-robin (as the router splits InvokeEndpoint traffic). The router then sends
 * the call to the variant's least-outstanding instance, which therefore has fewer than
 * `limit` in flight: the per-instance bound holds without pinning instances.
 */
function pickVariant(q: EndpointQueue, ep: LiveEndpoint, limit: number): LiveVariant | undefined {
  let best: LiveVariant | undefined;
  let bestCurrent = 0;
  let total = 0;
  for (const v of ep.variants) {
    if (!(v.weight > 0)) continue;
    let healthy = 0;
    for (const i of v.instances) if (i.healthy) healthy++;
    if (healthy === 0 || (q.byVariant.get(v.name) ?? 0) >= limit * healthy) continue;
    const current = (q.wrr.get(v.name) ?? 0) + v.weight;
    q.wrr.set(v.name, current);
    total += v.weight;
    if (!best || current > bestCurrent) (best = v), (bestCurrent = current);
  }
  if (best) q.wrr.set(best.name, bestCurrent - total);
  return best;
}

/**
 * The failure document for a failed model call: the model's own error response when it
 * answered (S3FailurePath holds "failure inference responses"), else the error's message
 * (a timeout, a server that could not be reached).
 */
function failureOf(err: unknown): Failure {
  if (err instanceof AwsError && err.code === 'ModelError' && typeof err.extra.OriginalStatusCode === 'number' && err.extra.OriginalStatusCode > 0) {
    return new Failure(err.message, Buffer.from(String(err.extra.OriginalMessage ?? '')));
  }
  return new Failure(err instanceof Error ? err.message : String(err));
}
