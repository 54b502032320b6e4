import { header, putOptionsFromHeaders, quoted, requestBody, sendEmpty, type S3Call } from './call.js';
import { s3Err } from './xml.js';

/** S3's limit for a single PUT (larger objects need multipart). */
const MAX_PUT_BYTES = 5 * 1024 ** 3;

export async function PutObject(call: S3Call): Promise<void> {
  const opts = putOptionsFromHeaders(call);
  const ifNoneMatch = header(call, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw s3Err('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, { Header: 'If-None-Match' });
  }
  const body = requestBody(call);
  if ((body.expectedLength ?? 0) > MAX_PUT_BYTES) {
    throw s3Err('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, { ProposedSize: body.expectedLength, MaxSizeAllowed: MAX_PUT_BYTES });
  }
  const info = await call.services.objects.put(call.bucket, call.key, body, {
    ...opts,
    ifNoneMatch: ifNoneMatch !== undefined,
    ifMatch: header(call, 'if-match'),
    // Known only after the last byte (a trailing checksum is verified at the end).
    checksum: () => body.checksum,
  });
  const h: Record<string, string> = { ETag: quoted(info.etag) };
  if (info.checksum) {
    h[`x-amz-checksum-${info.checksum.algorithm.toLowerCase()}`] = info.checksum.value;
    h['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  sendEmpty(call, 200, h);
}
