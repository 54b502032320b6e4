import { noSuchBucket } from '../../objects/errors.js';
import { isAwsError, requestBody, sendXml, type S3Call } from './call.js';
import { smallBody } from './body.js';
import { malformedXml, parseXml, text, type XmlValue } from './xml.js';

export async function DeleteObjects(call: S3Call): Promise<void> {
  const doc = parseXml(await smallBody(requestBody(call)), 'Delete');
  const objects = (doc.Object ?? []) as unknown[];
  // S3 caps one request at 1000 keys and refuses an empty list.
  if (!Array.isArray(objects) || objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = text(doc, 'Quiet')?.trim() === 'true';
  if (!(await call.services.objects.bucketExists(call.bucket))) throw noSuchBucket(call.bucket);
  const deleted: XmlValue[] = [];
  const errors: XmlValue[] = [];
  for (const o of objects) {
    const key = text(o, 'Key');
    if (key === undefined) throw malformedXml();
    try {
      await call.services.objects.delete(call.bucket, key);
      if (!quiet) deleted.push({ Key: key });
    } catch (e) {
      if (!isAwsError(e) || e.status >= 500) throw e;
      errors.push({ Key: key, Code: e.code, Message: e.message });
    }
  }
  sendXml(call, 'DeleteResult', { Deleted: deleted, Error: errors });
}
