import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

/** A raw HTTP exchange with full control of headers and body (what the SDK would not send). */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function send(url: string, opts: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | Buffer[] }): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: opts.method, path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const parts = opts.body === undefined ? [] : Array.isArray(opts.body) ? opts.body : [opts.body];
    for (const p of parts) req.write(p);
    req.end();
  });
}

export const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * Signs like an S3 client: the path signed once, the given payload hash in
 * x-amz-content-sha256. Returns the headers to send, including Authorization.
 */
export async function signS3(opts: {
  url: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  payloadHash: string;
  secret?: string;
  accessKeyId?: string;
  date?: Date;
  host?: string;
}): Promise<Record<string, string>> {
  const u = new URL(opts.url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: opts.accessKeyId ?? 'test', secretAccessKey: opts.secret ?? 'test' },
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const host = opts.host ?? u.host;
  const signed = await signer.sign(
    {
      method: opts.method,
      protocol: 'http:',
      hostname: host,
      path: opts.path,
      query: opts.query ?? {},
      headers: { host, 'x-amz-content-sha256': opts.payloadHash, ...opts.headers },
    },
    { signingDate: opts.date ?? new Date() },
  );
  return signed.headers as Record<string, string>;
}

/** The SigV4 signing key, derived independently of the server's code. */
export function signingKey(secret: string, shortDate: string, region = 'us-east-1', service = 's3'): Buffer {
  const h = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
  return h(h(h(h(`AWS4${secret}`, shortDate), region), service), 'aws4_request');
}

/** aws-chunked body with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), per the S3 SigV4 streaming docs. */
export function signedChunks(data: Buffer, chunkSize: number, key: Buffer, amzDate: string, scope: string, seed: string, corruptChunk = -1): Buffer {
  const out: Buffer[] = [];
  let prev = seed;
  const empty = sha256hex('');
  const pieces: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunkSize) pieces.push(data.subarray(off, off + chunkSize));
  pieces.push(Buffer.alloc(0));
  pieces.forEach((p, i) => {
    let sig = createHmac('sha256', key)
      .update(['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, prev, empty, sha256hex(p)].join('\n'))
      .digest('hex');
    prev = sig;
    if (i === corruptChunk) sig = sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    out.push(Buffer.from(`${p.length.toString(16)};chunk-signature=${sig}\r\n`), p, Buffer.from('\r\n'));
  });
  return Buffer.concat(out);
}
