import { q, sendEmpty, type S3Call } from './call.js';

export async function AbortMultipartUpload(call: S3Call): Promise<void> {
  await call.services.objects.abortMultipartUpload(call.bucket, call.key, q(call, 'uploadId') ?? '');
  sendEmpty(call, 204);
}
