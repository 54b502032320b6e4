import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { Backend } from '../runtime/backend.js';
import type { ImageCatalog } from '../runtime/image-catalog.js';

/** Time is injected so tests can move it (schedules, grace periods, idempotency windows). */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Ids {
  uuid(): string;
}

/**
 * A controller drives one resource kind to the state its operations recorded (start
 * processes, poll health, upload artifacts) and resumes from the store after a restart.
 */
export interface Controller {
  /** Resumes every resource of its kind from the store. */
  start(): Promise<void>;
  /** Stops background work and the processes it owns (with their grace periods). */
  stop(): Promise<void>;
}

/**
 * The controllers, one per resource kind; operations call them to hand over work
 * (e.g. `ctx.controllers.training?.kick(...)`). Each issue adds its own member.
 */
export interface Controllers {
  [kind: string]: Controller | undefined;
  registry?: import('../domain/registry/controller.js').RegistryController;
  lookoutvision?: import('../domain/lookoutvision/controller.js').LookoutController;
  endpoints?: import('../domain/endpoints/controller.js').EndpointController;
  training?: import('../domain/training/controller.js').TrainingController;
  experiments?: import('../domain/experiments/controller.js').ExperimentController;
  asyncInvocations?: import('../domain/endpoints/async-queue.js').AsyncInvocations;
}

/** Where work runs: the backend (local processes by default) and the image catalog. */
export interface Runtime {
  backend: Backend;
  catalog: ImageCatalog;
}

/** What every operation and controller shares for the life of the server. */
export interface Services {
  config: Config;
  store: Store;
  objects: ObjectStore;
  runtime: Runtime;
  controllers: Controllers;
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

/**
 * Builds a request's OpContext. Same own enumerable properties, in the same order, as
 * `{ ...services, account, region, requestId }` (so spreading a context, e.g. as a store
 * Scope, behaves as before), but through a class constructor with a fixed shape: the
 * object-spread literal took the slow clone path and cost ~6 µs per request.
 * `implements OpContext` makes a member added to Services a compile error here until it
 * is copied too.
 */
class RequestContext implements OpContext {
  config: Config;
  store: Store;
  objects: ObjectStore;
  runtime: Runtime;
  controllers: Controllers;
  clock: Clock;
  ids: Ids;
  log: Logger;
  account: string;
  region: string;
  requestId: string;
  constructor(s: Services, account: string, region: string, requestId: string) {
    this.config = s.config;
    this.store = s.store;
    this.objects = s.objects;
    this.runtime = s.runtime;
    this.controllers = s.controllers;
    this.clock = s.clock;
    this.ids = s.ids;
    this.log = s.log;
    this.account = account;
    this.region = region;
    this.requestId = requestId;
  }
}

export function opContext(services: Services, account: string, region: string, requestId: string): OpContext {
  return new RequestContext(services, account, region, requestId);
}

/** One AWS operation: validated input in, output out (or a thrown AwsError). */
export type Operation<I = any, O = any> = (ctx: OpContext, input: I) => Promise<O> | O;
