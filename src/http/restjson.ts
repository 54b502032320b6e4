import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsError, internalFailure, serialization } from '../errors.js';
import { opContext, type Operation, type OpContext, type Services } from '../services/context.js';
import type { ShapeDef, SpecTables } from '../spec/types.js';
import { validateInput } from '../spec/validate.js';
import { readBody } from './body.js';
import { parseQuery, verify, type RawRequest, type SigV4Claim } from './sigv4.js';

/**
 * A REST-JSON API (SageMaker Runtime, Lookout for Vision). Routes, URI labels, query and
 * header bindings and payloads all come from the service model's http traits, so an
 * operation file only sees the input structure the model describes.
 */
export interface RestJsonService {
  /** Key of the generated shape tables, e.g. 'sagemaker-runtime'. */
  specName: string;
  tables: SpecTables;
  /** SigV4 signing name ('sagemaker' for Runtime, 'lookoutvision'). */
  signingName: string;
  /** Every route of the API starts with this path prefix (used by the router). */
  pathPrefix: string;
  /** The code input validation failures carry (Runtime: 'ValidationError'). */
  validationCode: string;
  bodyLimit: number;
  operations: Record<string, Operation>;
}

/**
 * An operation's answer when it needs headers or a non-JSON body (InvokeEndpoint). `headers`
 * is the operation's own, fresh object: the protocol adds Content-Length and x-amzn-RequestId
 * to it and hands it to node:http as is.
 */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | number>,
    readonly body: Buffer | string,
  ) {}
}

/**
 * An answer written as it is produced (event streams): the status and headers first, then
 * each chunk of `body` as the operation yields it, with no Content-Length (chunked). If the
 * client goes away, the body's iterator is returned early so the operation can clean up.
 * Failures after the headers cannot become an HTTP error any more: the operation reports
 * them inside the body (event stream exception messages), never by throwing.
 */
export class StreamResponse {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: AsyncIterable<Uint8Array>,
  ) {}
}

interface Route {
  op: string;
  method: string;
  /** Literal segments, or {label, greedy} for `{Name}` / `{Name+}`. */
  segments: Array<string | { label: string; greedy: boolean }>;
  /** The literal query of the requestUri (e.g. `?delete`), rarely used. */
  input: ShapeDef | undefined;
  status: number;
}

const routeCache = new WeakMap<RestJsonService, Route[]>();

function routes(svc: RestJsonService): Route[] {
  let list = routeCache.get(svc);
  if (!list) {
    list = Object.keys(svc.operations).map((op) => {
      const def = svc.tables.operations[op];
      if (!def) throw new Error(`${svc.specName}: ${op} is not in src/spec/generated; run npm run gen`);
      const path = def.http.requestUri.split('?')[0];
      return {
        op,
        method: def.http.method,
        segments: path.split('/').map((s) => {
          const m = /^\{([^}+]+)(\+?)\}$/.exec(s);
          return m ? { label: m[1], greedy: m[2] === '+' } : s;
        }),
        input: def.input ? svc.tables.shapes[def.input] : undefined,
        status: def.http.responseCode ?? 200,
      };
    });
    routeCache.set(svc, list);
  }
  return list;
}

/** Matches the raw path segment by segment; labels are decoded only after splitting (ARNs arrive as `%2F`). */
function match(svc: RestJsonService, method: string, rawPath: string): { route: Route; labels: Record<string, string> } | undefined {
  const parts = rawPath.split('/');
  let pathMatched = false;
  for (const route of routes(svc)) {
    const labels: Record<string, string> = {};
    let ok = true;
    let i = 0;
    for (; i < route.segments.length && ok; i++) {
      const seg = route.segments[i];
      if (typeof seg === 'string') ok = parts[i] === seg;
      else if (seg.greedy) {
        labels[seg.label] = decode(parts.slice(i).join('/'));
        i = parts.length;
        break;
      } else {
        ok = parts[i] !== undefined && parts[i] !== '';
        if (ok) labels[seg.label] = decode(parts[i]);
      }
    }
    if (!ok || i !== parts.length) continue;
    pathMatched = true;
    if (route.method === method) return { route, labels };
  }
  if (pathMatched) throw new AwsError('UnknownOperationException', `${method} is not supported on ${rawPath}`, 405);
  return undefined;
}

export async function handleRestJson(
  svc: RestJsonService,
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  raw: RawRequest,
  claim: SigV4Claim | undefined,
  claimError: AwsError | undefined,
  requestId: string,
): Promise<void> {
  let op = '';
  try {
    if (claimError) throw claimError;
    const body = await readBody(req, svc.bodyLimit);
    const { region } = await verify(raw, claim, {
      credentials: services.config.credentials,
      now: new Date(services.clock.now()),
      expectedService: svc.signingName,
      body,
    });
    const found = match(svc, raw.method, raw.rawPath);
    if (!found) throw new AwsError('UnknownOperationException', `No operation matches ${raw.method} ${raw.rawPath}`, 404);
    op = found.route.op;
    const input = bindInput(svc, found.route.input, found.labels, raw, body);
    try {
      validateInput(svc.specName, op, input);
    } catch (e) {
      if (e instanceof AwsError && e.code === 'ValidationException' && svc.validationCode !== e.code) {
        throw new AwsError(svc.validationCode, e.message, e.status, e.extra);
      }
      throw e;
    }
    const ctx: OpContext = opContext(services, services.config.accountId, region, requestId);
    const output = await svc.operations[op](ctx, input);
    if (output instanceof RawResponse) {
      const { headers } = output;
      headers['Content-Length'] = Buffer.byteLength(output.body);
      headers['x-amzn-RequestId'] = requestId;
      res.writeHead(output.status, headers);
      res.end(output.body);
      return;
    }
    if (output instanceof StreamResponse) {
      await sendStream(res, output, requestId, services, op);
      return;
    }
    const text = JSON.stringify(output ?? {});
    res.writeHead(found.route.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': requestId,
    });
    res.end(text);
  } catch (err) {
    sendRestJsonError(res, requestId, err instanceof AwsError ? err : internalFailure());
    if (!(err instanceof AwsError)) services.log.error({ err, op, requestId }, 'operation failed');
  }
}

