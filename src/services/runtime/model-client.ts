/**
 * The HTTP client from Slipway to model server instances (`POST /invocations` on the
 * instance's loopback port). undici's dispatcher with pooled keep-alive connections: it
 * writes each request in one syscall and parses answers with llhttp, which costs under half
 * the CPU of `node:http`'s client (the proxy is held to ≥ 50 % of calling the model directly;
 * see bench/invoke.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/**
 * Pooled keep-alive connections to every instance (one pool per address; no pipelining: a
 * model server answers one request per connection at a time). undici is loaded with the
 * first invocation: it adds ~20 MB of RSS that a control-plane-only server never needs.
 */
let dispatcher: Dispatcher | undefined;
let loading: Promise<Dispatcher> | undefined;
function loadDispatcher(): Promise<Dispatcher> {
  loading ??= import('undici').then(({ Agent }) => (dispatcher = new Agent({ connections: 512, pipelining: 1, keepAliveTimeout: 4_000 })));
  return loading;
}

export interface ModelAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The instance could not be reached, or hung up before answering (safe to try another instance). */
export class ModelUnreachableError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ModelUnreachableError';
  }
}

/** No complete answer within the invocation timeout. */
export class ModelTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'ModelTimeoutError';
  }
}

/** One invocation's state, as undici's handler: collects the answer, settles the promise once. */
class Invocation implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly timer: NodeJS.Timeout;
  private settled = false;

  constructor(
    private readonly resolve: (a: ModelAnswer) => void,
    private readonly reject: (e: Error) => void,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.fail(new ModelTimeoutError(timeoutMs));
      this.controller?.abort(new ModelTimeoutError(timeoutMs));
    }, timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Timed out while queued for a connection: do not send it at all.
    if (this.settled) controller.abort(new Error('invocation already settled'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.fail(this.status ? new ModelUnreachableError(`the model server hung up mid-answer: ${err.message}`, code) : new ModelUnreachableError(err.message, code));
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.reject(err);
  }
}

/** POSTs `body` to `http://<address>/invocations`; the answer is collected once, as the response body. */
export function invokeModel(address: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<ModelAnswer> {
  if (!dispatcher) return loadDispatcher().then(() => invokeModel(address, body, headers, timeoutMs));
  const d = dispatcher;
  return new Promise<ModelAnswer>((resolve, reject) => {
    d.dispatch(
      { origin: `http://${address}`, method: 'POST', path: '/invocations', headers, body, headersTimeout: 0, bodyTimeout: 0 },
      new Invocation(resolve, reject, timeoutMs),
    );
  });
}
