import { noSuchBucket } from '../../objects/errors.js';
import { xmlDocument } from './xml.js';
import type { S3Call } from './call.js';

export async function GetBucketLocation(call: S3Call): Promise<void> {
  if (!(await call.services.objects.bucketExists(call.bucket))) throw noSuchBucket(call.bucket);
  // us-east-1 is reported as an empty LocationConstraint (botocore maps that back to us-east-1).
  const region = call.claim.region === 'us-east-1' ? '' : call.claim.region;
  const body = xmlDocument('LocationConstraint', {}).replace('></LocationConstraint>', `>${region}</LocationConstraint>`);
  call.res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), 'x-amz-request-id': call.requestId });
  call.res.end(body);
}
