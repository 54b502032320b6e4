/**
 * Drives endpoints to the state their operations recorded, with real model server
 * processes, and keeps the routing table InvokeEndpoint reads.
 *
 * Status machine (as AWS): Creating → InService | Failed; InService → Updating → InService,
 * or → RollingBack → InService (with FailureReason) when the new instances never became
 * healthy; InService → Deleting → gone. Operations write the new status and hand the
 * endpoint over with {@link EndpointController.kick}; the controller acts, then records the
 * outcome. Work on one endpoint is serialised; endpoints proceed independently.
 *
 * - Instances: one process per instance through the runtime backend, under
 *   `<dataDir>/endpoints/<account>/<region>/<endpoint>/<variant>/<instance>/` with the model
 *   data unpacked into its `model/`, `SLIPWAY_VARIANT_NAME` / `SLIPWAY_INSTANCE_ID` and the
 *   container `Environment` in its environment. Ready when GET /ping answers 200 within
 *   `hostingStartupTimeoutMs`; a crash takes the instance out of routing and a Supervisor
 *   restarts it with backoff. A multi-container model runs one process per container in each
 *   instance (containers.ts, runtime/container-group.ts): ready when all answer, restarted
 *   as a whole when one crashes.
 * - Blue/green UpdateEndpoint (AWS's default deployment): the new fleet starts beside the
 *   old one, traffic moves only when every new instance is healthy, then the old instances
 *   drain and stop. The old fleet keeps serving throughout, also when the update fails.
 *   With a DeploymentConfig (deployment guardrails, see deployment.ts) traffic moves in
 *   baked steps (canary, linear) or instances are replaced batch by batch (rolling), and a
 *   new instance that crashes while baking, or the execution timeout, rolls back.
 * - Restart of Slipway: `start()` brings InService endpoints back (fresh instances from the
 *   stored deployment) and finishes Creating / Updating / Deleting.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { ObjectStore } from '../../objects/object-store.js';
import { HealthCheckError, type Backend, type ExitStatus, type RunSpec } from '../../runtime/backend.js';
import { readTail } from '../../runtime/process-backend.js';
import type { ImageCatalog } from '../../runtime/image-catalog.js';
import { Supervisor, type BackoffPolicy } from '../../runtime/restart.js';
import { ContainerGroupBackend } from '../../runtime/container-group.js';
import { instanceContainers, instanceSpec, type InstanceContainers } from './containers.js';
import type { Resource, Scope, Store } from '../../store/store.js';
import { CaptureWriter } from './capture.js';
import { ENDPOINT_KIND, type AsyncConfig, type EndpointRecord, type EndpointStatus, type VariantSpec } from './endpoint.js';
import { route, type RouteInstance, type RouteShift, type RouteVariant } from './router.js';
import {
  deadlineOf,
  instances as instanceCount,
  trafficSteps,
  updatePolicy,
  type BlueGreenUpdatePolicy,
  type DeploymentPhase,
  type DeploymentProgress,
  type RollingUpdatePolicy,
} from './deployment.js';
import { atMost } from '../../wait.js';

export interface EndpointDeps {
  config: Config;
  store: Store;
  objects: ObjectStore;
  runtime: { backend: Backend; catalog: ImageCatalog };
  clock: { now(): number };
  ids: { uuid(): string };
  log: Logger;
}

/** Crash restarts: quick first retry (a model server that died mid-traffic should be back fast), capped. */
const RESTART_POLICY: BackoffPolicy = { baseMs: 250, factor: 2, maxMs: 30_000 };
const MAX_RESTARTS = 8;
/** An instance that ran this long before crashing starts its backoff from the beginning again. */
const STABLE_AFTER_MS = 60_000;
/** How long a replaced instance may take to finish the requests it is still answering. */
const DRAIN_LIMIT_MS = 10_000;
/** Tries for a server that exits before its first healthy /ping (see startInstance). */
const INITIAL_START_ATTEMPTS = 3;
/** How often a baking period looks at the new fleet, the execution deadline and shutdown. */
const BAKE_TICK_MS = 100;

export class LiveInstance implements RouteInstance {
  outstanding = 0;
  healthy = false;
  address: string | undefined;
  supervisor!: Supervisor;
  /** Settles once the current process answered GET /ping (or failed to). */
  ready: Promise<void> = Promise.resolve();
  retired = false;
  /** A multi-container model (containers.ts): its containers' names, addresses and mode; undefined for one container. */
  containers: InstanceContainers | undefined;
  constructor(
    readonly id: string,
    readonly variant: string,
    readonly baseDir: string,
  ) {}
}

export class LiveVariant implements RouteVariant<LiveInstance> {
  current = 0;
  /** The new fleet of this variant while a guarded deployment moves its traffic (router.ts). */
  shift: RouteShift<LiveInstance> | undefined = undefined;
  constructor(
    readonly name: string,
    public weight: number,
    public instances: LiveInstance[],
  ) {}
}

/**
 * One production invocation as InvokeEndpoint saw it, handed to a shadow tap (inference
 * experiments) after the production answer is known.
 */
export interface ProductionObservation {
  variant: string;
  body: Buffer;
  /** The headers sent to the model (Content-Type, Accept, custom attributes, inference id). */
  headers: Record<string, string>;
  inputContentType?: string;
  inferenceId?: string;
  /** Epoch milliseconds (injected clock) when the call arrived. */
  at: number;
  latencyMs: number;
  ok: boolean;
  output?: Buffer;
  outputContentType?: string;
}

/** Copies production requests to a shadow variant; `observe` must neither throw nor block. */
export interface ShadowTap {
  observe(o: ProductionObservation): void;
}

/** A shadow variant while an inference experiment runs: its own fleet, outside production routing. */
export interface LiveShadow {
  variant: LiveVariant;
  tap: ShadowTap;
}

/** What InvokeEndpoint needs to know about a serving endpoint. */
export class LiveEndpoint {
  rotation = 0;
  /** Set while the endpoint has a shadow variant (ShadowProductionVariants). */
  shadow: LiveShadow | undefined;
  constructor(
    readonly scope: Scope,
    readonly name: string,
    readonly arn: string,
    public variants: LiveVariant[],
    public capture: CaptureWriter | undefined,
    public asyncConfig: AsyncConfig | undefined,
  ) {}
}

