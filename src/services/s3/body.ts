import { createHash, createHmac, timingSafeEqual, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { AwsError } from '../../errors.js';
import { headerValue, type SigV4Claim } from '../../http/sigv4.js';
import type { ObjectChecksum } from '../../objects/object-store.js';
import { checksummer, isChecksumAlgorithm, type ChecksumAlgorithm, type Checksummer } from './checksums.js';
import { s3Err } from './xml.js';

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const MAX_LINE = 8 * 1024;

/** What the request headers promise about the body; checked as the bytes stream through. */
export interface BodyExpectations {
  /** 'aws-chunked' framing: unsigned chunks, or chunks signed with the seed signature. */
  chunked?: { signing?: { key: Buffer; amzDate: string; scope: string; seed: string }; trailerSigned: boolean };
  /** Hex SHA-256 from x-amz-content-sha256. */
  sha256?: string;
  /** x-amz-decoded-content-length (chunked) or Content-Length. */
  length?: number;
  /** Base64 MD5 from Content-MD5. */
  md5?: string;
  /** Flexible checksum; `value` undefined means it arrives in the trailer. */
  checksum?: { algorithm: ChecksumAlgorithm; value?: string };
}

/**
 * Decodes and verifies a request body while it streams: aws-chunked framing (with chunk and
 * trailer signatures when signed), x-amz-content-sha256, Content-MD5, decoded length and
 * the flexible checksum (header or trailer). A mismatch fails the stream at its end, so an
 * object store consuming it commits nothing.
 */
export class S3BodyStream extends Transform {
  private state: 'size' | 'data' | 'crlf' | 'trailer' | 'done';
  private line: Buffer[] = [];
  private lineLen = 0;
  private remaining = 0;
  private chunkSig = '';
  private prevSig = '';
  private chunkHash?: Hash;
  private decoded = 0;
  private readonly sha?: Hash;
  private readonly md5?: Hash;
  private readonly sum?: Checksummer;
  private readonly trailers = new Map<string, string>();
  private trailerSig?: string;
  private trailerText = '';
  /** The decoded length the headers announce, if any. */
  get expectedLength(): number | undefined {
    return this.exp.length;
  }
  /** The verified flexible checksum, once the body has been read. */
  checksum?: ObjectChecksum;

  constructor(private readonly exp: BodyExpectations) {
    super();
    this.state = exp.chunked ? 'size' : 'data';
    if (!exp.chunked) this.remaining = Infinity;
    this.prevSig = exp.chunked?.signing?.seed ?? '';
    if (exp.sha256) this.sha = createHash('sha256');
    if (exp.md5 !== undefined) this.md5 = createHash('md5');
    if (exp.checksum) this.sum = checksummer(exp.checksum.algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      if (!this.exp.chunked) {
        this.emitData(chunk);
        return cb();
      }
      let off = 0;
      while (off < chunk.length) {
        if (this.state === 'data') {
          const take = Math.min(this.remaining, chunk.length - off);
          const piece = chunk.subarray(off, off + take);
          this.chunkHash?.update(piece);
          this.emitData(piece);
          this.remaining -= take;
          off += take;
          if (this.remaining === 0) {
            this.endChunk();
            this.state = 'crlf';
          }
          continue;
        }
        if (this.state === 'done') throw incompleteBody();
        const nl = chunk.indexOf(0x0a, off);
        const end = nl < 0 ? chunk.length : nl;
        this.lineLen += end - off;
        if (this.lineLen > MAX_LINE) throw incompleteBody();
        this.line.push(chunk.subarray(off, end));
        off = end;
        if (nl < 0) break;
        off = nl + 1;
        const text = Buffer.concat(this.line).toString('latin1');
        this.line = [];
        this.lineLen = 0;
        if (!text.endsWith('\r')) throw incompleteBody();
        this.onLine(text.slice(0, -1));
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (this.exp.chunked && this.state !== 'done') {
        // Tolerate a missing final blank line after the trailers, but never skip their signature.
        if (this.state !== 'trailer' || this.lineLen !== 0) throw incompleteBody();
        this.verifyTrailerSignature();
      }
      if (this.exp.length !== undefined && this.decoded !== this.exp.length) throw incompleteBody();
      if (this.sha) {
        const got = this.sha.digest('hex');
        if (got !== this.exp.sha256) {
          throw s3Err('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
            ClientComputedContentSHA256: this.exp.sha256,
            S3ComputedContentSHA256: got,
          });
        }
      }
      if (this.md5 && this.md5.digest('base64') !== this.exp.md5) {
        throw s3Err('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
      }
      if (this.sum && this.exp.checksum) {
        const alg = this.exp.checksum.algorithm;
        const expected = this.exp.checksum.value ?? this.trailers.get(`x-amz-checksum-${alg}`);
        if (expected === undefined) throw s3Err('InvalidRequest', `x-amz-checksum-${alg} trailer was not sent.`, 400);
        const got = this.sum.digest();
        if (got !== expected) {
          throw s3Err('BadDigest', `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`, 400);
        }
        this.checksum = { algorithm: alg.toUpperCase(), value: got };
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private emitData(b: Buffer): void {
    this.decoded += b.length;
    this.sha?.update(b);
    this.md5?.update(b);
    this.sum?.update(b);
    this.push(b);
  }

  private onLine(text: string): void {
    switch (this.state) {
      case 'size': {
        const m = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(text);
        if (!m) throw incompleteBody();
        const signing = this.exp.chunked?.signing;
        if (signing && !m[2]) throw signatureMismatch();
        this.chunkSig = m[2] ?? '';
        this.remaining = parseInt(m[1], 16);
        this.chunkHash = signing ? createHash('sha256') : undefined;
        if (this.remaining === 0) {
          this.endChunk();
          this.state = 'trailer';
        } else this.state = 'data';
        return;
      }
      case 'crlf':
        if (text !== '') throw incompleteBody();
        this.state = 'size';
        return;
      case 'trailer': {
        if (text === '') {
          this.verifyTrailerSignature();
          this.state = 'done';
          return;
        }
        const colon = text.indexOf(':');
        if (colon <= 0) throw incompleteBody();
        const name = text.slice(0, colon).trim().toLowerCase();
        const value = text.slice(colon + 1).trim();
        if (name === 'x-amz-trailer-signature') this.trailerSig = value;
        else {
          this.trailers.set(name, value);
          this.trailerText += `${name}:${value}\n`;
        }
        return;
      }
      default:
        throw incompleteBody();
    }
  }

  /** Chunk signature = HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" date scope previous-signature sha256("") sha256(chunk)). */
  private endChunk(): void {
    const signing = this.exp.chunked?.signing;
    if (!signing) return;
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, this.prevSig, EMPTY_SHA256, this.chunkHash!.digest('hex')].join('\n');
    const expected = createHmac('sha256', signing.key).update(toSign).digest('hex');
    if (!safeEqual(expected, this.chunkSig)) throw signatureMismatch();
    this.prevSig = expected;
  }

  private verifyTrailerSignature(): void {
    const signing = this.exp.chunked?.signing;
    if (!signing || !this.exp.chunked?.trailerSigned) return;
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, this.prevSig, createHash('sha256').update(this.trailerText).digest('hex')].join('\n');
    const expected = createHmac('sha256', signing.key).update(toSign).digest('hex');
    if (!this.trailerSig || !safeEqual(expected, this.trailerSig)) throw signatureMismatch();
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const incompleteBody = () =>
  s3Err('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
export const signatureMismatch = () =>
  s3Err('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);

/** SigV4 signing key: HMAC chain over date, region, service. */
export function signingKey(secret: string, claim: SigV4Claim): Buffer {
  let k = createHmac('sha256', `AWS4${secret}`).update(claim.shortDate).digest();
  for (const part of [claim.region, claim.service, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  return k;
}

/** Reads what the headers say the body is and must be (see BodyExpectations). */
export function expectationsFor(req: IncomingMessage, claim: SigV4Claim, secret: string): BodyExpectations {
  const h = (n: string) => headerValue(req.headers[n]);
  const exp: BodyExpectations = {};
  const contentSha = claim.presigned ? 'UNSIGNED-PAYLOAD' : h('x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  const encoding = (h('content-encoding') ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (contentSha.startsWith('STREAMING-')) {
    const signed = contentSha.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    if (!signed && contentSha !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
      throw s3Err('InvalidArgument', `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.`, 400);
    }
    exp.chunked = {
      trailerSigned: contentSha === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      signing: signed
        ? { key: signingKey(secret, claim), amzDate: claim.amzDate, scope: `${claim.shortDate}/${claim.region}/${claim.service}/aws4_request`, seed: claim.signature }
        : undefined,
    };
    const decodedLength = h('x-amz-decoded-content-length');
    if (decodedLength === undefined) {
      throw s3Err('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
    }
    exp.length = Number(decodedLength);
  } else {
    if (encoding.includes('aws-chunked')) {
      throw s3Err('InvalidArgument', 'aws-chunked encoding requires a STREAMING-* x-amz-content-sha256.', 400);
    }
    if (contentSha !== 'UNSIGNED-PAYLOAD') {
      if (!/^[0-9a-f]{64}$/.test(contentSha)) {
        throw s3Err('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.', 400);
      }
      exp.sha256 = contentSha;
    }
    const cl = h('content-length');
    if (cl !== undefined) exp.length = Number(cl);
  }
  if (exp.length !== undefined && (!Number.isSafeInteger(exp.length) || exp.length < 0)) {
    throw s3Err('InvalidArgument', 'Invalid content length.', 400);
  }
  const md5 = h('content-md5');
  if (md5 !== undefined) {
    if (Buffer.from(md5, 'base64').length !== 16) throw s3Err('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400);
    exp.md5 = md5;
  }
  // A checksum either arrives as a header now or is announced in x-amz-trailer.
  const trailer = h('x-amz-trailer')?.trim().toLowerCase();
  for (const name of Object.keys(req.headers)) {
    const m = /^x-amz-checksum-(.+)$/.exec(name);
    if (!m || m[1] === 'algorithm' || m[1] === 'type' || m[1] === 'mode') continue;
    if (!isChecksumAlgorithm(m[1])) throw s3Err('InvalidRequest', `Unsupported checksum algorithm: ${m[1]}`, 400);
    exp.checksum = { algorithm: m[1], value: h(name) };
  }
  if (trailer) {
    const m = /^x-amz-checksum-(.+)$/.exec(trailer);
    if (!m || !isChecksumAlgorithm(m[1])) throw s3Err('InvalidRequest', `Unsupported trailer: ${trailer}`, 400);
    if (!exp.chunked) throw s3Err('InvalidRequest', 'x-amz-trailer requires aws-chunked encoding.', 400);
    exp.checksum = { algorithm: m[1] };
  }
  return exp;
}

/** The request body, decoded and verified as it streams. Errors from the socket end the stream too. */
export function bodyStream(req: IncomingMessage, exp: BodyExpectations): S3BodyStream {
  const out = new S3BodyStream(exp);
  req.on('error', (e) => out.destroy(e));
  req.on('aborted', () => out.destroy(new AwsError('RequestAborted', 'The client closed the connection.', 400)));
  out.on('error', () => {
    // Keep reading (and dropping) the rest so the error response can still be sent.
    req.unpipe(out);
    req.resume();
  });
  req.pipe(out);
  return out;
}

/** Buffers a small decoded body (XML documents) up to `limit` bytes. */
export async function smallBody(body: S3BodyStream, limit = 4 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw s3Err('MaxMessageLengthExceeded', 'Your request was too big.', 400);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
