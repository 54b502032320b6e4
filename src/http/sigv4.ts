import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4, getCanonicalQuery, getSigningKey } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import type { IncomingHttpHeaders } from 'node:http';
import {
  AwsError,
  incompleteSignature,
  invalidSignature,
  missingAuthToken,
  unrecognizedClient,
} from '../errors.js';

/** What a request's SigV4 parts say before the signature is checked. */
export interface SigV4Claim {
  presigned: boolean;
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  /** As sent, split on ';' (shared between requests that send the same list: never mutate). */
  signedHeaders: readonly string[];
  signature: string;
  /** X-Amz-Date as sent (basic ISO 8601, e.g. 20261126T131400Z). */
  amzDate: string;
  /** Presigned URLs only: lifetime in seconds. */
  expires?: number;
}

export interface RawRequest {
  method: string;
  /** Path exactly as received, still percent-encoded, without the query. */
  rawPath: string;
  /** Query string exactly as received, without the '?'. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
}

const SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Reads the Authorization header or the presigned X-Amz-* query; undefined when the request is unsigned. */
export function parseClaim(req: RawRequest): SigV4Claim | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    if (!auth.startsWith('AWS4-HMAC-SHA256 ')) {
      throw incompleteSignature(`Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${auth}`);
    }
    // Only three parameters matter; the last of each wins, values and names trimmed.
    let credential = '';
    let signature = '';
    let signedHeaders = '';
    for (const piece of auth.slice(17).split(',')) {
      const eq = piece.indexOf('=');
      if (eq <= 0) continue;
      const name = piece.slice(0, eq).trim();
      if (name === 'Credential') credential = piece.slice(eq + 1).trim();
      else if (name === 'Signature') signature = piece.slice(eq + 1).trim();
      else if (name === 'SignedHeaders') signedHeaders = piece.slice(eq + 1).trim();
    }
    if (!credential || !signature || !signedHeaders) {
      const missing = [];
      if (!credential) missing.push('Credential');
      if (!signature) missing.push('Signature');
      if (!signedHeaders) missing.push('SignedHeaders');
      throw incompleteSignature(
        missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ') + ` Authorization=${auth}`,
      );
    }
    const amzDate = headerValue(req.headers['x-amz-date']);
    if (!amzDate) {
      throw incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    const scope = credentialScope(credential);
    return {
      presigned: false,
      accessKeyId: scope.accessKeyId,
      shortDate: scope.shortDate,
      region: scope.region,
      service: scope.service,
      signedHeaders: signedList(signedHeaders).sent,
      signature,
      amzDate,
    };
  }
  if (!/(^|&)X-Amz-Signature=/.test(req.rawQuery)) return undefined;
  const q = parseQuery(req.rawQuery);
  const get = (k: string) => {
    const v = q[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const algorithm = get('X-Amz-Algorithm');
  const credential = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  const expires = Number(get('X-Amz-Expires') ?? NaN);
  if (algorithm !== 'AWS4-HMAC-SHA256' || !credential || !amzDate || !signedHeaders || !signature) {
    throw incompleteSignature('AWS query-string parameters must include X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires.');
  }
  return {
    presigned: true,
    ...credentialScope(credential),
    signedHeaders: signedList(signedHeaders).sent,
    signature,
    amzDate,
    expires,
  };
}

interface CredentialScope {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
}

/**
 * Parsed Credential values: a client sends the same one on every request of a day. Bounded;
 * starts over rather than grow with every key and day seen.
 */
const scopes = new Map<string, CredentialScope>();
function credentialScope(credential: string): CredentialScope {
  const known = scopes.get(credential);
  if (known) return known;
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') {
    throw incompleteSignature(`Credential should have exactly 5 slash-separated components: ${credential}`);
  }
  const [accessKeyId, shortDate, region, service] = parts as [string, string, string, string];
  const scope = { accessKeyId, shortDate, region, service };
  if (scopes.size >= 256) scopes.clear();
  scopes.set(credential, scope);
  return scope;
}

/** A SignedHeaders value, split once: as sent, and as the canonical request lists it. */
interface SignedList {
  sent: readonly string[];
  /**
   * The names in the canonical request: sorted, each once, without `authorization` and `date`
   * (the SDK's signer drops those before canonicalising, as it regenerates them).
   */
  canonical: readonly string[];
  /** `canonical` joined with ';' (the canonical request's SignedHeaders line). */
  joined: string;
}

/** SignedHeaders values seen: a client sends the same few lists over and over. Bounded like `scopes`. */
const signedLists = new Map<string, SignedList>();
const listsBySent = new WeakMap<readonly string[], SignedList>();
function signedList(text: string): SignedList {
  const known = signedLists.get(text);
  if (known) return known;
  const sent = Object.freeze(text.split(';'));
  const canonical = [...new Set(sent)].filter((n) => n !== 'authorization' && n !== 'date').sort();
  const list = { sent, canonical, joined: canonical.join(';') };
  if (signedLists.size >= 256) signedLists.clear();
  signedLists.set(text, list);
  listsBySent.set(sent, list);
  return list;
}

/** The split list of a claim (parsed here, or built elsewhere, e.g. by tests or SigV2). */
function signedListOf(claim: SigV4Claim): SignedList {
  return listsBySent.get(claim.signedHeaders) ?? signedList(claim.signedHeaders.join(';'));
}

const signers = new Map<string, SignatureV4>();
function signerFor(accessKeyId: string, secretAccessKey: string, region: string, service: string): SignatureV4 {
  const key = `${accessKeyId}\0${secretAccessKey}\0${region}\0${service}`;
  let s = signers.get(key);
  if (!s) {
    s = new SignatureV4({
      credentials: { accessKeyId, secretAccessKey },
      region,
      service,
      sha256: Hash.bind(null, 'sha256'),
      // S3 signs the path once; every other service signs it encoded twice.
      uriEscapePath: service !== 's3',
      applyChecksum: false,
    });
    signers.set(key, s);
  }
  return s;
}

export interface VerifyOptions {
  credentials: Map<string, string>;
  now: Date;
  /** The service the route expects ('sagemaker', 'lookoutvision', 's3'). */
  expectedService: string;
  /** The body, when the payload hash is not in a signed x-amz-content-sha256 header. */
  body?: Buffer;
}

/**
 * Recomputes the signature with the AWS SDK's own signer and compares in constant time.
 * Throws the AWS error a JSON service answers; S3 maps these to its XML codes.
 */
export async function verify(req: RawRequest, claim: SigV4Claim | undefined, opts: VerifyOptions): Promise<SigV4Claim> {
  if (!claim) throw missingAuthToken();
  const secret = opts.credentials.get(claim.accessKeyId);
  if (secret === undefined) throw unrecognizedClient();
  if (claim.service !== opts.expectedService) {
    throw invalidSignature(`Credential should be scoped to correct service: '${opts.expectedService}'. `);
  }
  const signingDate = parseAmzDate(claim.amzDate);
  if (!signingDate || claim.amzDate.slice(0, 8) !== claim.shortDate) {
    throw invalidSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.shortDate}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`);
  }
  const now = opts.now.getTime();
  // Only S3 honours X-Amz-Expires; other services hold a presigned request to the same
  // 15-minute window as a signed header (STS presigned URLs behave this way).
  if (claim.presigned && claim.service === 's3') {
    const expires = claim.expires ?? NaN;
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      throw new AwsError('AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds', 400);
    }
    if (now > signingDate.getTime() + expires * 1000) {
      throw new AwsError('AccessDenied', 'Request has expired', 403, { Expires: isoSeconds(new Date(signingDate.getTime() + expires * 1000)), ServerTime: isoSeconds(opts.now) });
    }
  } else if (signingDate.getTime() < now - SKEW_MS) {
    throw invalidSignature(`Signature expired: ${claim.amzDate} is now earlier than ${basicIso(new Date(now - SKEW_MS))} (${basicIso(opts.now)} - 15 min.)`);
  } else if (signingDate.getTime() > now + SKEW_MS) {
    throw invalidSignature(`Signature not yet current: ${claim.amzDate} is still later than ${basicIso(new Date(now + SKEW_MS))} (${basicIso(opts.now)} + 15 min.)`);
  }

  const list = signedListOf(claim);
  const headers: Record<string, string> = {};
  for (const name of list.sent) {
    const v = req.headers[name];
    if (v === undefined) throw invalidSignature();
    headers[name] = headerValue(v) ?? '';
  }
  // Most requests have no query: nothing to parse (presigned ones always do).
  const query = req.rawQuery === '' ? EMPTY_QUERY : parseQuery(req.rawQuery);
  let payloadHash = headerValue(req.headers['x-amz-content-sha256']);
  if (claim.presigned) {
    delete query['X-Amz-Signature'];
    // S3 presigned URLs never sign the payload (botocore and the JS SDK follow it); other
    // services hash it as with header auth (a presigned STS GET signs e3b0…, the empty body).
    const q = query['X-Amz-Content-Sha256'];
    payloadHash = typeof q === 'string' ? q : claim.service === 's3' ? 'UNSIGNED-PAYLOAD' : undefined;
  }
  if (payloadHash === undefined) {
    payloadHash = sha256Hex(opts.body ?? Buffer.alloc(0));
  } else if (opts.body !== undefined && /^[0-9a-f]{64}$/.test(payloadHash)) {
    // The JS SDK sends x-amz-content-sha256 on every call: trusting it without hashing the
    // body would let a captured signature carry any body.
    if (sha256Hex(opts.body) !== payloadHash) throw invalidSignature();
  }
  headers['x-amz-content-sha256'] ??= payloadHash;

  const input: SignatureInput = { method: req.method, path: req.rawPath, query, headers, claim, secret, signingDate };
  // The synchronous fast path answers unless the signing key is not cached yet or the
  // canonical path is not reachable; no promise per request otherwise.
  const expected = fastSignature(input) ?? (await recomputeSignature(input));
  if (claim.signature.length !== expected.length) throw invalidSignature();
  const a = Buffer.from(expected);
  const b = Buffer.from(claim.signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw invalidSignature();
  return claim;
}

/** Everything `verify` has settled before the signature itself is recomputed. */
export interface SignatureInput {
  method: string;
  /** Raw path as received. */
  path: string;
  /** Parsed query, without X-Amz-Signature (presigned). */
  query: Record<string, string | string[]>;
  /** The signed headers by (lower-case) name, plus x-amz-content-sha256 (the payload hash). */
  headers: Record<string, string>;
  claim: SigV4Claim;
  secret: string;
  signingDate: Date;
}

/** The query of most requests; never written to (only presigned requests delete from theirs). */
const EMPTY_QUERY: Record<string, string | string[]> = Object.freeze({}) as Record<string, string | string[]>;

/**
 * The signature the request should carry. The default path builds the canonical request as
 * the AWS SDK does (stringToSignOf; the SDK's own `getCanonicalQuery`, `getSigningKey` and
 * canonical path) and hashes with node:crypto synchronously, the signing key cached per
 * (key, date, region, service): the SDK's `sign()` is async and clones the request, which
 * cost a quarter of a DescribeEndpointConfig request's CPU.
 * `{ sdkSign: true }` runs `SignatureV4.sign()` itself; bench/sigv4-check.ts compares the
 * two over generated requests.
 */
export async function recomputeSignature(x: SignatureInput, opts: { sdkSign?: boolean } = {}): Promise<string> {
  const { claim } = x;
  const signer = signerFor(claim.accessKeyId, x.secret, claim.region, claim.service);
  const canonicalPath = x.path === '/' ? '/' : canonicalPathOf(x, x.path);
  if (opts.sdkSign || canonicalPath === undefined) {
    // The generated headers are signed only when the client listed them.
    const signed = new Set(claim.signedHeaders);
    const unsignable = new Set<string>();
    if (!signed.has('x-amz-content-sha256')) unsignable.add('x-amz-content-sha256');
    if (claim.presigned || !signed.has('x-amz-date')) unsignable.add('x-amz-date');
    const out = await signer.sign(
      { method: x.method, protocol: 'http:', hostname: x.headers.host ?? '', path: x.path, query: { ...x.query }, headers: { ...x.headers } },
      { signingDate: x.signingDate, signableHeaders: signed, unsignableHeaders: unsignable },
    );
    return /Signature=([0-9a-f]{64})$/.exec(String(out.headers.authorization))?.[1] ?? '';
  }
  const stringToSign = stringToSignOf(x, canonicalPath);
  const shortDate = formatLongDate(x.signingDate).slice(0, 8);
  const key = signingKeys.get(`${claim.accessKeyId}\0${x.secret}\0${shortDate}\0${claim.region}\0${claim.service}`) ?? (await cacheSigningKey(claim.accessKeyId, x.secret, shortDate, claim.region, claim.service));
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/**
 * `recomputeSignature` without a promise: the same canonicalisation and HMAC, or undefined
 * when it needs the async path (signing key not cached yet, canonical path not reachable).
 */
function fastSignature(x: SignatureInput): string | undefined {
  const { claim } = x;
  const shortDate = formatLongDate(x.signingDate).slice(0, 8);
  const key = signingKeys.get(`${claim.accessKeyId}\0${x.secret}\0${shortDate}\0${claim.region}\0${claim.service}`);
  if (key === undefined) return undefined;
  const canonicalPath = x.path === '/' ? '/' : canonicalPathOf(x, x.path);
  if (canonicalPath === undefined) return undefined;
  return createHmac('sha256', key).update(stringToSignOf(x, canonicalPath)).digest('hex');
}

/**
 * The string to sign, built as SignatureV4.signRequest builds it: the canonical headers are
 * the client's SignedHeaders (sorted, each once; `authorization` and `date` dropped, as the
 * SDK regenerates them), values trimmed with inner whitespace runs folded to one space (the
 * SDK's getCanonicalHeaders); x-amz-date re-formatted from the signing date; the payload hash
 * from x-amz-content-sha256. bench/sigv4-check.ts and test/wire/sigv4-differential.test.ts
 * hold this to `SignatureV4.sign()` over generated requests.
 */
function stringToSignOf(x: SignatureInput, canonicalPath: string): string {
  const { claim } = x;
  const longDate = formatLongDate(x.signingDate);
  const list = signedListOf(claim);
  let lines = '';
  for (const name of list.canonical) {
    const value = name === 'x-amz-date' ? longDate : x.headers[name]!;
    lines += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }
  const query = x.query === EMPTY_QUERY ? '' : getCanonicalQuery({ query: x.query } as unknown as Parameters<typeof getCanonicalQuery>[0]);
  const canonicalRequest = `${x.method}\n${canonicalPath}\n${query}\n${lines}\n${list.joined}\n${x.headers['x-amz-content-sha256']}`;
  return `AWS4-HMAC-SHA256\n${longDate}\n${longDate.slice(0, 8)}/${claim.region}/${claim.service}/aws4_request\n${sha256Hex(canonicalRequest)}`;
}

/** One-shot `crypto.hash` (Node ≥ 20.12) skips a Hash object per call; older Node falls back. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string }).hash;
const sha256Hex: (data: string | Buffer) => string = oneShot
  ? (data) => oneShot('sha256', data, 'hex')
  : (data) => createHash('sha256').update(data).digest('hex');

/** SignatureV4's `formatDate` (ISO 8601 basic), remembered for the last instant: clients sign many requests per second. */
let lastDateMs = NaN;
let lastLongDate = '';
function formatLongDate(d: Date): string {
  const ms = d.getTime();
  if (ms !== lastDateMs) {
    lastLongDate = d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    lastDateMs = ms;
  }
  return lastLongDate;
}

const signingKeys = new Map<string, Uint8Array>();
async function cacheSigningKey(accessKeyId: string, secretAccessKey: string, shortDate: string, region: string, service: string): Promise<Uint8Array> {
  const key = await getSigningKey(Hash.bind(null, 'sha256'), { accessKeyId, secretAccessKey }, shortDate, region, service);
  // A handful of live (key, day, region, service) combinations; start over rather than grow.
  if (signingKeys.size >= 64) signingKeys.clear();
  signingKeys.set(`${accessKeyId}\0${secretAccessKey}\0${shortDate}\0${region}\0${service}`, key);
  return key;
}

/**
 * The SDK signer's canonical path (double-encoded for every service but S3); undefined if it
 * is not reachable. Remembered per (service, path): clients call the same few paths (one
 * endpoint's `/invocations`) over and over, and escaping each segment twice is not free.
 */
const canonicalPaths = new Map<string, string>();
function canonicalPathOf(x: SignatureInput, path: string): string | undefined {
  const { claim } = x;
  const k = claim.service === 's3' ? `s3\0${path}` : path;
  const known = canonicalPaths.get(k);
  if (known !== undefined) return known;
  const signer = signerFor(claim.accessKeyId, x.secret, claim.region, claim.service);
  const fn = (signer as unknown as { getCanonicalPath?: (r: { path: string }) => string }).getCanonicalPath;
  if (typeof fn !== 'function') return undefined;
  const canonical = fn.call(signer, { path });
  // Bounded: start over rather than grow with every distinct object key or endpoint name.
  if (canonicalPaths.size >= 4096) canonicalPaths.clear();
  canonicalPaths.set(k, canonical);
  return canonical;
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** RFC 3986 query parsing (a '+' stays a '+', unlike URLSearchParams). */
export function parseQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!raw) return out;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : safeDecode(pair.slice(eq + 1));
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The last X-Amz-Date parsed: a client's requests within one second share it. */
let lastAmzText = '';
let lastAmzDate: Date | undefined;
function parseAmzDate(s: string): Date | undefined {
  if (s === lastAmzText) return lastAmzDate;
  const d = parseAmzDateText(s);
  lastAmzText = s;
  lastAmzDate = d;
  return d;
}

function parseAmzDateText(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const basicIso = (d: Date) => d.toISOString().replace(/[-:]|\.\d{3}/g, '');
const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}/, '');
