import { sendEmpty, type S3Call } from './call.js';

/** Deleting a key that does not exist still answers 204, as S3 (unversioned buckets). */
export async function DeleteObject(call: S3Call): Promise<void> {
  await call.services.objects.delete(call.bucket, call.key);
  sendEmpty(call, 204);
}
