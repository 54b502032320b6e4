import { noSuchKey } from '../../objects/errors.js';
import { checkConditions, header, isoTime, q, quoted, requestBody, sendXml, type S3Call } from './call.js';
import { smallBody } from './body.js';
import { parseCopySource } from './CopyObject.js';
import { partNumber } from './UploadPart.js';
import { s3Err } from './xml.js';

/** A part copied from (a byte range of) an existing object: how the CLI copies large objects S3→S3. */
export async function UploadPartCopy(call: S3Call): Promise<void> {
  await smallBody(requestBody(call), 0);
  const n = partNumber(q(call, 'partNumber'));
  const src = parseCopySource(header(call, 'x-amz-copy-source') ?? '');
  const objects = call.services.objects;
  const info = await objects.head(src.bucket, src.key);
  if (!info) throw noSuchKey(src.key);
  if (checkConditions(call, info, 'x-amz-copy-source-if-') === 'not-modified') {
    throw s3Err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
  }
  const rangeText = header(call, 'x-amz-copy-source-range');
  let range: { start: number; end: number } | undefined;
  if (rangeText !== undefined) {
    // Only the explicit first-last form is allowed here, and it must lie inside the object.
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= info.size) {
      throw s3Err('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 400, { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: rangeText });
    }
    range = { start: Number(m[1]), end: Number(m[2]) };
  }
  const got = await objects.get(src.bucket, src.key, range);
  if (!got) throw noSuchKey(src.key);
  let part;
  try {
    part = await objects.uploadPart(call.bucket, call.key, q(call, 'uploadId') ?? '', n, got.body);
  } catch (e) {
    got.body.destroy(); // e.g. NoSuchUpload before the source was read: release the file
    throw e;
  }
  sendXml(call, 'CopyPartResult', { LastModified: isoTime(part.lastModified), ETag: quoted(part.etag) });
}
