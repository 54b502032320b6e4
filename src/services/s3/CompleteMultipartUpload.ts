import { q, quoted, requestBody, sendXml, type S3Call } from './call.js';
import { smallBody } from './body.js';
import { malformedXml, parseXml, text } from './xml.js';

export async function CompleteMultipartUpload(call: S3Call): Promise<void> {
  const doc = parseXml(await smallBody(requestBody(call)), 'CompleteMultipartUpload');
  const parts = (doc.Part ?? []) as unknown[];
  if (!Array.isArray(parts) || parts.length === 0) throw malformedXml();
  const wanted = parts.map((p) => {
    const n = text(p, 'PartNumber')?.trim();
    const etag = text(p, 'ETag')?.trim();
    if (!n || !/^\d+$/.test(n) || !etag) throw malformedXml();
    return { partNumber: Number(n), etag };
  });
  const info = await call.services.objects.completeMultipartUpload(call.bucket, call.key, q(call, 'uploadId') ?? '', wanted);
  const host = call.req.headers.host ?? 'localhost';
  sendXml(call, 'CompleteMultipartUploadResult', {
    Location: `http://${host}/${call.bucket}/${encodeURIComponent(call.key).replace(/%2F/g, '/')}`,
    Bucket: call.bucket,
    Key: call.key,
    ETag: quoted(info.etag),
  });
}
