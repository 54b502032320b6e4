/**
 * Data capture (endpoint configs with `DataCaptureConfig`): a sample of invocations written
 * as JSON lines to the object store in SageMaker's own format and key layout, so Model
 * Monitor style tooling reads them unchanged:
 *
 *   <DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl
 *
 * one line per captured request:
 *   {"captureData":{"endpointInput":{"observedContentType":…,"mode":"INPUT","data":…,"encoding":"CSV|JSON|BASE64"},
 *                   "endpointOutput":{… "mode":"OUTPUT" …}},
 *    "eventMetadata":{"eventId":…,"inferenceId":…,"inferenceTime":"…Z"},"eventVersion":"0"}
 *
 * Capture must never fail or slow an invocation (SageMaker captures asynchronously): `record`
 * only appends to an in-memory buffer (bounded; overflow is dropped and counted), and a
 * timer flushes every few seconds; `close` flushes what is left. A failed write is logged
 * and dropped, never retried against the caller.
 */
import type { DataCaptureConfig } from '../../services/sagemaker/CreateEndpointConfig.js';

export interface CaptureSink {
  put(bucket: string, key: string, body: Buffer, opts?: { contentType?: string }): Promise<unknown>;
}

export interface CaptureEvent {
  variant: string;
  inputContentType?: string;
  input: Buffer;
  outputContentType?: string;
  output: Buffer;
  inferenceId?: string;
  /** Epoch milliseconds. */
  at: number;
  /** A given event id (inference experiments pair a production and a shadow line by it); else a fresh uuid. */
  eventId?: string;
}

export interface CaptureOptions {
  endpointName: string;
  config: DataCaptureConfig;
  sink: CaptureSink;
  uuid: () => string;
  random?: () => number;
  /** How often buffered lines are written (SageMaker writes within minutes; a few seconds here). */
  flushMs?: number;
  /** Lines held per flush before new ones are dropped (memory bound under a flood). */
  maxBufferedLines?: number;
  onError?: (err: unknown) => void;
}

/** SageMaker's defaults when CaptureContentTypeHeader is absent. */
const DEFAULT_CSV = ['text/csv'];
const DEFAULT_JSON = ['application/json'];

/** Which `encoding` SageMaker records for a content type: listed CSV/JSON types as text, else BASE64. */
export function captureEncoding(contentType: string | undefined, config: DataCaptureConfig): 'CSV' | 'JSON' | 'BASE64' {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const csv = config.CaptureContentTypeHeader?.CsvContentTypes ?? DEFAULT_CSV;
  const json = config.CaptureContentTypeHeader?.JsonContentTypes ?? DEFAULT_JSON;
  if (csv.some((t) => t.toLowerCase() === base)) return 'CSV';
  if (json.some((t) => t.toLowerCase() === base)) return 'JSON';
  return 'BASE64';
}

function payload(mode: 'INPUT' | 'OUTPUT', contentType: string | undefined, body: Buffer, config: DataCaptureConfig) {
  const encoding = captureEncoding(contentType, config);
  return {
    observedContentType: contentType ?? '',
    mode,
    data: encoding === 'BASE64' ? body.toString('base64') : body.toString('utf8'),
    encoding,
  };
}

/** One capture line, exactly as SageMaker writes it. */
export function captureLine(e: CaptureEvent, config: DataCaptureConfig, eventId: string): string {
  const modes = new Set(config.CaptureOptions.map((o) => o.CaptureMode));
  const both = modes.has('InputAndOutput');
  const captureData: Record<string, unknown> = {};
  if (both || modes.has('Input')) captureData.endpointInput = payload('INPUT', e.inputContentType, e.input, config);
  if (both || modes.has('Output')) captureData.endpointOutput = payload('OUTPUT', e.outputContentType, e.output, config);
  const eventMetadata: Record<string, unknown> = { eventId };
  if (e.inferenceId !== undefined) eventMetadata.inferenceId = e.inferenceId;
  // Second precision with a Z, as in SageMaker's capture files ("2022-02-14T21:22:41Z").
  eventMetadata.inferenceTime = new Date(e.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.stringify({ captureData, eventMetadata, eventVersion: '0' });
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl` (UTC). */
export function captureKey(prefix: string, endpoint: string, variant: string, at: number, uuid: string): string {
  const d = new Date(at);
  const dir = [prefix, endpoint, variant, d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours())]
    .filter((p) => p !== '')
    .join('/');
  return `${dir}/${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${pad(d.getUTCMilliseconds(), 3)}-${uuid}.jsonl`;
}

export class CaptureWriter {
  private readonly bucket: string;
  private readonly prefix: string;
  private buffers = new Map<string, { firstAt: number; lines: string[] }>();
  private buffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Lines dropped because the buffer was full (reported in logs). */
  dropped = 0;
  /** Lines handed to the sink successfully. */
  written = 0;
  private closed = false;

  constructor(private readonly opts: CaptureOptions) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(opts.config.DestinationS3Uri);
    if (!m) throw new Error(`DataCaptureConfig.DestinationS3Uri is not an s3:// URI: ${opts.config.DestinationS3Uri}`);
    this.bucket = m[1]!;
    this.prefix = m[2]!.replace(/\/+$/, '');
  }

  get enabled(): boolean {
    return this.opts.config.EnableCapture !== false;
  }

  /** Decides the sample (InitialSamplingPercentage) and buffers the line; never throws. */
  record(e: CaptureEvent): void {
    if (this.closed || !this.enabled) return;
    try {
      const pct = this.opts.config.InitialSamplingPercentage;
      if (!(pct >= 100) && (this.opts.random ?? Math.random)() * 100 >= pct) return;
      if (this.buffered >= (this.opts.maxBufferedLines ?? 10_000)) {
        this.dropped++;
        return;
      }
      const line = captureLine(e, this.opts.config, e.eventId ?? this.opts.uuid());
      let buf = this.buffers.get(e.variant);
      if (!buf) this.buffers.set(e.variant, (buf = { firstAt: e.at, lines: [] }));
      buf.lines.push(line);
      this.buffered++;
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.opts.flushMs ?? 2000);
      this.timer.unref?.();
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /** Writes every buffered variant file; resolves when they are written (or failed and logged). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffers;
    this.buffers = new Map();
    this.buffered = 0;
    // Serialised, so that files of one endpoint land in order.
    this.writing = this.writing.then(async () => {
      for (const [variant, { firstAt, lines }] of batch) {
        const key = captureKey(this.prefix, this.opts.endpointName, variant, firstAt, this.opts.uuid());
        try {
          await this.opts.sink.put(this.bucket, key, Buffer.from(lines.join('\n') + '\n'), { contentType: 'application/jsonl' });
          this.written += lines.length;
        } catch (err) {
          this.opts.onError?.(err);
        }
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}