export type Acquired =
  | { ok: true; endpoint: LiveEndpoint; variant: LiveVariant; instance: LiveInstance; release: () => void }
  | { ok: false; reason: 'not-found' | 'no-variant' | 'no-traffic' | 'no-instance'; endpoint?: LiveEndpoint };

const key = (s: Scope, name: string) => `${s.account}/${s.region}/${name.toLowerCase()}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown when work is cut short by shutdown (callers such as the experiment controller must not record it as a failure). */
export class Stopping extends Error {}

/** A fleet did not come up: the first cause, and the instances that did start (still running). */
class FleetError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly started: LiveInstance[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function unwrap(err: unknown): { cause: unknown; started: LiveInstance[] } {
  return err instanceof FleetError ? { cause: err.cause, started: err.started } : { cause: err, started: [] };
}

/** A guarded deployment must roll back; the message becomes FailureReason. */
class DeploymentFailure extends Error {}

/** Watches the new fleet of a guarded deployment: a crash or the execution deadline fails it. */
interface FleetWatch {
  add(list: LiveInstance[]): void;
  /** Throws {@link DeploymentFailure} once a watched instance exited or the deadline passed. */
  check(): Promise<void>;
}

export class EndpointController {
  private readonly live = new Map<string, LiveEndpoint>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly instances = new Set<LiveInstance>();
  private readonly background = new Set<Promise<unknown>>();
  private stopping = false;
  private readonly deleteHooks: Array<(scope: Scope, name: string) => Promise<void>> = [];

  private readonly deps: EndpointDeps;
  /** Runs all containers of a multi-container model as one instance; single containers pass straight through. */
  private readonly groups: ContainerGroupBackend;

  constructor(deps: EndpointDeps) {
    this.groups = new ContainerGroupBackend(deps.runtime.backend, deps.config.timing.hostingStopGraceMs);
    this.deps = { ...deps, runtime: { ...deps.runtime, backend: this.groups } };
  }

  /** Runs `hook` while an endpoint is deleted, once it has left routing (async inference drops its queue there). */
  onDelete(hook: (scope: Scope, name: string) => Promise<void>): void {
    this.deleteHooks.push(hook);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Resumes every stored endpoint (InService ones serve again; in-progress ones finish). */
  async start(): Promise<void> {
    for (const row of await this.deps.store.scan<EndpointRecord>(ENDPOINT_KIND)) {
      const scope = { account: row.account, region: row.region };
      this.kick(scope, row.name, true);
    }
  }

  /** Stops every instance (with the hosting grace), flushes capture, waits for background work. */
  async stop(): Promise<void> {
    this.stopping = true;
    const grace = this.deps.config.timing.hostingStopGraceMs;
    // Stopping the processes first also ends any startup that is still waiting for /ping.
    await Promise.all([...this.instances].map((i) => this.stopInstance(i, grace)));
    await Promise.allSettled([...this.chains.values()]);
    await Promise.allSettled([...this.live.values()].map((e) => e.capture?.close()));
    await atMost(Promise.allSettled([...this.background]), 5000);
    this.live.clear();
  }

  /** Hands an endpoint to the controller after its operation recorded a new status. */
  kick(scope: Scope, name: string, resume = false): Promise<void> {
    const k = key(scope, name);
    const s = { account: scope.account, region: scope.region };
    const next = (this.chains.get(k) ?? Promise.resolve())
      .then(() => this.reconcile(s, name, resume))
      .catch((err) => {
        if (!(err instanceof Stopping)) this.deps.log.error({ err, endpoint: name }, 'endpoint reconcile failed');
      });
    this.chains.set(k, next);
    void next.then(() => {
      if (this.chains.get(k) === next) this.chains.delete(k);
    });
    return next;
  }

  /** Resolves when every queued transition has been acted on (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size) await Promise.allSettled([...this.chains.values()]);
  }

  /** Keeps a background task (an async invocation) alive until shutdown waits for it. */
  track<T>(task: Promise<T>): void {
    const p = task.catch((err) => this.deps.log.error({ err }, 'background task failed'));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  // ---------------------------------------------------------------- routing (hot path: memory only)

  /** The serving endpoint, if any (InService, Updating, RollingBack). */
  endpoint(scope: Scope, name: string): LiveEndpoint | undefined {
    return this.live.get(key(scope, name));
  }

  /**
   * Picks variant and instance for one invocation and counts it as outstanding until
   * `release()` (least-outstanding routing depends on every caller releasing exactly once).
   */
  acquire(scope: Scope, name: string, opts: { targetVariant?: string; exclude?: ReadonlySet<string> } = {}): Acquired {
    const ep = this.live.get(key(scope, name));
    if (!ep) return { ok: false, reason: 'not-found' };
    const r = route(ep.variants, { targetVariant: opts.targetVariant, rotation: ep.rotation++, exclude: opts.exclude });
    if (ep.rotation > 1e9) ep.rotation = 0;
    if (!r.ok) return { ok: false, reason: r.reason, endpoint: ep };
    const inst = r.instance;
    inst.outstanding++;
    let released = false;
    return {
      ok: true,
      endpoint: ep,
      variant: r.variant as LiveVariant,
      instance: inst,
      release: () => {
        if (!released) (released = true), inst.outstanding--;
      },
    };
  }

  /** The proxy could not reach the instance: take it out of routing until it answers /ping again. */
  reportUnreachable(inst: LiveInstance): void {
    if (!inst.healthy || inst.retired) return;
    inst.healthy = false;
    const h = inst.supervisor.handle;
    if (!h) return;
    const { backend } = this.deps.runtime;
    // If the process is alive but failing, re-probe; if it died, the Supervisor restarts it.
    if (backend.status(h).state !== 'exited') {
      inst.ready = backend
        .waitHealthy(h, this.deps.config.timing.hostingStartupTimeoutMs)
        .then(() => {
          if (!inst.retired && inst.supervisor.handle === h) inst.healthy = true;
        })
        .catch(() => {});
    }
  }

  /** Instances per variant (id, pid, address, health): for operators and tests. */
  describeInstances(scope: Scope, name: string) {
    const ep = this.live.get(key(scope, name));
    if (!ep) return [];
    const { backend } = this.deps.runtime;
    return ep.variants.flatMap((v) =>
      v.instances.map((i) => {
        const h = i.supervisor.handle;
        const st = h ? backend.status(h) : undefined;
        return {
          variant: v.name,
          id: i.id,
          healthy: i.healthy,
          address: i.address,
          outstanding: i.outstanding,
          pid: st && st.state === 'running' ? st.pid : undefined,
          logFile: h ? backend.logs(h).path : undefined,
          restarts: i.supervisor.restartCount,
          /** Each container's process of a multi-container model (name = ContainerHostname). */
          containers: h ? this.groups.members(h) : undefined,
        };
      }),
    );
  }

  /** Where an endpoint's instance logs would be in CloudWatch (ModelError's LogStreamArn). */
  static logGroupArn(scope: Scope, name: string): string {
    return `arn:aws:logs:${scope.region}:${scope.account}:log-group:/aws/sagemaker/Endpoints/${name}`;
  }

  // ---------------------------------------------------------------- shadow variants (inference experiments)

  /**
   * Adds a shadow variant to an InService endpoint (StartInferenceExperiment): Updating is
   * recorded, the shadow's instances start and must all answer /ping, then the tap is set
   * and InService recorded with `ShadowVariants`. Production routing is never touched. A
   * shadow that cannot start leaves the endpoint as it was and rejects with the reason.
   * Called again for an endpoint that already has its shadow live, it only swaps the tap.
   */
  attachShadow(scope: Scope, name: string, spec: VariantSpec, tap: ShadowTap): Promise<void> {
    return this.exclusive(scope, name, async () => {
      const ep = this.live.get(key(scope, name));
      const row = await this.deps.store.get<EndpointRecord>(scope, ENDPOINT_KIND, name);
      if (!ep || !row || row.data.EndpointStatus !== 'InService') {
        throw new Error(`Endpoint ${name} is not InService (${row?.data.EndpointStatus ?? 'not found'}).`);
      }
      if (ep.shadow?.variant.name === spec.VariantName) {
        ep.shadow.tap = tap;
        return;
      }
      await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'Updating', ShadowVariants: [{ ...spec, CurrentInstanceCount: 0 }] }));
      const fleet = await this.startBesideServing(scope, name, spec, (r) => ({ ...r, EndpointStatus: 'InService', ShadowVariants: undefined }));
      ep.shadow = { variant: fleet[0]!, tap };
      await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'InService', ShadowVariants: settle([spec], fleet, this.deps.clock.now()) }));
    });
  }

  /**
   * Starts one variant's fleet beside the serving one (shadow attach, promote). If it cannot
   * start, its instances are stopped and `revert` puts the record back; on shutdown the
   * partial fleet is stopped and Stopping is thrown instead.
   */
  private async startBesideServing(
    scope: Scope,
    name: string,
    spec: VariantSpec,
    revert: (r: EndpointRecord) => EndpointRecord,
  ): Promise<LiveVariant[]> {
    const fleet = await this.startFleetOr(scope, name, [spec], async (reason, stopStarted) => {
      await this.record(scope, name, revert);
      await stopStarted();
      throw new Error(reason);
    });
    if (!fleet) throw new Stopping();
    return fleet;
  }

  /** Removes the shadow variant (experiment ended, or Remove): copies stop at once, then its instances drain and stop. */
  detachShadow(scope: Scope, name: string): Promise<void> {
    return this.exclusive(scope, name, async () => {
      const ep = this.live.get(key(scope, name));
      const row = await this.deps.store.get<EndpointRecord>(scope, ENDPOINT_KIND, name);
      if (!row || row.data.EndpointStatus === 'Deleting') return;
      const serving = row.data.EndpointStatus === 'InService';
      if (serving) await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'Updating' }));
      const instances = ep?.shadow?.variant.instances ?? [];
      if (ep) ep.shadow = undefined;
      await this.retire(instances);
      await this.record(scope, name, (r) => ({ ...r, ...(serving ? { EndpointStatus: 'InService' as const } : {}), ShadowVariants: undefined }));
    });
  }

  /**
   * Promote (StopInferenceExperiment): the shadow's model becomes the only production
   * variant, deployed with `spec` (its DesiredModelVariants infrastructure). Blue/green as
   * UpdateEndpoint: the new fleet starts beside the serving one, traffic moves in one step
   * once every new instance is healthy, then the old production and shadow instances drain.
   * No request fails during the switch; if the new fleet cannot start, nothing changes.
   */
  promoteShadow(scope: Scope, name: string, spec: VariantSpec): Promise<void> {
    return this.exclusive(scope, name, async () => {
      const ep = this.live.get(key(scope, name));
      const row = await this.deps.store.get<EndpointRecord>(scope, ENDPOINT_KIND, name);
      if (!ep || !row || row.data.EndpointStatus !== 'InService') {
        throw new Error(`Endpoint ${name} is not InService (${row?.data.EndpointStatus ?? 'not found'}).`);
      }
      await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'Updating' }));
      const fleet = await this.startBesideServing(scope, name, spec, (r) => ({ ...r, EndpointStatus: 'InService' }));
      const old = [...ep.variants.flatMap((v) => v.instances), ...(ep.shadow?.variant.instances ?? [])];
      ep.variants = fleet;
      ep.shadow = undefined;
      await this.record(scope, name, (r) => ({
        ...r,
        EndpointStatus: 'InService',
        FailureReason: undefined,
        variants: settle([spec], fleet, this.deps.clock.now()),
        ShadowVariants: undefined,
      }));
      await this.retire(old);
    });
  }

  /** Runs `fn` in the endpoint's queue, after any queued transition, so it never races a reconcile. */
  private exclusive<T>(scope: Scope, name: string, fn: () => Promise<T>): Promise<T> {
    const k = key(scope, name);
    const run = (this.chains.get(k) ?? Promise.resolve()).then(fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(k, settled);
    void settled.then(() => {
      if (this.chains.get(k) === settled) this.chains.delete(k);
    });
    return run;
  }

  // ---------------------------------------------------------------- reconcile

  private async reconcile(scope: Scope, name: string, resume: boolean): Promise<void> {
    if (this.stopping) return;
    const row = await this.deps.store.get<EndpointRecord>(scope, ENDPOINT_KIND, name);
    if (!row) return;
    const rec = row.data;
    const k = key(scope, name);
    switch (rec.EndpointStatus) {
      case 'Creating':
        return this.create(scope, row);
      case 'InService':
      case 'RollingBack':
      case 'UpdateRollbackFailed':
        if (!this.live.has(k)) return this.resume(scope, row);
        if (rec.EndpointStatus === 'RollingBack') await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'InService' }));
        return;
      case 'Updating':
        if (!this.live.has(k) && resume) {
          // After a restart the old fleet is not running: bring it back first, so the update
          // is again blue/green and a failed update still leaves a serving endpoint.
          await this.resume(scope, row);
          if (!this.live.has(k)) return;
        }
        return rec.pending ? this.deploy(scope, row) : this.scale(scope, row);
      case 'Deleting':
        return this.delete(scope, row);
      case 'Failed':
        return;
    }
  }

  /** Writes a transition; `mutate` receives the current record (another operation may have changed it). */
  private async record(scope: Scope, name: string, mutate: (r: EndpointRecord) => EndpointRecord): Promise<EndpointRecord | undefined> {
    if (this.stopping) throw new Stopping();
    const now = this.deps.clock.now();
    const row = await this.deps.store.update<EndpointRecord>(scope, ENDPOINT_KIND, name, (row) => {
      const data = { ...mutate(row.data), LastModifiedTime: now / 1000 };
      return { ...row, status: data.EndpointStatus, modifiedAt: now, data };
    });
    return row?.data;
  }

  private async create(scope: Scope, row: Resource<EndpointRecord>): Promise<void> {
    const rec = row.data;
    const fleet = await this.startFleetOr(scope, rec.EndpointName, rec.variants, async (reason, stopStarted) => {
      await this.record(scope, row.name, (r) => ({ ...r, EndpointStatus: 'Failed', FailureReason: reason }));
      await stopStarted();
    });
    if (!fleet) return;
    // Routing opens before InService is written: a client that reads InService must be able
    // to invoke at once (the endpoint-in-service waiter is followed by invoke-endpoint).
    this.open(scope, rec, fleet);
    await this.record(scope, row.name, (r) => ({
      ...r,
      EndpointStatus: 'InService',
      FailureReason: undefined,
      variants: settle(r.variants, fleet, this.deps.clock.now()),
    }));
  }

  /** InService endpoint without running instances (Slipway restarted): start its fleet again. */
  private async resume(scope: Scope, row: Resource<EndpointRecord>): Promise<void> {
    const rec = row.data;
    await rm(this.endpointDir(scope, rec.EndpointName), { recursive: true, force: true }).catch(() => {});
    const current = rec.variants.map((v) => ({ ...v, DesiredInstanceCount: v.CurrentInstanceCount || v.DesiredInstanceCount, DesiredWeight: v.CurrentWeight }));
    const fleet = await this.startFleetOr(scope, rec.EndpointName, current, async (reason, stopStarted) => {
      await this.record(scope, row.name, (r) => ({ ...r, EndpointStatus: 'Failed', FailureReason: reason, pending: undefined }));
      await stopStarted();
    });
    if (!fleet) return;
    this.open(scope, rec, fleet);
    if (rec.EndpointStatus === 'RollingBack') await this.record(scope, row.name, (r) => ({ ...r, EndpointStatus: 'InService' }));
  }

  /**
   * UpdateEndpoint to another endpoint config, as its DeploymentConfig says: without an update
   * policy blue/green all at once (no baking period); with BlueGreenUpdatePolicy traffic moves
   * in baked steps; with RollingUpdatePolicy instances are replaced batch by batch.
   *
   * After a restart of Slipway, reconcile() has brought the old fleet back before this runs.
   * A guarded deployment that had already moved all traffic and passed every baking period
   * (it was in its termination wait) then finishes at once; any other starts again from its
   * first step — every step is baked again, nothing is skipped — and its
   * MaximumExecutionTimeoutInSeconds still counts from the UpdateEndpoint call, so a deployment
   * that cannot finish in time rolls back. Either way the endpoint ends InService.
   */
  private async deploy(scope: Scope, row: Resource<EndpointRecord>): Promise<void> {
    const rec = row.data;
    const policy = updatePolicy(rec.DeploymentConfig);
    const ep = this.live.get(key(scope, rec.EndpointName))!;
    const next = rec.pending!.variants;
    const sameNames = ep.variants.length === next.length && ep.variants.every((v) => next.some((n) => n.VariantName === v.name));
    // UpdateEndpoint refuses guarded deployments between different variant names; a record
    // written otherwise (an older Slipway) still deploys, all at once.
    if (policy && sameNames && rec.pending!.progress?.phase !== 'TerminationWait') {
      if ('blueGreen' in policy) return this.deployBlueGreen(scope, row, ep, policy.blueGreen);
      if (next.length === 1) return this.deployRolling(scope, row, ep, policy.rolling);
    }
    return this.deployAllAtOnce(scope, row, ep);
  }

  /** Blue/green in one step, once every new instance is healthy; the old fleet stops right after. */
  private async deployAllAtOnce(scope: Scope, row: Resource<EndpointRecord>, ep: LiveEndpoint): Promise<void> {
    const pending = row.data.pending!;
    // If it cannot start: the old fleet never stopped serving; RollingBack is recorded, the
    // new instances stop, then InService with the reason (AWS keeps FailureReason on the
    // InService endpoint after a failed update).
    const fleet = await this.startFleetOr(scope, row.data.EndpointName, pending.variants, (reason, stopStarted) => this.rollBack(scope, row.name, reason, stopStarted));
    if (!fleet) return;
    await this.switchTo(scope, row.name, ep, pending, fleet);
  }

  /**
   * BlueGreenUpdatePolicy: the whole new fleet starts beside the old one; then per traffic step
   * each variant sends its share of calls to its new instances (router.ts `shift`) and the
   * step bakes for WaitIntervalInSeconds; after the last step (all traffic on the new fleet)
   * the old fleet keeps running without traffic for TerminationWaitInSeconds, then stops.
   * A failure at any point sends all traffic back to the old fleet at once.
   */
  private async deployBlueGreen(scope: Scope, row: Resource<EndpointRecord>, ep: LiveEndpoint, policy: BlueGreenUpdatePolicy): Promise<void> {
    const name = row.name;
    const pending = row.data.pending!;
    const routing = policy.TrafficRoutingConfiguration;
    const report = (phase: DeploymentPhase, message: string, shares?: Record<string, number>) =>
      this.reportProgress(scope, name, ep, routing.Type, phase, message, shares);
    const total = pending.variants.reduce((n, v) => n + v.DesiredInstanceCount, 0);
    await report('Creating', `Starting the new fleet (${total} instance${total === 1 ? '' : 's'}).`);
    const green = await this.startFleetOr(scope, row.data.EndpointName, pending.variants, (reason, stopStarted) => this.rollBack(scope, name, reason, stopStarted));
    if (!green) return;
    for (const b of ep.variants) b.shift = { instances: green.find((g) => g.name === b.name)?.instances ?? [], share: 0, acc: 0 };
    const watch = this.watchFleet(deadlineOf(pending.StartTime, policy), policy.MaximumExecutionTimeoutInSeconds);
    watch.add(green.flatMap((v) => v.instances));
    try {
      await watch.check();
      for (const step of trafficSteps(routing, pending.variants)) {
        const label = step.label[0]!.toUpperCase() + step.label.slice(1);
        await report('ActivatingTraffic', `${label}.`, step.shares);
        for (const b of ep.variants) b.shift!.share = step.shares[b.name] ?? 1;
        await report('Baking', `${label}; baking for ${step.bakeSeconds} s.`);
        await this.bake(step.bakeSeconds * 1000, watch);
      }
      const wait = policy.TerminationWaitInSeconds ?? 0;
      if (wait > 0) {
        await report('TerminationWait', `All traffic on the new fleet; the old fleet stops in ${wait} s (TerminationWaitInSeconds).`);
        await this.bake(wait * 1000, watch);
      }
    } catch (err) {
      if (err instanceof Stopping || this.stopping) return; // stop() ends every process; a restart resumes
      for (const b of ep.variants) if (b.shift) b.shift.share = 0;
      return this.rollBack(scope, name, failureReason(err), async () => {
        const list = ep.variants.flatMap((b) => b.shift?.instances ?? []);
        for (const b of ep.variants) b.shift = undefined;
        await this.retire(list);
      });
    }
    await this.switchTo(scope, name, ep, pending, green);
  }

  /**
   * RollingUpdatePolicy (one variant): MaximumBatchSize new instances start and join the
   * variant's routing with their share of the traffic (new / all instances), bake for
   * WaitIntervalInSeconds, then as many old instances drain and stop (all that remain once the
   * new fleet is complete). A rollback sends traffic to the old instances still running, then
   * starts the stopped ones again RollbackMaximumBatchSize at a time (default: all at once),
   * each batch replacing as many new ones; if those cannot start the endpoint is
   * UpdateRollbackFailed, serving with both kinds of instances.
   */
  private async deployRolling(scope: Scope, row: Resource<EndpointRecord>, ep: LiveEndpoint, policy: RollingUpdatePolicy): Promise<void> {
    const name = row.name;
    const rec = row.data;
    const pending = rec.pending!;
    const spec = pending.variants[0]!;
    const bv = ep.variants[0]!;
    const oldSpec = rec.variants.find((v) => v.VariantName === bv.name) ?? rec.variants[0]!;
    const target = spec.DesiredInstanceCount;
    const batch = instanceCount(policy.MaximumBatchSize, target);
    const batches = Math.ceil(target / batch);
    const oldCount = bv.instances.length;
    const shift: RouteShift<LiveInstance> = { instances: [], share: 0, acc: 0 };
    bv.shift = shift;
    const reshare = () => {
      const g = shift.instances.length;
      const all = g + bv.instances.length;
      shift.share = all ? g / all : 0;
    };
    const report = (phase: DeploymentPhase, message: string) => this.reportProgress(scope, name, ep, 'ROLLING', phase, message);
    const watch = this.watchFleet(deadlineOf(pending.StartTime, policy), policy.MaximumExecutionTimeoutInSeconds);
    // Every new process, also those of a batch that did not come up (a rollback stops them).
    const launched: LiveInstance[] = [];
    try {
      for (let k = 1; shift.instances.length < target; k++) {
        const n = Math.min(batch, target - shift.instances.length);
        await report('Creating', `Batch ${k} of ${batches}: starting ${n} new instance${n === 1 ? '' : 's'}.`);
        const started: LiveInstance[] = [];
        const results = await Promise.allSettled(Array.from({ length: n }, () => this.startInstance(scope, rec.EndpointName, spec, started)));
        launched.push(...started);
        if (this.stopping) throw new Stopping();
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw new DeploymentFailure(failureReason(failed.reason));
        await watch.check();
        shift.instances = [...shift.instances, ...started];
        reshare();
        watch.add(started);
        const share = `${Math.round(shift.share * 1000) / 10}%`;
        await report('Baking', `Batch ${k} of ${batches}: ${shift.instances.length} new and ${bv.instances.length} old instances, ${share} of traffic on the new ones; baking for ${policy.WaitIntervalInSeconds} s.`);
        await this.bake(policy.WaitIntervalInSeconds * 1000, watch);
        // A batch of old instances leaves routing, then drains and stops.
        const drop = shift.instances.length >= target ? bv.instances.length : Math.min(n, bv.instances.length);
        const old = bv.instances.slice(0, drop);
        bv.instances = bv.instances.slice(drop);
        reshare();
        await this.retire(old);
      }
    } catch (err) {
      if (err instanceof Stopping || this.stopping) return;
      return this.rollBackRolling(scope, name, bv, oldSpec, oldCount, launched, policy, failureReason(err));
    }
    bv.shift = undefined;
    await this.switchTo(scope, name, ep, pending, [new LiveVariant(spec.VariantName, spec.DesiredWeight, shift.instances)]);
  }

  private async rollBackRolling(
    scope: Scope,
    name: string,
    bv: LiveVariant,
    oldSpec: VariantSpec,
    oldCount: number,
    launched: LiveInstance[],
    policy: RollingUpdatePolicy,
    reason: string,
  ): Promise<void> {
    const shift = bv.shift!;
    // All traffic to the old instances still running (new ones answer only while none of those is healthy).
    shift.share = 0;
    await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'RollingBack', FailureReason: reason, pending: undefined }));
    const batch = instanceCount(policy.RollbackMaximumBatchSize, oldCount);
    // New instances leave in the order: not healthy first.
    let remaining = [...launched.filter((i) => !i.healthy), ...launched.filter((i) => i.healthy)];
    try {
      while (bv.instances.length < oldCount) {
        const n = Math.min(batch, oldCount - bv.instances.length);
        const started: LiveInstance[] = [];
        const results = await Promise.allSettled(Array.from({ length: n }, () => this.startInstance(scope, name, oldSpec, started)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed || this.stopping) {
          await this.stopAll(started);
          throw failed ? failed.reason : new Stopping();
        }
        bv.instances = [...bv.instances, ...started];
        const off = remaining.slice(0, n);
        remaining = remaining.slice(n);
        shift.instances = shift.instances.filter((i) => !off.includes(i));
        await this.retire(off);
      }
    } catch (err) {
      if (err instanceof Stopping || this.stopping) return;
      // AWS: "Both the rolling deployment and auto-rollback failed. Your endpoint is in service
      // with a mix of the old and new endpoint configurations."
      bv.instances = [...bv.instances, ...shift.instances];
      bv.shift = undefined;
      const both = failureReason(`${reason} The rollback failed too: ${failureReason(err)}`);
      await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'UpdateRollbackFailed', FailureReason: both }));
      return;
    }
    bv.shift = undefined;
    await this.retire(remaining);
    await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'InService' }));
  }

  /** A failed update: RollingBack with the reason, `undo` stops the new instances, then InService on the old configuration (FailureReason stays, as AWS keeps it). */
  private async rollBack(scope: Scope, name: string, reason: string, undo: () => Promise<void>): Promise<void> {
    await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'RollingBack', FailureReason: reason, pending: undefined }));
    await undo();
    await this.record(scope, name, (r) => ({ ...r, EndpointStatus: 'InService', pending: undefined }));
  }

  /** All traffic to `fleet` at once, the new configuration recorded, then the old instances drain and stop. */
  private async switchTo(scope: Scope, name: string, ep: LiveEndpoint, pending: NonNullable<EndpointRecord['pending']>, fleet: LiveVariant[]): Promise<void> {
    const old = ep.variants;
    for (const v of old) v.shift = undefined;
    const oldCapture = ep.capture;
    // The new endpoint config has no shadow variant: its instances leave with the old fleet.
    const oldShadow = ep.shadow?.variant.instances ?? [];
    ep.shadow = undefined;
    ep.variants = fleet;
    ep.capture = this.captureFor(ep.name, pending.DataCaptureConfig);
    ep.asyncConfig = pending.AsyncInferenceConfig;
    await this.record(scope, name, (r) => ({
      ...r,
      EndpointStatus: 'InService',
      FailureReason: undefined,
      EndpointConfigName: pending.EndpointConfigName,
      variants: settle(pending.variants, fleet, this.deps.clock.now()),
      DataCaptureConfig: pending.DataCaptureConfig,
      AsyncInferenceConfig: pending.AsyncInferenceConfig,
      pending: undefined,
      ShadowVariants: undefined,
    }));
    void oldCapture?.close();
    await this.retire([...old.flatMap((v) => v.instances), ...oldShadow]);
  }

  /** Records where a guarded deployment is (PendingDeploymentSummary in DescribeEndpoint), before acting on it. */
  private async reportProgress(
    scope: Scope,
    name: string,
    ep: LiveEndpoint,
    strategy: DeploymentProgress['strategy'],
    phase: DeploymentPhase,
    message: string,
    shares?: Record<string, number>,
  ): Promise<void> {
    const variants = Object.fromEntries(
      ep.variants.map((v) => [v.name, { blue: v.instances.length, green: v.shift?.instances.length ?? 0, share: shares?.[v.name] ?? v.shift?.share ?? 0 }]),
    );
    const progress: DeploymentProgress = { strategy, phase, since: this.deps.clock.now() / 1000, message, variants };
    await this.record(scope, name, (r) => (r.pending ? { ...r, pending: { ...r.pending, progress } } : r));
  }

  /** A baking period: `ms` on the injected clock, looking at the new fleet and the deadline every tick. */
  private async bake(ms: number, watch: FleetWatch): Promise<void> {
    const end = this.deps.clock.now() + ms;
    for (;;) {
      if (this.stopping) throw new Stopping();
      await watch.check();
      const left = end - this.deps.clock.now();
      if (left <= 0) return;
      await sleep(Math.min(BAKE_TICK_MS, left));
    }
  }

  /**
   * The crash and deadline guard of a guarded deployment. AWS rolls back when a CloudWatch
   * alarm fires during a baking period; Slipway has no alarms, so an instance of the new fleet
   * that exits (a crash the Supervisor restarts counts too) and the MaximumExecutionTimeout
   * are what roll back.
   */
  private watchFleet(deadline: number | undefined, timeoutSeconds: number | undefined): FleetWatch {
    const { backend } = this.deps.runtime;
    const watched = new Map<LiveInstance, number>();
    let crash: { inst: LiveInstance; status?: ExitStatus } | undefined;
    return {
      add: (list) => {
        for (const inst of list) {
          watched.set(inst, inst.supervisor.restartCount);
          const h = inst.supervisor.handle;
          if (h) backend.onExit(h, (status) => {
            if (!status.stopRequested && !inst.retired) crash ??= { inst, status };
          });
        }
      },
      check: async () => {
        if (!crash) {
          for (const [inst, restarts] of watched) {
            if (!inst.retired && inst.supervisor.restartCount > restarts) {
              crash = { inst };
              break;
            }
          }
        }
        if (crash) {
          const { inst, status } = crash;
          const how = !status ? 'crashed' : (status.error ?? (status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`));
          const h = inst.supervisor.handle;
          const tail = h ? (await readTail(backend.logs(h).path)).trim() : '';
          throw new DeploymentFailure(
            `Model server ${inst.id} of the new fleet (variant ${inst.variant}) ${how} during the deployment; all traffic went back to the old fleet.${tail ? `\n--- log tail ---\n${tail}` : ''}`,
          );
        }
        if (deadline !== undefined && this.deps.clock.now() >= deadline) {
          throw new DeploymentFailure(`The deployment did not finish within MaximumExecutionTimeoutInSeconds (${timeoutSeconds} s); all traffic went back to the old fleet.`);
        }
      },
    };
  }

  /** During a deployment, the old (blue) and new (green) instances in routing; after it, all are blue. For operators and tests. */
  describeFleets(scope: Scope, name: string) {
    const ep = this.live.get(key(scope, name));
    const { backend } = this.deps.runtime;
    const info = (variant: string, i: LiveInstance) => {
      const h = i.supervisor.handle;
      const st = h ? backend.status(h) : undefined;
      return { variant, id: i.id, healthy: i.healthy, pid: st && st.state === 'running' ? st.pid : undefined, restarts: i.supervisor.restartCount };
    };
    return {
      blue: ep ? ep.variants.flatMap((v) => v.instances.map((i) => info(v.name, i))) : [],
      green: ep ? ep.variants.flatMap((v) => (v.shift?.instances ?? []).map((i) => info(v.name, i))) : [],
    };
  }

  /** UpdateEndpointWeightsAndCapacities: weights at once, instances started/stopped for real. */
  private async scale(scope: Scope, row: Resource<EndpointRecord>): Promise<void> {
    const rec = row.data;
    const ep = this.live.get(key(scope, rec.EndpointName))!;
    const added: LiveInstance[] = [];
    const removed: LiveInstance[] = [];
    try {
      for (const spec of rec.variants) {
        const lv = ep.variants.find((v) => v.name === spec.VariantName);
        if (!lv) continue;
        const have = lv.instances.length;
        if (spec.DesiredInstanceCount > have) {
          const results = await Promise.allSettled(
            Array.from({ length: spec.DesiredInstanceCount - have }, () => this.startInstance(scope, rec.EndpointName, spec, added)),
          );
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
      }
    } catch (err) {
      if (this.stopping) return this.stopAll(added);
      const reason = failureReason(err);
      await this.record(scope, row.name, (r) => ({ ...r, EndpointStatus: 'RollingBack', FailureReason: reason }));
      await this.stopAll(added);
      await this.record(scope, row.name, (r) => ({
        ...r,
        EndpointStatus: 'InService',
        variants: r.variants.map((v) => ({ ...v, DesiredWeight: v.CurrentWeight, DesiredInstanceCount: v.CurrentInstanceCount })),
      }));
      return;
    }
    // Every new instance is healthy: apply the new pool sizes and weights together.
    for (const spec of rec.variants) {
      const lv = ep.variants.find((v) => v.name === spec.VariantName);
      if (!lv) continue;
      const extra = added.filter((i) => i.variant === spec.VariantName);
      const pool = [...lv.instances, ...extra];
      while (pool.length > spec.DesiredInstanceCount) removed.push(pool.pop()!);
      lv.instances = pool;
      lv.weight = spec.DesiredWeight;
      lv.current = 0;
    }
    await this.record(scope, row.name, (r) => ({
      ...r,
      EndpointStatus: 'InService',
      FailureReason: undefined,
      variants: r.variants.map((v) => {
        const lv = ep.variants.find((x) => x.name === v.VariantName);
        return { ...v, CurrentWeight: v.DesiredWeight, CurrentInstanceCount: lv ? lv.instances.length : v.CurrentInstanceCount };
      }),
    }));
    await this.retire(removed);
  }

  private async delete(scope: Scope, row: Resource<EndpointRecord>): Promise<void> {
    const rec = row.data;
    const k = key(scope, rec.EndpointName);
    const ep = this.live.get(k);
    // Invocations stop here: from now on the endpoint is not found, as in AWS once Deleting.
    this.live.delete(k);
    for (const hook of this.deleteHooks) {
      await hook(scope, rec.EndpointName).catch((err) => this.deps.log.error({ err, endpoint: rec.EndpointName }, 'endpoint delete hook failed'));
    }
    if (ep) {
      await ep.capture?.close();
      await this.stopAll([...ep.variants.flatMap((v) => v.instances), ...(ep.shadow?.variant.instances ?? [])]);
    }
    if (this.stopping) throw new Stopping();
    await rm(this.endpointDir(scope, rec.EndpointName), { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
    await this.deps.store.delete(scope, ENDPOINT_KIND, rec.EndpointName);
  }

  // ---------------------------------------------------------------- fleets and instances

  private open(scope: Scope, rec: EndpointRecord, fleet: LiveVariant[]): void {
    this.live.set(
      key(scope, rec.EndpointName),
      new LiveEndpoint(scope, rec.EndpointName, rec.EndpointArn, fleet, this.captureFor(rec.EndpointName, rec.DataCaptureConfig), rec.AsyncInferenceConfig),
    );
  }

  private captureFor(endpointName: string, config: EndpointRecord['DataCaptureConfig']): CaptureWriter | undefined {
    if (!config || config.EnableCapture === false) return undefined;
    return new CaptureWriter({
      endpointName,
      config,
      sink: { put: (b, k, body, o) => this.deps.objects.put(b, k, body, o) },
      uuid: () => this.deps.ids.uuid(),
      flushMs: this.deps.config.timing.captureFlushMs,
      onError: (err) => this.deps.log.warn({ err, endpoint: endpointName }, 'data capture write failed'),
    });
  }

  /**
   * startFleet for a caller that records its own failure: if the fleet cannot start,
   * `failed` gets the FailureReason and a function that stops the instances that did start,
   * to call where its own recording needs it. Undefined when it failed; on shutdown the
   * started instances just stop.
   */
  private async startFleetOr(
    scope: Scope,
    endpointName: string,
    variants: VariantSpec[],
    failed: (reason: string, stopStarted: () => Promise<void>) => Promise<void>,
  ): Promise<LiveVariant[] | undefined> {
    try {
      return await this.startFleet(scope, endpointName, variants);
    } catch (err) {
      const { cause, started } = unwrap(err);
      const stopStarted = () => this.stopAll(started);
      if (this.stopping) await stopStarted();
      else await failed(failureReason(cause), stopStarted);
      return undefined;
    }
  }

  /**
   * Starts every instance of every variant and waits until all are healthy. On failure the
   * instances that did start are handed back in a {@link FleetError}, still running, so the
   * caller records the failure before it stops them.
   */
  private async startFleet(scope: Scope, endpointName: string, variants: VariantSpec[]): Promise<LiveVariant[]> {
    const started: LiveInstance[] = [];
    const results = await Promise.allSettled(
      variants.flatMap((v) => Array.from({ length: v.DesiredInstanceCount }, () => this.startInstance(scope, endpointName, v, started))),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed || this.stopping) throw new FleetError(failed ? failed.reason : new Stopping(), started);
    return variants.map(
      (v) => new LiveVariant(v.VariantName, v.DesiredWeight, started.filter((i) => i.variant === v.VariantName)),
    );
  }

  private async stopAll(list: LiveInstance[]): Promise<void> {
    await Promise.all(list.map((i) => this.stopInstance(i, this.deps.config.timing.hostingStopGraceMs)));
  }

  private endpointDir(scope: Scope, endpointName: string): string {
    return join(this.deps.config.dataDir, 'endpoints', scope.account, scope.region, endpointName);
  }

  /** One model server: model data, process, first /ping. Pushes to `started` as soon as a process exists. */
  private async startInstance(scope: Scope, endpointName: string, v: VariantSpec, started: LiveInstance[]): Promise<LiveInstance> {
    const { backend, catalog } = this.deps.runtime;
    const id = `i-${randomBytes(6).toString('hex')}`;
    const baseDir = join(this.endpointDir(scope, endpointName), v.VariantName, id);
    // Every container of the model: an unknown image fails here (the catalog's message says
    // how to map it), model data is unpacked; several containers run as one group.
    const spec: RunSpec = await instanceSpec({ objects: this.deps.objects, catalog }, { id, baseDir, endpointName, variant: v });
    if (this.stopping) throw new Stopping();
    const inst = new LiveInstance(id, v.VariantName, baseDir);
    inst.containers = instanceContainers(v);
    const timeout = this.deps.config.timing.hostingStartupTimeoutMs;
    const supervise = () =>
      new Supervisor(backend, spec, {
        policy: RESTART_POLICY,
        maxRestarts: MAX_RESTARTS,
        stableAfterMs: STABLE_AFTER_MS,
        onCrash: (status, attempt) => {
          inst.healthy = false;
          this.deps.log.warn({ endpoint: endpointName, instance: id, status, attempt }, 'model server crashed; restarting');
        },
        onStart: (h) => {
          inst.ready = backend.waitHealthy(h, timeout).then(() => {
            inst.address = backend.address(h);
            if (inst.containers) inst.containers.addresses = this.groups.addresses(h);
            if (!inst.retired) inst.healthy = true;
          });
          // Restarts report through logs; the first start is awaited below.
          inst.ready.catch((err) => this.deps.log.warn({ err, instance: id }, 'model server not healthy'));
        },
        onGiveUp: (reason) => this.deps.log.error({ endpoint: endpointName, instance: id, reason }, 'model server given up'),
      });
    this.instances.add(inst);
    started.push(inst);
    // A server that exits before its first /ping gets two more tries at once: a transient
    // cause (the free port taken by another process between allocation and bind) must not
    // fail the endpoint, while an image that always crashes still fails within a second or so.
    // A server that runs but never answers is not retried: its timeout already elapsed.
    for (let attempt = 0; ; attempt++) {
      inst.supervisor = supervise();
      await inst.supervisor.start();
      try {
        await inst.ready;
        return inst;
      } catch (err) {
        const exited = err instanceof HealthCheckError && err.exit !== undefined;
        if (!exited || attempt >= INITIAL_START_ATTEMPTS - 1 || this.stopping) throw err;
        await inst.supervisor.stop(0);
      }
    }
  }

  private async stopInstance(inst: LiveInstance, graceMs: number): Promise<void> {
    inst.retired = true;
    inst.healthy = false;
    try {
      await inst.supervisor.stop(graceMs);
    } catch (err) {
      this.deps.log.error({ err, instance: inst.id }, 'model server did not stop');
    }
    this.instances.delete(inst);
  }

  /** Instances out of routing: let their in-flight requests finish (bounded), then stop them. */
  private async retire(list: LiveInstance[]): Promise<void> {
    for (const i of list) i.healthy = false;
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    while (list.some((i) => i.outstanding > 0) && Date.now() < deadline) await sleep(20);
    await Promise.all(list.map((i) => this.stopInstance(i, this.deps.config.timing.hostingStopGraceMs)));
    await Promise.all(list.map((i) => rm(i.baseDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {})));
  }
}

/** The deployed variants with their live counts and the image resolution time. */
function settle(variants: VariantSpec[], fleet: LiveVariant[], now: number): VariantSpec[] {
  return variants.map((v) => {
    const lv = fleet.find((f) => f.name === v.VariantName);
    return {
      ...v,
      CurrentWeight: v.DesiredWeight,
      CurrentInstanceCount: lv ? lv.instances.length : 0,
      ResolvedImage: v.ResolvedImage ?? v.Image,
      ResolutionTime: v.ResolutionTime ?? now / 1000,
    };
  });
}

/** FailureReason: the health check's message with the log tail, the catalog's mapping hint, or the artifact error. */
export function failureReason(err: unknown): string {
  const msg = err instanceof HealthCheckError || err instanceof Error ? err.message : String(err);
  // DescribeEndpointOutput.FailureReason is at most 1024 characters; the log's end explains most.
  if (msg.length <= 1024) return msg;
  return msg.slice(0, 400) + ' … ' + msg.slice(-(1024 - 403));
}

export type { EndpointStatus };
