import { header, isoTime, putOptionsFromHeaders, quoted, requestBody, sendXml, checkConditions, type S3Call } from './call.js';
import { smallBody } from './body.js';
import { noSuchKey } from '../../objects/errors.js';
import { s3Err } from './xml.js';

/** `x-amz-copy-source: [/]bucket/key[?versionId=…]`, the key URL-encoded. */
export function parseCopySource(value: string): { bucket: string; key: string } {
  const bad = () => s3Err('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 400, { ArgumentName: 'x-amz-copy-source', ArgumentValue: value });
  let v = value.startsWith('/') ? value.slice(1) : value;
  const qm = v.indexOf('?');
  if (qm >= 0) {
    if (!/^versionId=(null)?$/.test(v.slice(qm + 1))) throw s3Err('NotImplemented', 'Versioning is not implemented.', 501);
    v = v.slice(0, qm);
  }
  const slash = v.indexOf('/');
  if (slash <= 0 || slash === v.length - 1) throw bad();
  try {
    return { bucket: decodeURIComponent(v.slice(0, slash)), key: decodeURIComponent(v.slice(slash + 1)) };
  } catch {
    throw bad();
  }
}

export async function CopyObject(call: S3Call): Promise<void> {
  await smallBody(requestBody(call), 0);
  const src = parseCopySource(header(call, 'x-amz-copy-source') ?? '');
  const directive = (header(call, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw s3Err('InvalidArgument', 'Unknown metadata directive.', 400, { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  if (src.bucket === call.bucket && src.key === call.key && directive === 'COPY') {
    throw s3Err('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.", 400);
  }
  const srcInfo = await call.services.objects.head(src.bucket, src.key);
  if (!srcInfo) throw noSuchKey(src.key);
  if (checkConditions(call, srcInfo, 'x-amz-copy-source-if-') === 'not-modified') {
    throw s3Err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: 'x-amz-copy-source-If-None-Match' });
  }
  const info = await call.services.objects.copy(src, { bucket: call.bucket, key: call.key }, directive === 'REPLACE' ? putOptionsFromHeaders(call) : undefined);
  sendXml(call, 'CopyObjectResult', { LastModified: isoTime(info.lastModified), ETag: quoted(info.etag) });
}
