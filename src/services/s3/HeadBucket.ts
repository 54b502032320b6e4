import { noSuchBucket } from '../../objects/errors.js';
import { sendEmpty, type S3Call } from './call.js';

export async function HeadBucket(call: S3Call): Promise<void> {
  if (!(await call.services.objects.bucketExists(call.bucket))) throw noSuchBucket(call.bucket);
  // SDKs read the region from here to avoid redirects; answer the region the caller signed for.
  sendEmpty(call, 200, { 'x-amz-bucket-region': call.claim.region });
}
