import { isoTime, owner, q, quoted, sendXml, type S3Call } from './call.js';
import { s3Err } from './xml.js';

export async function ListParts(call: S3Call): Promise<void> {
  const uploadId = q(call, 'uploadId') ?? '';
  const maxText = q(call, 'max-parts') ?? '1000';
  const markerText = q(call, 'part-number-marker') ?? '0';
  if (!/^\d+$/.test(maxText) || !/^\d+$/.test(markerText)) throw s3Err('InvalidArgument', 'Provided max-parts or part-number-marker not an integer', 400);
  const max = Math.min(Number(maxText), 1000);
  const marker = Number(markerText);
  const { parts } = await call.services.objects.listParts(call.bucket, call.key, uploadId);
  const after = parts.filter((p) => p.partNumber > marker);
  const page = after.slice(0, max);
  const truncated = after.length > page.length;
  sendXml(call, 'ListPartsResult', {
    Bucket: call.bucket,
    Key: call.key,
    UploadId: uploadId,
    Initiator: owner(call),
    Owner: owner(call),
    StorageClass: 'STANDARD',
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length ? page[page.length - 1].partNumber : marker,
    MaxParts: max,
    IsTruncated: truncated,
    Part: page.map((p) => ({ PartNumber: p.partNumber, LastModified: isoTime(p.lastModified), ETag: quoted(p.etag), Size: p.size })),
  });
}