/** Writes a StreamResponse with backpressure; a client that hangs up ends the body's iteration. */
async function sendStream(res: ServerResponse, output: StreamResponse, requestId: string, services: Services, op: string): Promise<void> {
  const headers: Record<string, string> = {};
  for (const k of Object.keys(output.headers)) headers[k] = output.headers[k];
  headers['x-amzn-RequestId'] = requestId;
  res.writeHead(output.status, headers);
  // Sent now, not with the first chunk: the client learns the status and headers (variant,
  // content type) while the model is still working.
  res.flushHeaders();
  try {
    // pipeline() waits for 'drain' between chunks and, when the client closes early,
    // destroys the Readable, which returns the operation's iterator (its finally runs).
    await pipeline(Readable.from(output.body, { objectMode: false }), res);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') services.log.error({ err, op, requestId }, 'streamed answer failed');
    res.destroy();
  }
}

/**
 * REST-JSON errors: the code in `x-amzn-ErrorType` (read first by the SDKs) and the modelled
 * members in the body, `Message` capitalised as the error shapes of both APIs model it.
 */
export function sendRestJsonError(res: ServerResponse, requestId: string, e: AwsError): void {
  const text = JSON.stringify({ Message: e.message, ...e.extra });
  res.writeHead(e.status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
    'x-amzn-ErrorType': e.code,
  });
  res.end(text);
}

/** Builds the input structure from URI labels, query, headers and body as the model binds them. */
function bindInput(
  svc: RestJsonService,
  shape: ShapeDef | undefined,
  labels: Record<string, string>,
  raw: RawRequest,
  body: Buffer,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (!shape?.members) return input;
  let query: Record<string, string | string[]> | undefined;
  let jsonBody: Record<string, unknown> | undefined;
  for (const { name, m, target, headerName } of boundMembers(svc, shape)) {
    switch (m.location) {
      case 'uri':
        if (labels[m.locationName ?? name] !== undefined) input[name] = labels[m.locationName ?? name];
        break;
      case 'querystring': {
        query ??= parseQuery(raw.rawQuery);
        const v = query[m.locationName ?? name];
        if (v === undefined) break;
        if (target.type === 'list') {
          const member = svc.tables.shapes[target.member!];
          input[name] = (Array.isArray(v) ? v : [v]).map((x) => scalar(member, x, name, 'iso'));
        } else input[name] = scalar(target, Array.isArray(v) ? v[0] : v, name, 'iso');
        break;
      }
      case 'header': {
        const v = raw.headers[headerName];
        if (v === undefined) break;
        input[name] = scalar(target, Array.isArray(v) ? v.join(',') : v, name, 'http-date');
        break;
      }
      default:
        if (shape.payload === name) {
          if (target.type === 'blob') {
            if (body.length > 0) input[name] = body;
          } else if (body.length > 0) input[name] = parseJsonObject(body);
        } else {
          jsonBody ??= body.length > 0 && !shape.payload ? parseJsonObject(body) : {};
          if (jsonBody[name] !== undefined) input[name] = jsonBody[name];
        }
    }
  }
  return input;
}

interface BoundMember {
  name: string;
  m: NonNullable<ShapeDef['members']>[string];
  target: ShapeDef;
  /** Lower-cased header name (used for location 'header'). */
  headerName: string;
}

/** An input shape's members with their target shapes, resolved once per shape rather than per request. */
const boundCache = new WeakMap<ShapeDef, BoundMember[]>();
function boundMembers(svc: RestJsonService, shape: ShapeDef): BoundMember[] {
  let list = boundCache.get(shape);
  if (!list) {
    list = Object.entries(shape.members!).map(([name, m]) => ({
      name,
      m,
      target: svc.tables.shapes[m.shape],
      headerName: (m.locationName ?? name).toLowerCase(),
    }));
    boundCache.set(shape, list);
  }
  return list;
}

function scalar(shape: ShapeDef, v: string, member: string, dateFormat: 'iso' | 'http-date'): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long':
      if (!/^-?\d+$/.test(v)) throw serialization(`Expected an integer for '${member}' but found '${v}'.`);
      return Number(v);
    case 'float':
    case 'double': {
      const n = Number(v);
      if (v.trim() === '' || Number.isNaN(n)) throw serialization(`Expected a number for '${member}' but found '${v}'.`);
      return n;
    }
    case 'boolean':
      if (v !== 'true' && v !== 'false') throw serialization(`Expected true or false for '${member}' but found '${v}'.`);
      return v === 'true';
    case 'timestamp': {
      // Query timestamps are ISO 8601 and header timestamps HTTP dates in REST-JSON; accept epoch seconds too.
      const ms = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
      if (Number.isNaN(ms)) throw serialization(`Expected a ${dateFormat === 'iso' ? 'ISO 8601' : 'HTTP'} date for '${member}' but found '${v}'.`);
      return ms / 1000;
    }
    default:
      return v;
  }
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw serialization('Unexpected character or end of input while parsing the request body as JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw serialization('Expected a JSON object as the request body.');
  return value as Record<string, unknown>;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw serialization(`Malformed percent-encoding in the path segment '${s}'.`);
  }
}
