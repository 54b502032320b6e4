import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { headerValue, parseQuery, type RawRequest, type SigV4Claim } from '../../http/sigv4.js';
import { s3Err } from './xml.js';

/** Sub-resources that SigV2 includes in the string to sign (S3 REST authentication, "CanonicalizedResource"). */
const SUBRESOURCES = [
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy', 'requestPayment',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
  'versions', 'website',
];

/** True for a query-string SigV2 URL (`AWSAccessKeyId`, `Signature`, `Expires`), what `aws s3 presign` (CLI v1) makes. */
export function isPresignedV2(raw: RawRequest): boolean {
  return /(^|&)AWSAccessKeyId=/.test(raw.rawQuery) && /(^|&)Signature=/.test(raw.rawQuery);
}

/**
 * Verifies a SigV2 presigned URL: HMAC-SHA1 over method, Content-MD5, Content-Type, Expires,
 * x-amz-* headers and the resource. Returns a claim shaped like a SigV4 one so the rest of
 * the request handling needs no second path.
 */
export function verifyPresignedV2(req: IncomingMessage, raw: RawRequest, hostBucket: string | undefined, credentials: Map<string, string>, now: number): SigV4Claim {
  const q = parseQuery(raw.rawQuery);
  const one = (k: string) => {
    const v = q[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const accessKeyId = one('AWSAccessKeyId') ?? '';
  const signature = one('Signature') ?? '';
  const expires = one('Expires') ?? '';
  if (!/^\d+$/.test(expires)) throw s3Err('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters', 403);
  const secret = credentials.get(accessKeyId);
  if (secret === undefined) throw s3Err('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
  if (now > Number(expires) * 1000) {
    throw s3Err('AccessDenied', 'Request has expired', 403, { Expires: new Date(Number(expires) * 1000).toISOString(), ServerTime: new Date(now).toISOString() });
  }
  const h = (n: string) => headerValue(req.headers[n]) ?? '';
  const amz = Object.keys(req.headers)
    .filter((k) => k.startsWith('x-amz-'))
    .sort()
    .map((k) => `${k}:${h(k).trim()}\n`)
    .join('');
  const sub = SUBRESOURCES.filter((k) => k in q)
    .map((k) => (one(k) === '' ? k : `${k}=${one(k)}`))
    .join('&');
  const resource = (hostBucket !== undefined ? `/${hostBucket}` : '') + raw.rawPath + (sub ? `?${sub}` : '');
  const toSign = `${raw.method}\n${h('content-md5')}\n${h('content-type')}\n${expires}\n${amz}${resource}`;
  const expected = Buffer.from(createHmac('sha1', secret).update(toSign, 'utf8').digest('base64'));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw s3Err('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);
  }
  return {
    presigned: true,
    accessKeyId,
    shortDate: '',
    region: 'us-east-1',
    service: 's3',
    signedHeaders: [],
    signature,
    amzDate: '',
  };
}
