import { bucketAlreadyOwnedByYou } from '../../objects/errors.js';
import { requestBody, sendEmpty, type S3Call } from './call.js';
import { smallBody } from './body.js';
import { parseXml } from './xml.js';

export async function CreateBucket(call: S3Call): Promise<void> {
  const body = await smallBody(requestBody(call), 64 * 1024);
  // An optional CreateBucketConfiguration; it must at least be well-formed.
  if (body.length > 0) parseXml(body, 'CreateBucketConfiguration');
  if (!(await call.services.objects.createBucket(call.bucket))) throw bucketAlreadyOwnedByYou(call.bucket);
  sendEmpty(call, 200, { Location: `/${call.bucket}` });
}
