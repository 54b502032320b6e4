import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AwsError } from '../../errors.js';
import type { Services } from '../context.js';
import type { RawRequest, SigV4Claim } from '../../http/sigv4.js';

/** Virtual-host style: `<bucket>.localhost[:port]` names the bucket. */
export function bucketFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.replace(/:\d+$/, '');
  const m = /^(.+)\.localhost$/.exec(name);
  return m ? m[1] : undefined;
}

export async function handleS3(
  _services: Services,
  _req: IncomingMessage,
  res: ServerResponse,
  _raw: RawRequest,
  _claim: SigV4Claim | undefined,
  _claimError: AwsError | undefined,
  requestId: string,
  _hostBucket: string | undefined,
): Promise<void> {
  res.writeHead(501, { 'x-amz-request-id': requestId });
  res.end();
}
