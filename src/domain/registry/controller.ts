/**
 * Drives model packages through ModelPackageStatus Pending → InProgress → Completed | Failed,
 * as AWS reports while it validates a registered package. The validation step checks what a
 * deployment will need: every container's image resolves in the image catalog, and every
 * `ModelDataUrl` names an object that exists in the object store. A package that fails is
 * `Failed`, with the reason in `ModelPackageStatusDetails.ValidationStatuses[].FailureReason`.
 *
 * Each transition is written to the store before the next step runs, so a restart resumes
 * from the truth: `start()` re-queues every package still Pending or InProgress.
 */
import type { Logger } from 'pino';
import type { ObjectStore } from '../../objects/object-store.js';
import type { ImageCatalog } from '../../runtime/image-catalog.js';
import type { Scope, Store } from '../../store/store.js';
import { allContainers, PACKAGE_KIND, parseS3Uri, type PackageDescription, type PackageRecord } from './model-package.js';

interface Deps {
  store: Store;
  objects: ObjectStore;
  runtime: { catalog: ImageCatalog };
  log: Logger;
}

export class RegistryController {
  private readonly queue: Array<{ scope: Scope; name: string }> = [];
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: Deps) {}

  async start(): Promise<void> {
    for (const row of await this.deps.store.scan<PackageRecord>(PACKAGE_KIND)) {
      const s = row.data.describe.ModelPackageStatus;
      if (s === 'Pending' || s === 'InProgress') this.kick({ account: row.account, region: row.region }, row.name);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await this.running;
  }

  /** Hands a package (just created, or given a new inference specification) to validation. */
  kick(scope: Scope, name: string): void {
    if (this.stopped) return;
    this.queue.push({ scope: { account: scope.account, region: scope.region }, name });
    // One worker drains the queue; a create returns before validation starts.
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => (this.running = undefined));
  }

  /** Resolves once everything queued so far has been processed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job && !this.stopped; job = this.queue.shift()) {
      try {
        await this.validate(job.scope, job.name);
      } catch (err) {
        this.deps.log.error({ err, name: job.name }, 'model package validation failed unexpectedly');
      }
    }
  }

  private async validate(scope: Scope, name: string): Promise<void> {
    const started = await this.transition(scope, name, ['Pending'], 'InProgress', { Status: 'InProgress' });
    if (!started) return;
    const failure = await this.check(started);
    await this.transition(
      scope,
      name,
      ['InProgress'],
      failure ? 'Failed' : 'Completed',
      failure ? { Status: 'Failed', FailureReason: failure } : { Status: 'Completed' },
    );
  }

  /** The first reason the package cannot be deployed as registered, or undefined. */
  private async check(d: PackageDescription): Promise<string | undefined> {
    for (const c of allContainers(d)) {
      if (c.Image !== undefined) {
        try {
          this.deps.runtime.catalog.resolve(c.Image);
        } catch (err) {
          return `Image ${c.Image} cannot be resolved: ${(err as Error).message}`;
        }
      }
      if (c.ModelDataUrl !== undefined) {
        const loc = parseS3Uri(c.ModelDataUrl);
        const found = loc && (await this.deps.objects.head(loc.bucket, loc.key).catch(() => undefined));
        if (!found) return `Model data ${c.ModelDataUrl} does not exist.`;
      }
    }
    return undefined;
  }

  /**
   * Moves the package from one of `from` to `to` (atomically; a package deleted or updated
   * meanwhile is left alone) and returns its new description.
   */
  private async transition(
    scope: Scope,
    name: string,
    from: string[],
    to: PackageDescription['ModelPackageStatus'],
    item: { Status: 'InProgress' | 'Completed' | 'Failed'; FailureReason?: string },
  ): Promise<PackageDescription | undefined> {
    let moved: PackageDescription | undefined;
    await this.deps.store.update<PackageRecord>(scope, PACKAGE_KIND, name, (row) => {
      const d = row.data.describe;
      if (!from.includes(d.ModelPackageStatus)) return undefined;
      moved = {
        ...d,
        ModelPackageStatus: to,
        ModelPackageStatusDetails: {
          ...d.ModelPackageStatusDetails,
          ValidationStatuses: [{ Name: d.ModelPackageName, ...item }],
        },
      };
      return { ...row, status: to, modifiedAt: row.modifiedAt, data: { ...row.data, describe: moved } };
    });
    return moved;
  }
}
