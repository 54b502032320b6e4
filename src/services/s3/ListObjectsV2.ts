import { q, sendXml, type S3Call } from './call.js';
import { contents, encoder, maxKeys } from './list-common.js';
import { s3Err } from './xml.js';

/** The continuation token is the last key (or common prefix) returned, opaque to clients. */
const toToken = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
function fromToken(t: string): string {
  const s = Buffer.from(t, 'base64url').toString('utf8');
  if (!s || toToken(s) !== t) throw s3Err('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token' });
  return s;
}

export async function ListObjectsV2(call: S3Call): Promise<void> {
  const prefix = q(call, 'prefix') ?? '';
  const delimiter = q(call, 'delimiter') || undefined;
  const max = maxKeys(call);
  const enc = encoder(call);
  const token = q(call, 'continuation-token');
  const startAfter = q(call, 'start-after');
  const r = await call.services.objects.list(call.bucket, {
    prefix,
    delimiter,
    startAfter: token !== undefined ? fromToken(token) : startAfter || undefined,
    maxKeys: max,
  });
  sendXml(call, 'ListBucketResult', {
    Name: call.bucket,
    Prefix: enc(prefix),
    Delimiter: delimiter === undefined ? undefined : enc(delimiter),
    MaxKeys: max,
    EncodingType: q(call, 'encoding-type'),
    KeyCount: r.objects.length + r.commonPrefixes.length,
    IsTruncated: r.truncated,
    ContinuationToken: token,
    NextContinuationToken: r.truncated && r.nextStartAfter !== undefined ? toToken(r.nextStartAfter) : undefined,
    StartAfter: startAfter === undefined ? undefined : enc(startAfter),
    Contents: contents(call, r.objects, enc, q(call, 'fetch-owner') === 'true'),
    CommonPrefixes: r.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}
