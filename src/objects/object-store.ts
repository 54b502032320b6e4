import type { Readable } from 'node:stream';

/** Object metadata as S3 reports it. */
export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  /** Epoch milliseconds. */
  lastModified: number;
  contentType?: string;
  metadata?: Record<string, string>;
}

/**
 * The object store behind every `s3://` URI. The local filesystem implementation is the
 * default; a real S3 (or MinIO) implementation can sit behind the same interface.
 */
export interface ObjectStore {
  createBucket(bucket: string): Promise<boolean>;
  bucketExists(bucket: string): Promise<boolean>;
  listBuckets(): Promise<Array<{ name: string; created: number }>>;
  deleteBucket(bucket: string): Promise<void>;
  /** Writes atomically (temp file + rename); returns the new object's info. */
  put(bucket: string, key: string, body: Readable | Buffer, opts?: { contentType?: string; metadata?: Record<string, string> }): Promise<ObjectInfo>;
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** Reads bytes [start, end] inclusive when a range is given. */
  get(bucket: string, key: string, range?: { start: number; end: number }): Promise<{ info: ObjectInfo; body: Readable } | undefined>;
  delete(bucket: string, key: string): Promise<void>;
  list(bucket: string, opts: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys: number }): Promise<{
    objects: ObjectInfo[];
    commonPrefixes: string[];
    truncated: boolean;
    nextStartAfter?: string;
  }>;
}
