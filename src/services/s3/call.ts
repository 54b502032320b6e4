import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../../errors.js';
import { headerValue, type RawRequest, type SigV4Claim } from '../../http/sigv4.js';
import type { ObjectInfo, PutOptions } from '../../objects/object-store.js';
import type { Services } from '../context.js';
import { bodyStream, expectationsFor, type S3BodyStream } from './body.js';
import { s3Err, xmlDocument, type XmlValue } from './xml.js';

/** One authenticated S3 request, already split into bucket, key and query. */
export interface S3Call {
  services: Services;
  req: IncomingMessage;
  res: ServerResponse;
  raw: RawRequest;
  claim: SigV4Claim;
  requestId: string;
  bucket: string;
  key: string;
  query: Record<string, string | string[]>;
}

export type S3Operation = (call: S3Call) => Promise<void>;

export function q(call: S3Call, name: string): string | undefined {
  const v = call.query[name];
  return Array.isArray(v) ? v[0] : v;
}

export function header(call: S3Call, name: string): string | undefined {
  return headerValue(call.req.headers[name]);
}

/** The verified request body (see body.ts). */
export function requestBody(call: S3Call): S3BodyStream {
  const secret = call.services.config.credentials.get(call.claim.accessKeyId) ?? '';
  return bodyStream(call.req, expectationsFor(call.req, call.claim, secret));
}

export function sendXml(call: S3Call, root: string, value: { [name: string]: XmlValue }, headers: Record<string, string | number> = {}, status = 200): void {
  const body = xmlDocument(root, value);
  call.res.writeHead(status, {
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
    'x-amz-request-id': call.requestId,
    ...headers,
  });
  call.res.end(body);
}

export function sendEmpty(call: S3Call, status: number, headers: Record<string, string | number> = {}): void {
  call.res.writeHead(status, { 'Content-Length': 0, 'x-amz-request-id': call.requestId, ...headers });
  call.res.end();
}

export const quoted = (etag: string) => `"${etag}"`;
export const isoTime = (ms: number) => new Date(ms).toISOString();
export const httpTime = (ms: number) => new Date(ms).toUTCString();

/** S3 reports a canonical user id; ours is derived from the account so it is stable. */
export function owner(call: S3Call): { ID: string; DisplayName: string } {
  const id = call.services.config.accountId;
  return { ID: id.padStart(64, '0'), DisplayName: 'slipway' };
}

/** Content-Type, the standard headers and x-amz-meta-* as S3 stores them with an object. */
export function putOptionsFromHeaders(call: S3Call): PutOptions {
  const metadata: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, v] of Object.entries(call.req.headers)) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const value = headerValue(v) ?? '';
    const k = name.slice('x-amz-meta-'.length);
    metadata[k] = value;
    metaBytes += Buffer.byteLength(k) + Buffer.byteLength(value);
  }
  // S3 limits user-defined metadata to 2 KB.
  if (metaBytes > 2048) throw s3Err('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', 400);
  return {
    contentType: header(call, 'content-type'),
    metadata,
    headers: {
      cacheControl: header(call, 'cache-control'),
      contentDisposition: header(call, 'content-disposition'),
      // aws-chunked is framing, not a property of the object.
      contentEncoding: header(call, 'content-encoding')
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s && s.toLowerCase() !== 'aws-chunked')
        .join(', ') || undefined,
      contentLanguage: header(call, 'content-language'),
      expires: header(call, 'expires'),
    },
  };
}

/** The headers GET and HEAD answer for an object. */
export function objectHeaders(info: ObjectInfo): Record<string, string | number> {
  const h: Record<string, string | number> = {
    'Content-Type': info.contentType ?? 'binary/octet-stream',
    ETag: quoted(info.etag),
    'Last-Modified': httpTime(info.lastModified),
    'Accept-Ranges': 'bytes',
  };
  const s = info.headers ?? {};
  if (s.cacheControl) h['Cache-Control'] = s.cacheControl;
  if (s.contentDisposition) h['Content-Disposition'] = s.contentDisposition;
  if (s.contentEncoding) h['Content-Encoding'] = s.contentEncoding;
  if (s.contentLanguage) h['Content-Language'] = s.contentLanguage;
  if (s.expires) h.Expires = s.expires;
  for (const [k, v] of Object.entries(info.metadata ?? {})) h[`x-amz-meta-${k}`] = v;
  return h;
}

/** The evaluated conditional headers (If-Match, If-None-Match, If-(Un)Modified-Since) of a read. */
export function checkConditions(call: S3Call, info: ObjectInfo, prefix = 'if-'): 'ok' | 'not-modified' {
  const etag = quoted(info.etag);
  const matches = (list: string) => list.split(',').some((t) => t.trim() === '*' || t.trim() === etag || t.trim() === info.etag);
  const secs = Math.floor(info.lastModified / 1000) * 1000;
  const ifMatch = header(call, `${prefix}match`);
  const ifNoneMatch = header(call, `${prefix}none-match`);
  const ifModified = header(call, `${prefix}modified-since`);
  const ifUnmodified = header(call, `${prefix}unmodified-since`);
  if (ifMatch !== undefined && !matches(ifMatch)) throw s3Err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: 'If-Match' });
  if (ifMatch === undefined && ifUnmodified !== undefined) {
    const t = Date.parse(ifUnmodified);
    if (!Number.isNaN(t) && secs > t) throw s3Err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: 'If-Unmodified-Since' });
  }
  if (ifNoneMatch !== undefined && matches(ifNoneMatch)) return 'not-modified';
  if (ifNoneMatch === undefined && ifModified !== undefined) {
    const t = Date.parse(ifModified);
    if (!Number.isNaN(t) && secs <= t) return 'not-modified';
  }
  return 'ok';
}

export function isAwsError(e: unknown): e is AwsError {
  return e instanceof AwsError;
}
