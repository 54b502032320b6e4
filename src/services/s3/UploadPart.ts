import { q, quoted, requestBody, sendEmpty, type S3Call } from './call.js';
import { s3Err } from './xml.js';

export function partNumber(v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10000) {
    throw s3Err('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400, { ArgumentName: 'partNumber', ArgumentValue: v });
  }
  return Number(v);
}

export async function UploadPart(call: S3Call): Promise<void> {
  const n = partNumber(q(call, 'partNumber'));
  const body = requestBody(call);
  const part = await call.services.objects.uploadPart(call.bucket, call.key, q(call, 'uploadId') ?? '', n, body, () => body.checksum);
  const h: Record<string, string> = { ETag: quoted(part.etag) };
  if (part.checksum) h[`x-amz-checksum-${part.checksum.algorithm.toLowerCase()}`] = part.checksum.value;
  sendEmpty(call, 200, h);
}
