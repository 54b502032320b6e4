/**
 * The HTTP client from Slipway to model server instances (`POST /invocations` on the
 * instance's loopback port). One pooled keep-alive agent for every instance: the proxy
 * must not pay a TCP handshake per invocation (the benchmark holds it to ≥ 50 % of calling
 * the model directly).
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** Pooled connections; LIFO keeps a few hot sockets busy instead of waking every idle one. */
export const modelAgent = new Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' });

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

/** POSTs `body` to `http://<address>/invocations`; the answer is collected once, as the response body. */
export function invokeModel(address: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<ModelAnswer> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return new Promise<ModelAnswer>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | undefined, answer?: ModelAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(answer!);
    };
    const req = request(
      { host, port, method: 'POST', path: '/invocations', agent: modelAgent, headers: { ...headers, 'Content-Length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
        });
        res.on('end', () => done(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
        res.on('error', (err) => done(new ModelUnreachableError(`the model server hung up mid-answer: ${err.message}`, (err as NodeJS.ErrnoException).code)));
        res.on('aborted', () => done(new ModelUnreachableError('the model server hung up mid-answer', 'ECONNRESET')));
      },
    );
    const timer = setTimeout(() => {
      done(new ModelTimeoutError(timeoutMs));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => done(new ModelUnreachableError(err.message, (err as NodeJS.ErrnoException).code)));
    req.end(body);
  });
}
