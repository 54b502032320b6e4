import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../../errors.js';
import { headerValue, parseQuery, verify, type RawRequest, type SigV4Claim } from '../../http/sigv4.js';
import type { Services } from '../context.js';
import { AbortMultipartUpload } from './AbortMultipartUpload.js';
import type { S3Call, S3Operation } from './call.js';
import { CompleteMultipartUpload } from './CompleteMultipartUpload.js';
import { CopyObject } from './CopyObject.js';
import { CreateBucket } from './CreateBucket.js';
import { CreateMultipartUpload } from './CreateMultipartUpload.js';
import { DeleteBucket } from './DeleteBucket.js';
import { DeleteObject } from './DeleteObject.js';
import { DeleteObjects } from './DeleteObjects.js';
import { GetBucketLocation } from './GetBucketLocation.js';
import { GetObject } from './GetObject.js';
import { HeadBucket } from './HeadBucket.js';
import { HeadObject } from './HeadObject.js';
import { ListBuckets } from './ListBuckets.js';
import { ListObjects } from './ListObjects.js';
import { ListObjectsV2 } from './ListObjectsV2.js';
import { ListParts } from './ListParts.js';
import { PutObject } from './PutObject.js';
import { UploadPart } from './UploadPart.js';
import { UploadPartCopy } from './UploadPartCopy.js';
import { isPresignedV2, verifyPresignedV2 } from './sigv2.js';
import { escapeXml, s3Err } from './xml.js';
import { isValidBucketName } from '../../objects/local-fs.js';
import { invalidBucketName } from '../../objects/errors.js';

/** Virtual-host style: `<bucket>.localhost[:port]` names the bucket. */
export function bucketFromHost(host: string | undefined): string | undefined {
  // Asked on every request: most hosts (127.0.0.1:7070) are refused without a regex.
  if (!host || !host.includes('.localhost')) return undefined;
  const name = host.replace(/:\d+$/, '');
  const m = /^(.+)\.localhost$/.exec(name);
  return m ? m[1] : undefined;
}

/** S3 sub-resources this server does not implement: answered NotImplemented rather than mistaken for a plain GET/PUT. */
const UNSUPPORTED = new Set([
  'acl', 'policy', 'policyStatus', 'tagging', 'versioning', 'versions', 'cors', 'lifecycle', 'website', 'logging',
  'notification', 'replication', 'encryption', 'object-lock', 'retention', 'legal-hold', 'accelerate', 'requestPayment',
  'ownershipControls', 'publicAccessBlock', 'analytics', 'metrics', 'inventory', 'intelligent-tiering', 'torrent',
  'restore', 'select', 'attributes', 'session', 'renameObject',
]);

/** Picks the operation from method, bucket/key presence and the query, as S3's REST routing does. */
function route(method: string, hasBucket: boolean, hasKey: boolean, query: Record<string, unknown>, headers: IncomingMessage['headers']): S3Operation | undefined {
  const has = (k: string) => k in query;
  if (Object.keys(query).some((k) => UNSUPPORTED.has(k))) return undefined;
  if (!hasBucket) return method === 'GET' ? ListBuckets : undefined;
  if (!hasKey) {
    switch (method) {
      case 'GET':
        if (has('location')) return GetBucketLocation;
        if (has('uploads')) return undefined;
        return query['list-type'] === '2' ? ListObjectsV2 : ListObjects;
      case 'HEAD':
        return HeadBucket;
      case 'PUT':
        return CreateBucket;
      case 'DELETE':
        return DeleteBucket;
      case 'POST':
        return has('delete') ? DeleteObjects : undefined;
    }
    return undefined;
  }
  switch (method) {
    case 'GET':
      return has('uploadId') ? ListParts : GetObject;
    case 'HEAD':
      return HeadObject;
    case 'PUT':
      if (has('uploadId') || has('partNumber')) return headers['x-amz-copy-source'] !== undefined ? UploadPartCopy : UploadPart;
      return headers['x-amz-copy-source'] !== undefined ? CopyObject : PutObject;
    case 'DELETE':
      return has('uploadId') ? AbortMultipartUpload : DeleteObject;
    case 'POST':
      if (has('uploads')) return CreateMultipartUpload;
      if (has('uploadId')) return CompleteMultipartUpload;
      return undefined;
  }
  return undefined;
}

