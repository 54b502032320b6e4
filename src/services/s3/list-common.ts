import type { ObjectInfo } from '../../objects/object-store.js';
import { isoTime, owner, q, quoted, type S3Call } from './call.js';
import { s3Err, type XmlValue } from './xml.js';

/** max-keys: default and ceiling 1000, as S3. */
export function maxKeys(call: S3Call): number {
  const v = q(call, 'max-keys');
  if (v === undefined) return 1000;
  if (!/^\d+$/.test(v)) throw s3Err('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400, { ArgumentName: 'max-keys', ArgumentValue: v });
  return Math.min(Number(v), 1000);
}

/** encoding-type=url: keys and prefixes are percent-encoded in the XML (botocore/CLI always ask for it). */
export function encoder(call: S3Call): (s: string) => string {
  const t = q(call, 'encoding-type');
  if (t === undefined) return (s) => s;
  if (t !== 'url') throw s3Err('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, { ArgumentName: 'encoding-type', ArgumentValue: t });
  // Like S3: everything but unreserved characters and '/' is percent-encoded.
  return (s) => encodeURIComponent(s).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function contents(call: S3Call, objects: ObjectInfo[], enc: (s: string) => string, withOwner: boolean): XmlValue[] {
  return objects.map((o) => ({
    Key: enc(o.key),
    LastModified: isoTime(o.lastModified),
    ETag: quoted(o.etag),
    ChecksumAlgorithm: o.checksum?.algorithm,
    Size: o.size,
    StorageClass: 'STANDARD',
    Owner: withOwner ? owner(call) : undefined,
  }));
}
