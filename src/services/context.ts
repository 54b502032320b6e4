import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import type { ObjectStore } from '../objects/object-store.js';

/** Time is injected so tests can move it (schedules, grace periods, idempotency windows). */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Ids {
  uuid(): string;
}

/** What every operation and controller shares for the life of the server. */
export interface Services {
  config: Config;
  store: Store;
  objects: ObjectStore;
  clock: Clock;
  ids: Ids;
  log: Logger;
}

/** One request's view: the services plus who is calling and where. */
export interface OpContext extends Services {
  account: string;
  region: string;
  requestId: string;
}

/** One AWS operation: validated input in, output out (or a thrown AwsError). */
export type Operation<I = any, O = any> = (ctx: OpContext, input: I) => Promise<O> | O;
