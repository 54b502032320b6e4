import type { Readable } from 'node:stream';

/** A checksum as S3 stores it: algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) and base64 value. */
export interface ObjectChecksum {
  algorithm: string;
  value: string;
}

/** Standard HTTP headers S3 keeps with an object and answers back on GET/HEAD. */
export interface ObjectHeaders {
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
}

/** Object metadata as S3 reports it. */
export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  /** MD5 hex of the content, or `<md5 of part md5s>-<parts>` for multipart objects; unquoted. */
  etag: string;
  /** Epoch milliseconds. */
  lastModified: number;
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: ObjectHeaders;
  /** Whole-object checksum the client sent and the server verified (PutObject only). */
  checksum?: ObjectChecksum;
  partsCount?: number;
}

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: ObjectHeaders;
  /** A function when the value is only known once the body has been read (a trailing checksum). */
  checksum?: ObjectChecksum | (() => ObjectChecksum | undefined);
  /** `If-None-Match: *` — refuse (PreconditionFailed) when the key already exists. */
  ifNoneMatch?: boolean;
  /** `If-Match: <etag>` — write only over this exact version (missing key: NoSuchKey). */
  ifMatch?: string;
}

export interface ListResult {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned; pass it back as `startAfter` to continue. */
  nextStartAfter?: string;
}

export interface UploadInfo {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
  checksum?: ObjectChecksum;
}

/**
 * The object store behind every `s3://` URI. The local filesystem implementation is the
 * default; a real S3 (or MinIO) implementation can sit behind the same interface.
 * Failures are typed S3 errors (NoSuchBucket, InvalidBucketName, …) from ./errors.ts.
 */
export interface ObjectStore {
  createBucket(bucket: string): Promise<boolean>;
  bucketExists(bucket: string): Promise<boolean>;
  listBuckets(): Promise<Array<{ name: string; created: number }>>;
  /** Refuses with BucketNotEmpty while the bucket holds objects. */
  deleteBucket(bucket: string): Promise<void>;
  /** Writes atomically (temp file + fsync + rename); returns the new object's info. A failing body stores nothing. */
  put(bucket: string, key: string, body: Readable | Buffer, opts?: PutOptions): Promise<ObjectInfo>;
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** Reads bytes [start, end] inclusive when a range is given. */
  get(bucket: string, key: string, range?: { start: number; end: number }): Promise<{ info: ObjectInfo; body: Readable } | undefined>;
  /** Deleting a missing key is not an error (S3 answers 204 either way). */
  delete(bucket: string, key: string): Promise<void>;
  /** Keys in UTF-8 byte order, as S3 lists them. */
  list(bucket: string, opts: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys: number }): Promise<ListResult>;
  /** Copies bytes and (unless `replace` is given) metadata; the destination is committed atomically. */
  copy(src: { bucket: string; key: string }, dst: { bucket: string; key: string }, replace?: PutOptions): Promise<ObjectInfo>;

  createMultipartUpload(bucket: string, key: string, opts?: PutOptions): Promise<UploadInfo>;
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable | Buffer, checksum?: ObjectChecksum | (() => ObjectChecksum | undefined)): Promise<PartInfo>;
  listParts(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadInfo; parts: PartInfo[] }>;
  /** Parts must be ascending and match uploaded ETags; all but the last at least 5 MiB. */
  completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<ObjectInfo>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
}
