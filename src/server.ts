import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createRouter } from './http/router.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { LocalObjectStore } from './objects/local-fs.js';
import type { Services } from './services/context.js';
import { ProcessBackend } from './runtime/process-backend.js';
import { ImageCatalog } from './runtime/image-catalog.js';
import { RegistryController } from './domain/registry/controller.js';
import { LookoutController } from './domain/lookoutvision/controller.js';
import { EndpointController } from './domain/endpoints/controller.js';
import { TrainingController } from './domain/training/controller.js';
import { ExperimentController } from './domain/experiments/controller.js';
import { invokeModel } from './services/runtime/model-client.js';
import { AsyncInvocations } from './domain/endpoints/async-queue.js';
import { invokeThrough } from './services/runtime/invoke.js';

export interface Slipway {
  server: Server;
  services: Services;
  /** The URL clients use, e.g. http://127.0.0.1:7070 */
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes the store. */
  close(): Promise<void>;
}

/** Opens the store and object store under the data directory and listens. */
export async function startSlipway(config: Config, log: Logger): Promise<Slipway> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = new SqliteStore(join(config.dataDir, 'slipway.db'));
  const objects = new LocalObjectStore(join(config.dataDir, "s3"));
  const services: Services = {
    config,
    store,
    objects,
    runtime: {
      backend: new ProcessBackend(),
      catalog: new ImageCatalog({ dataDir: config.dataDir, configPath: config.imagesFile }),
    },
    // Each resource kind that runs work registers its controller here (see Controllers).
    controllers: {},
    clock: { now: () => Date.now() },
    ids: { uuid: () => randomUUID() },
    log,
  };
  services.controllers.training = new TrainingController(services);
  services.controllers.endpoints = new EndpointController(services);
  services.controllers.lookoutvision = new LookoutController(services);
  services.controllers.registry = new RegistryController(services);
  // Inference experiments mirror traffic to shadow variants through the model client.
  services.controllers.experiments = new ExperimentController(services, { invoke: invokeModel });
  // InvokeEndpointAsync's durable per-endpoint queues, drained through InvokeEndpoint's path.
  const endpoints = services.controllers.endpoints;
  const asyncInvocations = new AsyncInvocations({ ...services, endpoints, invoke: (scope, name, inv) => invokeThrough(endpoints, scope, name, inv) });
  endpoints.onDelete((scope, name) => asyncInvocations.dropEndpoint(scope, name));
  services.controllers.asyncInvocations = asyncInvocations;
  for (const c of Object.values(services.controllers)) await c?.start();
  const route = createRouter(services);
  // Responses still to be written, so that close() can ask them to hang up afterwards.
  const active = new Set<ServerResponse>();
  let draining = false;
  const server = createServer((req, res) => {
    active.add(res);
    res.once('close', () => active.delete(res));
    if (draining) res.setHeader('Connection', 'close');
    route(req, res).catch((err) => {
      log.error({ err }, 'unhandled request failure');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    server,
    services,
    url: `http://${host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // A keep-alive connection that answers an in-flight request would otherwise stay
        // open for keepAliveTimeout (65 s) and hold shutdown: answer with Connection: close.
        draining = true;
        for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
        server.close(async () => {
          // Async invocations stop first: in-flight ones finish while the model servers still run.
          await services.controllers.asyncInvocations?.stop().catch((err) => log.error({ err }, 'async invocations stop failed'));
          // Controllers stop their processes (with grace) before the store closes under them.
          for (const c of Object.values(services.controllers)) {
            await c?.stop().catch((err) => log.error({ err }, 'controller stop failed'));
          }
          store.close();
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
