import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AwsError } from '../errors.js';
import { readEvents } from '../domain/registry/events.js';
import type { Services } from '../services/context.js';
import { sagemaker } from '../services/sagemaker/index.js';
import { handleS3, bucketFromHost } from '../services/s3/index.js';
import { runtime } from '../services/runtime/index.js';
import { lookoutvision } from '../services/lookoutvision/index.js';
import { handleJson11 } from './json11.js';
import { handleRestJson, sendRestJsonError } from './restjson.js';
import { parseClaim, type RawRequest, type SigV4Claim } from './sigv4.js';

/** The package's own version (dist/src/http → the repository root). */
const VERSION: string = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;

/**
 * One port, every API. Requests are told apart as AWS clients send them:
 * X-Amz-Target → JSON 1.1 (SageMaker); `/endpoints/…` → SageMaker Runtime and
 * `/2020-11-20/…` → Lookout for Vision (REST-JSON); SigV4 scope `s3` or a bucket in the
 * Host name → S3 (REST-XML).
 */
export function createRouter(services: Services, startedAt = Date.now()) {
  /** GET /_slipway/health, /_slipway/events, /_slipway/inference-experiments/<name>/metrics; false for any other path. */
  async function slipwayRoute(raw: RawRequest, res: ServerResponse): Promise<boolean> {
    if (raw.rawPath === '/_slipway/health') {
      const body = JSON.stringify({ status: 'ok', version: VERSION, uptimeSeconds: (Date.now() - startedAt) / 1000 });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    }
    if (raw.rawPath === '/_slipway/events') {
      // Recorded state-change events (what AWS sends to EventBridge), oldest first, as JSON
      // lines {"seq": n, "event": {...}}; `?since=<seq>` resumes after the last one read.
      const params = new URLSearchParams(raw.rawQuery);
      const since = Number(params.get('since') ?? '0');
      const limit = Math.min(Number(params.get('limit') ?? '100'), 1000);
      if (!Number.isSafeInteger(since) || since < 0 || !Number.isSafeInteger(limit) || limit < 1) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end('since must be a non-negative integer and limit an integer from 1 to 1000\n');
        return true;
      }
      const events = await readEvents(services.store, params.get('account') ?? services.config.accountId, since, limit);
      const body = events.map((e) => JSON.stringify(e) + '\n').join('');
      res.writeHead(200, {
        'Content-Type': 'application/x-ndjson',
        'Content-Length': Buffer.byteLength(body),
        'X-Slipway-Next-Since': String(events.length ? events[events.length - 1].seq : since),
      });
      res.end(body);
      return true;
    }
    const experiment = /^\/_slipway\/inference-experiments\/([^/]+)\/metrics$/.exec(raw.rawPath);
    if (experiment) {
      // Live shadow-test metrics (request/error counts, latency percentiles, agreement rate).
      // Unauthenticated like /_slipway/health: an operator's read-only view, counts and
      // timings only, never request or response data. `?region=` / `?account=` narrow it.
      const params = new URLSearchParams(raw.rawQuery);
      const name = decodeURIComponent(experiment[1]!);
      const metrics = await services.controllers.experiments?.metrics(params.get('account') ?? services.config.accountId, params.get('region') ?? undefined, name);
      const body = JSON.stringify(metrics ?? { message: `Inference experiment ${name} not found.` }, null, 2) + '\n';
      res.writeHead(metrics ? 200 : 404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    }
    return false;
  }

  // Every answer carries a Date header from the service's clock (not node:http's own), as
  // AWS's do: SDKs correct their clock skew from it, so a server clock moved ahead (tests)
  // keeps signatures current. One-second resolution: formatted once per second.
  let dateSecond = NaN;
  let dateText = '';
  const httpDate = (ms: number): string => {
    const second = Math.floor(ms / 1000);
    if (second !== dateSecond) {
      dateSecond = second;
      dateText = new Date(second * 1000).toUTCString();
    }
    return dateText;
  };
  return async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('Date', httpDate(services.clock.now()));
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const raw: RawRequest = {
      method: req.method ?? 'GET',
      rawPath: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      headers: req.headers,
    };
    // Slipway's own unsigned routes; a request for anything else under /_slipway/ goes on to
    // the AWS protocols (and gets their error).
    if (raw.rawPath.startsWith('/_slipway/') && raw.method === 'GET' && (await slipwayRoute(raw, res))) return;
    let claim: SigV4Claim | undefined;
    let claimError: AwsError | undefined;
    try {
      claim = parseClaim(raw);
    } catch (e) {
      claimError = e as AwsError;
    }
    const target = req.headers['x-amz-target'];
    const hostBucket = bucketFromHost(req.headers.host);
    // S3 clients never send X-Amz-Target, so a target wins over an 's3' scope: the JSON
    // service then answers "Credential should be scoped to correct service", as AWS does.
    if (!target && (claim?.service === 's3' || hostBucket !== undefined || !isRestJsonPath(raw.rawPath))) {
      return handleS3(services, req, res, raw, claim, claimError, requestId, hostBucket);
    }
    if (target !== undefined) {
      if (claimError) return sendJsonError(res, requestId, claimError);
      return handleJson11(sagemaker, services, req, res, raw, claim, requestId);
    }
    const rest = REST_JSON.find((svc) => raw.rawPath.startsWith(svc.pathPrefix));
    if (rest) return handleRestJson(rest, services, req, res, raw, claim, claimError, requestId);
    return sendRestJsonError(res, requestId, new AwsError('UnknownOperationException', `No operation matches ${raw.method} ${raw.rawPath}`, 404));
  };
}

const REST_JSON = [runtime, lookoutvision];

function isRestJsonPath(path: string): boolean {
  return REST_JSON.some((svc) => path.startsWith(svc.pathPrefix));
}

function sendJsonError(res: ServerResponse, requestId: string, e: AwsError): void {
  const body = JSON.stringify({ __type: e.code, message: e.message });
  res.writeHead(e.status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
    'x-amzn-ErrorType': e.code,
  });
  res.end(body);
}
