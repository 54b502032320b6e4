import { q, sendXml, type S3Call } from './call.js';
import { contents, encoder, maxKeys } from './list-common.js';

/** ListObjects (v1): marker-based paging; NextMarker only when a delimiter is given, as S3. */
export async function ListObjects(call: S3Call): Promise<void> {
  const prefix = q(call, 'prefix') ?? '';
  const delimiter = q(call, 'delimiter') || undefined;
  const marker = q(call, 'marker') ?? '';
  const max = maxKeys(call);
  const enc = encoder(call);
  const r = await call.services.objects.list(call.bucket, { prefix, delimiter, startAfter: marker || undefined, maxKeys: max });
  sendXml(call, 'ListBucketResult', {
    Name: call.bucket,
    Prefix: enc(prefix),
    Marker: enc(marker),
    NextMarker: r.truncated && delimiter !== undefined && r.nextStartAfter !== undefined ? enc(r.nextStartAfter) : undefined,
    MaxKeys: max,
    Delimiter: delimiter === undefined ? undefined : enc(delimiter),
    EncodingType: q(call, 'encoding-type'),
    IsTruncated: r.truncated,
    Contents: contents(call, r.objects, enc, true),
    CommonPrefixes: r.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}
