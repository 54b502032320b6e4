import { sendEmpty, type S3Call } from './call.js';

export async function DeleteBucket(call: S3Call): Promise<void> {
  await call.services.objects.deleteBucket(call.bucket);
  sendEmpty(call, 204);
}
