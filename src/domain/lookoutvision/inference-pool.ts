import { Worker } from 'node:worker_threads';
import type { Detection, DetectorModel } from './detector.js';
import { ImageError } from './image.js';
import type { InferenceRequest } from './inference-worker.js';

interface Slot {
  worker: Worker;
  loaded: Set<string>;
  pending: Map<number, { resolve: (d: Detection) => void; reject: (e: Error) => void }>;
}

/**
 * A small pool of inference worker threads for hosted models. A request goes to the worker
 * with the fewest requests in flight; a model is sent to a worker the first time that worker
 * needs it. A worker that dies fails its requests and is replaced.
 */
export class InferencePool {
  private slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly size: number) {}

  private spawn(i: number): Slot {
    const worker = new Worker(new URL('./inference-worker.js', import.meta.url));
    const slot: Slot = { worker, loaded: new Set(), pending: new Map() };
    worker.on('message', (m: { id: number; result?: Detection; error?: { kind: string; message: string } }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.result) {
        // Structured clone turns the mask Buffer into a Uint8Array.
        if (m.result.mask) m.result.mask = Buffer.from(m.result.mask.buffer, m.result.mask.byteOffset, m.result.mask.byteLength);
        p.resolve(m.result);
      } else p.reject(m.error!.kind === 'image' ? new ImageError(m.error!.message) : new Error(m.error!.message));
    });
    const fail = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      if (!this.closed && this.slots[i] === slot) this.slots[i] = this.spawn(i);
    };
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`inference worker exited (${code})`)));
    worker.unref();
    return slot;
  }

  detect(key: string, model: DetectorModel, bytes: Buffer, type: string): Promise<Detection> {
    if (this.closed) return Promise.reject(new Error('inference pool is closed'));
    while (this.slots.length < this.size) this.slots.push(this.spawn(this.slots.length));
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    const msg: InferenceRequest = { id, key, bytes, type };
    if (!slot.loaded.has(key)) {
      msg.model = model;
      slot.loaded.add(key);
    }
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(msg);
    });
  }

  /** Forgets a model in every worker (StopModel, DeleteModel). */
  unload(key: string): void {
    for (const s of this.slots) {
      if (s.loaded.delete(key)) s.worker.postMessage({ id: 0, key, unload: true } satisfies InferenceRequest);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
