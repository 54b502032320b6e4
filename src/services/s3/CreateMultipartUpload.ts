import { header, putOptionsFromHeaders, sendXml, type S3Call } from './call.js';
import { smallBody } from './body.js';
import { requestBody } from './call.js';

export async function CreateMultipartUpload(call: S3Call): Promise<void> {
  await smallBody(requestBody(call), 0);
  const up = await call.services.objects.createMultipartUpload(call.bucket, call.key, putOptionsFromHeaders(call));
  const h: Record<string, string> = {};
  const alg = header(call, 'x-amz-checksum-algorithm');
  if (alg) h['x-amz-checksum-algorithm'] = alg;
  sendXml(call, 'InitiateMultipartUploadResult', { Bucket: call.bucket, Key: call.key, UploadId: up.uploadId }, h);
}
