/**
 * The streaming HTTP request from Slipway to a model server: `POST /invocations-response-stream`
 * (SageMaker's contract for InvokeEndpointWithResponseStream), whose answer the container
 * writes piece by piece (chunked transfer encoding). Unlike `invokeModel` the answer is not
 * collected: its chunks are handed on as they arrive, so a client sees the first part while
 * the model is still producing the rest.
 *
 * Shares the pooled keep-alive agent and the pre-answer error types of the model client: a
 * server that cannot be reached or hangs up before its response headers is
 * `ModelUnreachableError` (safe to try another instance), no headers within the timeout is
 * `ModelTimeoutError`. Failures after the headers can no longer be retried and end the
 * stream with `ModelStreamBrokenError` or `ModelStreamTimeoutError`.
 */
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { ModelTimeoutError, ModelUnreachableError } from './model-client.js';

/** Pooled keep-alive connections for streamed answers (a Node stream per answer); LIFO keeps a few hot sockets busy. */
const streamAgent = new Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' });

/** SageMaker's path for streaming invocations on the container. */
export const STREAM_PATH = '/invocations-response-stream';

/** The model server closed or reset the connection before ending its streamed answer (AWS: ErrorCode StreamBroken). */
export class ModelStreamBrokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelStreamBrokenError';
  }
}

/** The streamed answer did not end within the invocation timeout (AWS: ErrorCode ModelInvocationTimeExceeded). */
export class ModelStreamTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the model did not finish its answer within ${timeoutMs} ms`);
    this.name = 'ModelStreamTimeoutError';
  }
}

export interface ModelStream {
  status: number;
  headers: IncomingHttpHeaders;
  /**
   * The answer's bytes, chunk by chunk as they arrive; iterate once. Ends when the model ends
   * its answer, or throws ModelStreamBrokenError / ModelStreamTimeoutError.
   */
  chunks: AsyncIterable<Buffer>;
  /** The whole answer as text (for a non-2xx answer, whose text goes into ModelError). */
  text(): Promise<string>;
  /** Stops reading and drops the connection if the answer has not ended (the client went away); idempotent. */
  close(): void;
}

/**
 * POSTs `body` to `http://<address>/invocations-response-stream` and resolves once the
 * response headers arrive. `timeoutMs` bounds the whole invocation: before the headers it
 * rejects with ModelTimeoutError, afterwards it ends the chunks with ModelStreamTimeoutError.
 */
export function openModelStream(address: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<ModelStream> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return new Promise<ModelStream>((resolve, reject) => {
    let response: IncomingMessage | undefined;
    let settled = false;
    let ended = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(() => {
      if (!response) {
        fail(new ModelTimeoutError(timeoutMs));
        req.destroy();
      } else if (!ended) {
        // Destroying with the error makes the chunk iterator throw it.
        response.destroy(new ModelStreamTimeoutError(timeoutMs));
      }
    }, timeoutMs);
    const req = request(
      { host, port, method: 'POST', path: STREAM_PATH, agent: streamAgent, headers: { ...headers, 'Content-Length': String(body.length) } },
      (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        response = res;
        const finish = () => {
          ended = true;
          clearTimeout(timer);
        };
        res.once('close', finish);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          chunks: chunksOf(res, finish),
          async text() {
            const parts: Buffer[] = [];
            try {
              for await (const c of chunksOf(res, finish)) parts.push(c);
            } catch (err) {
              parts.push(Buffer.from(` [${(err as Error).message}]`));
            }
            return Buffer.concat(parts).toString('utf8');
          },
          close() {
            finish();
            if (!res.complete) res.destroy();
          },
        });
      },
    );
    req.on('error', (err) => fail(new ModelUnreachableError(err.message, (err as NodeJS.ErrnoException).code)));
    req.end(body);
  });
}

/** Chunks queued before the response is paused (backpressure towards the model). */
const HIGH_WATER = 16;

/**
 * The response body as Buffers, with the ways it can end early turned into the stream errors
 * above. Read through 'data' events into a queue rather than the stream's own async iterator:
 * that iterator drops whatever was received but not yet read when the connection fails, and
 * a model that writes its last part and then crashes must still have that part delivered.
 */
function chunksOf(res: IncomingMessage, finish: () => void): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator]() {
      const queue: Buffer[] = [];
      let ended = false;
      let failure: Error | undefined;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      res.on('data', (c: Buffer) => {
        queue.push(c);
        if (queue.length >= HIGH_WATER) res.pause();
        notify();
      });
      res.on('end', () => {
        ended = true;
        notify();
      });
      res.on('error', (err) => {
        failure ??= err instanceof ModelStreamTimeoutError ? err : new ModelStreamBrokenError(`the model server hung up mid-answer: ${err.message}`);
        notify();
      });
      res.on('close', () => {
        // A connection closed between two chunks can end the body without an error: the
        // final zero-length chunk never came, so the answer is incomplete.
        if (!res.complete) failure ??= new ModelStreamBrokenError('the model server hung up mid-answer');
        ended = true;
        notify();
      });
      return {
        async next(): Promise<IteratorResult<Buffer>> {
          for (;;) {
            if (queue.length > 0) {
              const value = queue.shift()!;
              if (res.isPaused() && queue.length < HIGH_WATER / 2) res.resume();
              return { value, done: false };
            }
            if (failure) {
              finish();
              throw failure;
            }
            if (ended) {
              finish();
              return { value: undefined, done: true };
            }
            await new Promise<void>((r) => (wake = r));
          }
        },
        async return(): Promise<IteratorResult<Buffer>> {
          finish();
          if (!res.complete) res.destroy();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
