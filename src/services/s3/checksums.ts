import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';

/** Incremental checksum with S3's wire encoding (base64 of the big-endian value). */
export interface Checksummer {
  update(b: Buffer): void;
  digest(): string;
}

/** The flexible-checksum algorithms S3 accepts, by their header suffix (x-amz-checksum-<name>). */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(s: string): s is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(s);
}

export function checksummer(alg: ChecksumAlgorithm): Checksummer {
  switch (alg) {
    case 'crc32':
      return crc32();
    case 'crc32c':
      return tableCrc32(CRC32C_TABLE);
    case 'crc64nvme':
      return crc64nvme();
    case 'sha1':
    case 'sha256':
      return hashChecksum(createHash(alg));
  }
}

function hashChecksum(h: Hash): Checksummer {
  return { update: (b) => void h.update(b), digest: () => h.digest('base64') };
}

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b.toString('base64');
};

type Crc32Fn = (data: Buffer, value?: number) => number;
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

function crc32(): Checksummer {
  // zlib.crc32 exists from Node 20.15; fall back to the table version before that.
  if (!nativeCrc32) return tableCrc32(makeTable32(0xedb88320));
  let v = 0;
  return { update: (b) => void (v = nativeCrc32(b, v)), digest: () => u32(v) };
}

function makeTable32(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32C_TABLE = makeTable32(0x82f63b78);

function tableCrc32(table: Uint32Array): Checksummer {
  let c = 0xffffffff;
  return {
    update(b) {
      for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8);
    },
    digest: () => u32(c ^ 0xffffffff),
  };
}

// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), kept as two 32-bit halves because
// BigInt per byte is far too slow for multi-megabyte bodies.
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
{
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_HI[i] = Number(c >> 32n);
    CRC64_LO[i] = Number(c & 0xffffffffn);
  }
}

function crc64nvme(): Checksummer {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  return {
    update(b) {
      for (let i = 0; i < b.length; i++) {
        const idx = (lo ^ b[i]) & 0xff;
        lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]) >>> 0;
        hi = ((hi >>> 8) ^ CRC64_HI[idx]) >>> 0;
      }
    },
    digest() {
      const out = Buffer.alloc(8);
      out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
      out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
      return out.toString('base64');
    },
  };
}
