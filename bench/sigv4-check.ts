/**
 * Differential check of src/http/sigv4.ts's fast signature path against the AWS SDK's own
 * `SignatureV4.sign()`: both must give the same signature for every generated request
 * (header auth and presigned, S3 and JSON services, odd paths, queries, header values,
 * headers that the signer treats specially). Also checks that `verify` accepts requests
 * signed by the SDK as a client and refuses a tampered one.
 *
 *   node dist/bench/sigv4-check.js [--cases 20000]
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { parseClaim, parseQuery, recomputeSignature, verify, type RawRequest, type SigV4Claim } from '../src/http/sigv4.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '20000' } } });
const CASES = Number(values.cases);

let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];

const PATHS = ['/', '/endpoints/my-ep/invocations', '/2020-11-20/projects/p1/models/1', '/2020-11-20/a%2Fb/c', '/a/./b/../c/', '/bucket/key%20with%20space', '/bucket/k~e_y-.txt', '//double//slash', '/%E2%82%AC'];
const QUERIES = ['', 'a=1', 'b=2&a=1', 'list-type=2&prefix=x%2Fy', 'x=a+b', 'k&k=2&k=1', 'empty=&z=%20'];
const VALUES = ['value', '  padded  ', 'inner   spaces\tand tab', 'multi\nline', 'application/x-amz-json-1.1', ''];
const SERVICES = ['sagemaker', 's3', 'lookoutvision'];

function makeCase() {
  const service = pick(SERVICES);
  const presigned = rnd() < 0.25;
  const amzDate = pick(['20261126T131400Z', '20260101T000000Z', '20261231T235959Z', '20261126T246000Z']);
  const names = new Set(['host']);
  for (const h of ['content-type', 'x-amz-target', 'x-amz-user-agent', 'amz-sdk-request', 'user-agent', 'x-amzn-trace-id', 'date', 'authorization', 'proxy-x', 'sec-y', 'connection']) {
    if (rnd() < 0.3 && !(presigned && h === 'authorization')) names.add(h);
  }
  if (!presigned && rnd() < 0.85) names.add('x-amz-date');
  if (rnd() < 0.4) names.add('x-amz-content-sha256');
  const headers: Record<string, string | string[]> = { host: `127.0.0.1:${pick(['7070', '443'])}` };
  for (const n of names) if (n !== 'host') headers[n] = rnd() < 0.1 ? [pick(VALUES), pick(VALUES)] : pick(VALUES);
  headers['x-amz-date'] = amzDate;
  const body = Buffer.from(pick(['', '{}', '{"EndpointConfigName":"x"}']));
  if (names.has('x-amz-content-sha256')) {
    headers['x-amz-content-sha256'] = rnd() < 0.5 ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(body).digest('hex');
  }
  const signedHeaders = [...names].sort();
  let rawQuery = pick(QUERIES);
  if (presigned) {
    const extra = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F${amzDate.slice(0, 8)}%2Fus-east-1%2F${service}%2Faws4_request&X-Amz-Date=${amzDate}&X-Amz-Expires=300&X-Amz-SignedHeaders=${signedHeaders.join('%3B')}&X-Amz-Signature=${'0'.repeat(64)}`;
    rawQuery = rawQuery ? `${rawQuery}&${extra}` : extra;
  } else {
    headers.authorization = `AWS4-HMAC-SHA256 Credential=test/${amzDate.slice(0, 8)}/us-east-1/${service}/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${'0'.repeat(64)}`;
  }
  const raw: RawRequest = { method: pick(['POST', 'GET', 'PUT']), rawPath: pick(PATHS), rawQuery, headers };
  return { raw, body };
}

/** Rebuilds what `verify` passes to recomputeSignature (kept in step with sigv4.ts by this check failing otherwise). */
function inputFor(raw: RawRequest, claim: SigV4Claim, body: Buffer) {
  const headers: Record<string, string> = {};
  for (const name of claim.signedHeaders) {
    const v = raw.headers[name];
    headers[name] = Array.isArray(v) ? v.join(',') : (v ?? '');
  }
  const query = parseQuery(raw.rawQuery);
  let payloadHash = raw.headers['x-amz-content-sha256'] as string | undefined;
  if (claim.presigned) {
    delete query['X-Amz-Signature'];
    payloadHash = claim.service === 's3' ? 'UNSIGNED-PAYLOAD' : undefined;
  }
  payloadHash ??= createHash('sha256').update(body).digest('hex');
  headers['x-amz-content-sha256'] ??= payloadHash;
  const d = claim.amzDate;
  const signingDate = new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15)));
  return { method: raw.method, path: raw.rawPath, query, headers, claim, secret: 'test', signingDate };
}

async function main() {
  let same = 0;
  const diffs: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const { raw, body } = makeCase();
    const claim = parseClaim(raw)!;
    const input = inputFor(raw, claim, body);
    const fast = await recomputeSignature(input);
    const sdk = await recomputeSignature(inputFor(raw, claim, body), { sdkSign: true });
    if (fast === sdk) same++;
    else if (diffs.length < 5) diffs.push(`${raw.method} ${raw.rawPath}?${raw.rawQuery} ${JSON.stringify(raw.headers)}: fast ${fast} sdk ${sdk}`);
  }
  console.log(`fast path vs SignatureV4.sign(): ${same}/${CASES} identical`);
  for (const d of diffs) console.log('  DIFF ' + d);

  // End to end: the SDK signs as a client would; verify accepts; a changed body is refused.
  const client = new SignatureV4({ credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, region: 'us-east-1', service: 'sagemaker', sha256: Hash.bind(null, 'sha256') });
  let accepted = 0;
  let refused = 0;
  const N = 2000;
  for (let i = 0; i < N; i++) {
    const body = JSON.stringify({ EndpointConfigName: `cfg-${i}` });
    const now = new Date(Date.UTC(2026, 10, 26, 13, 14, i % 60));
    const signedReq = await client.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 7070,
        path: '/',
        headers: { host: '127.0.0.1:7070', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'SageMaker.DescribeEndpointConfig', 'x-amz-user-agent': `aws-sdk-js/3 i/${i}` },
        body,
      },
      { signingDate: now },
    );
    const headers = Object.fromEntries(Object.entries(signedReq.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const raw: RawRequest = { method: 'POST', rawPath: '/', rawQuery: '', headers };
    const opts = { credentials: new Map([['test', 'test']]), now, expectedService: 'sagemaker' };
    try {
      await verify(raw, parseClaim(raw), { ...opts, body: Buffer.from(body) });
      accepted++;
    } catch (e) {
      if (diffs.length < 10) diffs.push(`verify refused an SDK-signed request: ${(e as Error).message}`);
    }
    try {
      await verify(raw, parseClaim(raw), { ...opts, body: Buffer.from(body + ' ') });
    } catch (e) {
      if ((e as { code?: string }).code === 'InvalidSignatureException') refused++;
    }
  }
  console.log(`verify: ${accepted}/${N} SDK-signed requests accepted, ${refused}/${N} with a changed body refused`);
  const ok = same === CASES && accepted === N && refused === N;
  if (!ok) for (const d of diffs) console.log('  ' + d);
  console.log(ok ? 'sigv4 check: OK' : 'sigv4 check: FAILED');
  process.exit(ok ? 0 : 1);
}

main();