/** S3's codes for SigV4 failures (the verifier speaks the JSON services' vocabulary). */
function authError(e: unknown, presigned: boolean): AwsError {
  if (!(e instanceof AwsError)) return e as AwsError;
  switch (e.code) {
    case 'MissingAuthenticationTokenException':
      return s3Err('AccessDenied', 'Access Denied', 403);
    case 'UnrecognizedClientException':
      return s3Err('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
    case 'IncompleteSignatureException':
      return presigned
        ? s3Err('AuthorizationQueryParametersError', e.message, 400)
        : s3Err('AuthorizationHeaderMalformed', `The authorization header is malformed; ${e.message}`, 400);
    case 'InvalidSignatureException':
      if (/^Signature (expired|not yet current)/.test(e.message)) {
        return s3Err('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403);
      }
      if (e.message.startsWith('Credential should be scoped') || e.message.startsWith('Date in Credential scope')) {
        return s3Err('AuthorizationHeaderMalformed', `The authorization header is malformed; ${e.message}`, 400);
      }
      return s3Err('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);
    default:
      return e;
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw s3Err('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

export async function handleS3(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  raw: RawRequest,
  claim: SigV4Claim | undefined,
  claimError: AwsError | undefined,
  requestId: string,
  hostBucket: string | undefined,
): Promise<void> {
  let resource = raw.rawPath;
  try {
    resource = decode(raw.rawPath);
    if (claimError) throw authError(claimError, /X-Amz-Signature=/.test(raw.rawQuery));
    if (claim && !claim.presigned && headerValue(req.headers['x-amz-content-sha256']) === undefined) {
      throw s3Err('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400);
    }
    if (!claim && isPresignedV2(raw)) {
      // `aws s3 presign` (CLI v1) still signs URLs with SigV2 query parameters.
      claim = verifyPresignedV2(req, raw, hostBucket, services.config.credentials, services.clock.now());
    } else {
      try {
        await verify(raw, claim, { credentials: services.config.credentials, now: new Date(services.clock.now()), expectedService: 's3' });
      } catch (e) {
        throw authError(e, claim?.presigned ?? false);
      }
    }
    // Path style: /bucket/key…; virtual-host style: the Host names the bucket and the whole path is the key.
    let bucketRaw: string;
    let keyRaw: string;
    if (hostBucket !== undefined) {
      bucketRaw = hostBucket;
      keyRaw = raw.rawPath.slice(1);
      resource = `/${hostBucket}${resource}`;
    } else {
      const p = raw.rawPath.slice(1);
      const slash = p.indexOf('/');
      bucketRaw = slash < 0 ? p : p.slice(0, slash);
      keyRaw = slash < 0 ? '' : p.slice(slash + 1);
    }
    const call: S3Call = {
      services,
      req,
      res,
      raw,
      claim: claim!,
      requestId,
      bucket: decode(bucketRaw),
      key: decode(keyRaw),
      query: parseQuery(raw.rawQuery),
    };
    // Checked before anything else touches the bucket (or reads a body meant for it).
    if (call.bucket !== '' && !isValidBucketName(call.bucket)) throw invalidBucketName(call.bucket);
    const op = route(raw.method, call.bucket !== '', call.key !== '', call.query, req.headers);
    if (!op) {
      throw s3Err('NotImplemented', 'A header you provided implies functionality that is not implemented', 501);
    }
    await op(call);
  } catch (e) {
    sendError(services, req, res, requestId, resource, e);
  }
}

function sendError(services: Services, req: IncomingMessage, res: ServerResponse, requestId: string, resource: string, e: unknown): void {
  let err: AwsError;
  if (e instanceof AwsError) err = e;
  else {
    services.log.error({ err: e, requestId }, 's3 request failed');
    err = s3Err('InternalError', 'We encountered an internal error. Please try again.', 500);
  }
  // Whatever of the body is unread is dropped so the connection can carry the answer.
  if (!req.readableEnded) req.resume();
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const extra = Object.entries(err.extra)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('');
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>` +
    `${extra}<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
  const headers: Record<string, string | number> = { 'x-amz-request-id': requestId };
  if (req.method === 'HEAD') {
    // HEAD answers carry no body; SDKs name the error from the status.
    headers['Content-Length'] = 0;
    res.writeHead(err.status, headers);
    res.end();
    return;
  }
  headers['Content-Type'] = 'application/xml';
  headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(err.status, headers);
  res.end(body);
}
