import { isoTime, owner, sendXml, type S3Call } from './call.js';

export async function ListBuckets(call: S3Call): Promise<void> {
  const buckets = await call.services.objects.listBuckets();
  sendXml(call, 'ListAllMyBucketsResult', {
    Owner: owner(call),
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: isoTime(b.created), BucketRegion: call.claim.region })) },
  });
}
