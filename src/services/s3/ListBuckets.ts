import { isoTime, owner, q, sendXml, type S3Call } from './call.js';
import { s3Err } from './xml.js';

/** All buckets by name; max-buckets / continuation-token / prefix page them as S3 does. */
export async function ListBuckets(call: S3Call): Promise<void> {
  const prefix = q(call, 'prefix') ?? '';
  const maxText = q(call, 'max-buckets');
  if (maxText !== undefined && (!/^\d+$/.test(maxText) || Number(maxText) < 1 || Number(maxText) > 10000)) {
    throw s3Err('InvalidArgument', 'Argument max-buckets must be an integer between 1 and 10000.', 400, { ArgumentName: 'max-buckets', ArgumentValue: maxText });
  }
  const token = q(call, 'continuation-token');
  // The token is the last bucket name of the previous page (bucket names are plain ASCII).
  const afterName = token === undefined ? '' : Buffer.from(token, 'base64url').toString('utf8');
  const all = (await call.services.objects.listBuckets()).filter((b) => b.name.startsWith(prefix) && b.name > afterName);
  const page = maxText === undefined ? all : all.slice(0, Number(maxText));
  const truncated = page.length < all.length;
  sendXml(call, 'ListAllMyBucketsResult', {
    Owner: owner(call),
    Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: isoTime(b.created), BucketRegion: call.claim.region })) },
    ContinuationToken: truncated ? Buffer.from(page[page.length - 1].name).toString('base64url') : undefined,
    Prefix: q(call, 'prefix'),
  });
}
