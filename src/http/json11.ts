import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError, internalFailure, serialization, unknownOperation } from '../errors.js';
import { opContext, type Operation, type OpContext, type Services } from '../services/context.js';
import { validateInput } from '../spec/validate.js';
import { readBody } from './body.js';
import { verify, type RawRequest, type SigV4Claim } from './sigv4.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const BODY_LIMIT = 16 * 1024 * 1024;

export interface Json11Service {
  /** X-Amz-Target prefix, e.g. 'SageMaker'. */
  targetPrefix: string;
  /** SigV4 signing name. */
  signingName: string;
  /** Key of the generated shape tables. */
  specName: string;
  operations: Record<string, Operation>;
}

/**
 * AWS JSON 1.1: `POST /` with `X-Amz-Target: <Prefix>.<Operation>`. Errors carry the code in
 * the body's `__type` (the only place botocore reads it for this protocol) and in
 * `x-amzn-ErrorType`.
 */
export async function handleJson11(
  svc: Json11Service,
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  raw: RawRequest,
  claim: SigV4Claim | undefined,
  requestId: string,
): Promise<void> {
  let op = '';
  try {
    const body = await readBody(req, BODY_LIMIT);
    const { region } = await verify(raw, claim, {
      credentials: services.config.credentials,
      now: new Date(services.clock.now()),
      expectedService: svc.signingName,
      body,
    });
    const target = String(req.headers['x-amz-target'] ?? '');
    op = target.startsWith(svc.targetPrefix + '.') ? target.slice(svc.targetPrefix.length + 1) : '';
    const handler = Object.hasOwn(svc.operations, op) ? svc.operations[op] : undefined;
    if (req.method !== 'POST' || !handler) throw unknownOperation();
    const input = parseJson(body);
    validateInput(svc.specName, op, input);
    const ctx: OpContext = opContext(services, services.config.accountId, region, requestId);
    const output = (await handler(ctx, input)) ?? {};
    send(res, 200, requestId, JSON.stringify(output));
  } catch (err) {
    const e = err instanceof AwsError ? err : internalFailure();
    if (!(err instanceof AwsError)) services.log.error({ err, op, requestId }, 'operation failed');
    send(res, e.status, requestId, JSON.stringify({ __type: e.code, message: e.message, ...e.extra }), e.code);
  }
}

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw serialization('Unexpected character or end of input while parsing the request body as JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw serialization('Expected a JSON object as the request body.');
  }
  return value as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, requestId: string, body: string, errorType?: string): void {
  const headers: Record<string, string | number> = {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  };
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(status, headers);
  res.end(body);
}
