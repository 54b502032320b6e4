import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

/**
 * Raw, hand-signed HTTP for wire tests: the SDKs never send a tampered body or a stale
 * date, so authentication is tested by signing with the SDK's own signer and then
 * sending exactly the bytes we choose.
 */
export interface WireRequest {
  method: string;
  protocol: 'http:';
  hostname: string;
  port: number;
  /** Path as sent on the wire (not re-encoded by `send`). */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: string;
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any;
}

export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export const TEST_KEY: SigningKey = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A SageMaker JSON 1.1 request as the SDK builds it before signing. */
export function json11(baseUrl: string, operation: string, input: unknown, prefix = 'SageMaker'): WireRequest {
  const u = new URL(baseUrl);
  const body = JSON.stringify(input);
  return {
    method: 'POST',
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: '/',
    query: {},
    headers: {
      host: u.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${prefix}.${operation}`,
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

export interface SignOptions {
  key?: SigningKey;
  region?: string;
  service?: string;
  signingDate?: Date;
}

function signerFor(o: SignOptions): SignatureV4 {
  return new SignatureV4({
    credentials: o.key ?? TEST_KEY,
    region: o.region ?? 'us-east-1',
    service: o.service ?? 'sagemaker',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: (o.service ?? 'sagemaker') !== 's3',
    // botocore's form: no x-amz-content-sha256 header, the server hashes the body. Tests that
    // want the JS SDK's form set the header themselves.
    applyChecksum: false,
  });
}

/** Signs with an Authorization header, as every SDK does by default. */
export async function sign(req: WireRequest, o: SignOptions = {}): Promise<WireRequest> {
  return (await signerFor(o).sign(req as any, { signingDate: o.signingDate ?? new Date() })) as unknown as WireRequest;
}

/** Query-string (presigned) form; X-Amz-Target stays a header because the router needs it there. */
export async function presign(req: WireRequest, o: SignOptions & { expiresIn?: number } = {}): Promise<WireRequest> {
  return (await signerFor(o).presign(req as any, {
    signingDate: o.signingDate ?? new Date(),
    expiresIn: o.expiresIn ?? 300,
    unhoistableHeaders: new Set(['x-amz-target']),
  })) as unknown as WireRequest;
}

/** RFC 3986 encoding, the same the signer uses for the canonical query. */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

export function queryString(query: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const k of Object.keys(query).sort()) {
    const v = query[k];
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${rfc3986(k)}=${rfc3986(one)}`);
  }
  return parts.join('&');
}

/** Sends the request exactly as given (headers, path, body); bounded by a timeout. */
export function send(req: WireRequest, timeoutMs = 10_000): Promise<WireResponse> {
  const qs = queryString(req.query);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        host: req.hostname,
        port: req.port,
        method: req.method,
        path: req.path + (qs ? `?${qs}` : ''),
        headers: req.headers,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no response within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Minimal GET for unsigned endpoints such as /_slipway/health. */
export function get(url: string, timeoutMs = 10_000): Promise<WireResponse> {
  const u = new URL(url);
  return send(
    { method: 'GET', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers: { host: u.host } },
    timeoutMs,
  );
}
