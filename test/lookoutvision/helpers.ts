import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LookoutVisionClient } from '@aws-sdk/client-lookoutvision';
import { generateSet, manifest, type GeneratedImage } from '../../src/domain/lookoutvision/generator.js';
import { credentials, region, type TestServer } from '../helpers/server.js';

export function lookoutClient(t: TestServer): LookoutVisionClient {
  return new LookoutVisionClient({ endpoint: t.url, region, credentials, maxAttempts: 1 });
}

/** Uploads a generated set (images, masks) and its manifest; returns the manifest key and the images. */
export async function uploadSet(
  s3: S3Client,
  bucket: string,
  prefix: string,
  opts: { seed: number; normal?: number; anomalous?: number; size?: number; masks?: boolean },
): Promise<{ manifestKey: string; images: GeneratedImage[] }> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
  });
  const images = generateSet({ seed: opts.seed, normal: opts.normal, anomalous: opts.anomalous, size: opts.size });
  for (let i = 0; i < images.length; i += 16) {
    await Promise.all(
      images.slice(i, i + 16).flatMap((im) => [
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${im.name}`, Body: im.png, ContentType: 'image/png' })),
        ...(opts.masks && im.mask ? [s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}masks/${im.name}`, Body: im.mask, ContentType: 'image/png' }))] : []),
      ]),
    );
  }
  const manifestKey = `${prefix}manifest.jsonl`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: manifest(images, bucket, prefix, { masks: opts.masks }) }));
  return { manifestKey, images };
}

/** Polls `read` until `done` holds, or fails after `timeoutMs` with the last value seen. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 120_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
