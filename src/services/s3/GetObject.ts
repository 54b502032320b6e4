import { pipeline } from 'node:stream/promises';
import { noSuchKey } from '../../objects/errors.js';
import type { ObjectInfo } from '../../objects/object-store.js';
import { checkConditions, header, objectHeaders, q, type S3Call } from './call.js';
import { s3Err } from './xml.js';

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; undefined for a header S3 ignores (serve the whole object). */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(value);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw invalidRange(value, size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined; // syntactically invalid: ignored per RFC 9110
  }
  if (start >= size) throw invalidRange(value, size);
  return { start, end };
}

const invalidRange = (range: string, size: number) =>
  s3Err('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: range, ActualObjectSize: size });

/** Response header overrides S3 allows on signed GETs (response-content-type=…). */
const OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

export async function GetObject(call: S3Call): Promise<void> {
  return readObject(call, false);
}

export async function readObject(call: S3Call, headOnly: boolean): Promise<void> {
  const objects = call.services.objects;
  if (q(call, 'partNumber') !== undefined) {
    throw s3Err('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, { Header: 'partNumber' });
  }
  const info = await objects.head(call.bucket, call.key);
  if (!info) throw noSuchKey(call.key);
  const h = objectHeaders(info);
  if (checkConditions(call, info) === 'not-modified') {
    call.res.writeHead(304, { ETag: h.ETag, 'Last-Modified': h['Last-Modified'], 'x-amz-request-id': call.requestId });
    call.res.end();
    return;
  }
  const range = parseRange(header(call, 'range'), info.size);
  for (const [param, name] of OVERRIDES) {
    const v = q(call, param);
    if (v !== undefined) h[name] = v;
  }
  addChecksum(call, info, h, range !== undefined);
  if (headOnly) {
    if (range) {
      h['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
      h['Content-Length'] = range.end - range.start + 1;
    } else h['Content-Length'] = info.size;
    call.res.writeHead(range ? 206 : 200, { ...h, 'x-amz-request-id': call.requestId });
    call.res.end();
    return;
  }
  const got = await objects.get(call.bucket, call.key, range);
  if (!got) throw noSuchKey(call.key);
  // The object may have been replaced since head(): describe the bytes actually served.
  const served = objectHeaders(got.info);
  Object.assign(h, { ETag: served.ETag, 'Last-Modified': served['Last-Modified'] });
  if (range) {
    const end = Math.min(range.end, got.info.size - 1);
    h['Content-Range'] = `bytes ${range.start}-${end}/${got.info.size}`;
    h['Content-Length'] = end - range.start + 1;
  } else h['Content-Length'] = got.info.size;
  call.res.writeHead(range ? 206 : 200, { ...h, 'x-amz-request-id': call.requestId });
  await pipeline(got.body, call.res);
}

/** With x-amz-checksum-mode: ENABLED the SDKs validate the whole-object checksum stored at upload. */
function addChecksum(call: S3Call, info: ObjectInfo, h: Record<string, string | number>, ranged: boolean): void {
  if (ranged || !info.checksum || header(call, 'x-amz-checksum-mode')?.toUpperCase() !== 'ENABLED') return;
  h[`x-amz-checksum-${info.checksum.algorithm.toLowerCase()}`] = info.checksum.value;
  h['x-amz-checksum-type'] = 'FULL_OBJECT';
}
