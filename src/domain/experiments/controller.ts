/**
 * Drives inference experiments (shadow tests) through their statuses and really runs them:
 * the shadow variant's model servers are started by the endpoint controller beside the
 * production fleet, a sample of production requests is copied to it, both answers are
 * compared, measured and written to the experiment's data storage.
 *
 * - Schedule: a Created experiment starts at its StartTime (at once when none was given)
 *   and a Running one stops at its EndTime (CreateInferenceExperiment API reference: "If you
 *   don't specify this field, the experiment automatically starts immediately upon creation
 *   and concludes after 7 days"). Time is the injected clock; a poll timer (`pollMs`) and
 *   {@link ExperimentController.kick} drive it, so tests move it without sleeping for days.
 * - At EndTime the endpoint returns to its pre-experiment shape (shadow removed, production
 *   untouched): the developer guide, "After the test is complete, the endpoint reverts to
 *   the state it was in prior to starting the test".
 * - StopInferenceExperiment records Stopping with its plan (per-variant Promote / Remove /
 *   Retain, desired state); the controller carries the plan out, then records Completed or
 *   Cancelled with the reason. Every transition is written before it is acted on, so a
 *   restart resumes from the store (Starting → starts again, Stopping → finishes the plan,
 *   Running → the shadow is attached again).
 * - Mirroring never touches the client path: InvokeEndpoint hands the finished production
 *   call to the tap, which decides the sample and fires the shadow call in the background.
 *   Sampling is deterministic error diffusion (every request adds SamplingPercentage to an
 *   accumulator; each full 100 sends a copy), so 50 % of 1,000 requests is exactly 500, spread
 *   evenly, instead of a coin toss that wanders by ±30. Outstanding shadow calls are capped:
 *   a shadow slower than the traffic drops copies (counted) rather than piling up memory.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { ObjectStore } from '../../objects/object-store.js';
import type { Scope, Store } from '../../store/store.js';
import type { ModelData } from '../../services/sagemaker/CreateModel.js';
import { CaptureWriter } from '../endpoints/capture.js';
import { Stopping as EndpointStopping, type EndpointController, type LiveInstance, type ProductionObservation, type ShadowTap } from '../endpoints/controller.js';
import { ENDPOINT_KIND, type EndpointRecord, type VariantSpec } from '../endpoints/endpoint.js';
import { chooseInstance } from '../endpoints/router.js';
import { ExperimentMetrics, type Metrics } from './metrics.js';
import { EXPERIMENT_KIND, shadowOf, type ExperimentRecord, type ModelVariantConfig, type StopPlan, type VariantStatus } from './experiment.js';
import { atMost } from '../../wait.js';

/** What the controller needs from the services (a structural subset of Services). */
export interface ExperimentDeps {
  config: Config;
  store: Store;
  objects: ObjectStore;
  clock: { now(): number };
  ids: { uuid(): string };
  log: Logger;
  controllers: { endpoints?: EndpointController };
}

/** The model client (injected: no HTTP in the domain layer). Rejects when the instance cannot be reached. */
export type ModelInvoker = (
  address: string,
  body: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>;

export interface ExperimentOptions {
  invoke: ModelInvoker;
  /** How often schedules are checked (default: the config's timing.experimentPollMs, 1 s). */
  pollMs?: number;
  /** Shadow calls outstanding at once per experiment before copies are dropped (default 256). */
  maxInFlight?: number;
}

const key = (s: Scope, name: string) => `${s.account}/${s.region}/${name.toLowerCase()}`;

class Stopping extends Error {}

/** Shutdown, here or in the endpoint controller: not a failure of the experiment (it resumes after the restart). */
const cutShort = (err: unknown) => err instanceof Stopping || err instanceof EndpointStopping;

/** A running experiment's in-memory side: metrics, capture writer, sampler state. */
class LiveExperiment {
  acc = 0;
  inFlight = 0;
  rotation = 0;
  constructor(
    readonly scope: Scope,
    readonly name: string,
    readonly endpointName: string,
    readonly source: string,
    readonly shadow: string,
    public sampling: number,
    readonly metrics: ExperimentMetrics,
    public capture: CaptureWriter | undefined,
  ) {}
}

export class ExperimentController {
  private readonly live = new Map<string, LiveExperiment>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly background = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly deps: ExperimentDeps,
    private readonly opts: ExperimentOptions,
  ) {}

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    for (const row of await this.deps.store.scan<ExperimentRecord>(EXPERIMENT_KIND)) this.kick(row, row.name);
    this.timer = setInterval(() => void this.tick().catch((err) => this.deps.log.warn({ err }, 'experiment schedule check failed')), this.opts.pollMs ?? this.deps.config.timing.experimentPollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await atMost(Promise.allSettled([...this.chains.values()]), 10_000);
    await atMost(Promise.allSettled([...this.background]), 5000);
    await Promise.allSettled([...this.live.values()].map((l) => l.capture?.close()));
    this.live.clear();
  }

  /** Hands an experiment to the controller after its operation recorded a new status. */
  kick(scope: Scope, name: string): Promise<void> {
    const k = key(scope, name);
    const s = { account: scope.account, region: scope.region };
    const next = (this.chains.get(k) ?? Promise.resolve())
      .then(() => this.reconcile(s, name))
      .catch((err) => {
        if (!cutShort(err)) this.deps.log.error({ err, experiment: name }, 'inference experiment reconcile failed');
      });
    this.chains.set(k, next);
    void next.then(() => {
      if (this.chains.get(k) === next) this.chains.delete(k);
    });
    return next;
  }

  /** Checks every schedule now (what the poll timer does); resolves when the work it started is done. */
  async tick(): Promise<void> {
    if (this.stopping) return;
    const now = this.deps.clock.now() / 1000;
    const due: Promise<void>[] = [];
    for (const row of await this.deps.store.scan<ExperimentRecord>(EXPERIMENT_KIND)) {
      const r = row.data;
      const lost = r.Status === 'Running' && !this.deps.controllers.endpoints?.endpoint(row, r.EndpointName)?.shadow;
      if ((r.Status === 'Created' && r.Schedule.StartTime <= now) || (r.Status === 'Running' && r.Schedule.EndTime <= now) || lost) {
        due.push(this.kick(row, row.name));
      }
    }
    await Promise.all(due);
  }

  /** Resolves when every queued transition has been acted on (tests). */
  async idle(): Promise<void> {
    while (this.chains.size) await Promise.allSettled([...this.chains.values()]);
  }

  /** Flushes the experiment's captured pairs to its data storage now (tests, stop). */
  async flush(scope: Scope, name: string): Promise<void> {
    await this.live.get(key(scope, name))?.capture?.flush();
  }

  /**
   * The metrics document served at `GET /_slipway/inference-experiments/<name>/metrics`:
   * live while the experiment runs (or its shadow is retained), the final snapshot after.
   * Region may be omitted: the first experiment of that name in the account answers.
   */
  async metrics(account: string, region: string | undefined, name: string) {
    const rows = (await this.deps.store.scan<ExperimentRecord>(EXPERIMENT_KIND)).filter(
      (r) => r.account === account && (region === undefined || r.region === region) && r.name.toLowerCase() === name.toLowerCase(),
    );
    const row = rows[0];
    if (!row) return undefined;
    const r = row.data;
    const live = this.live.get(key(row, row.name));
    const { name: shadow, sampling } = shadowOf(r);
    const m: Metrics = live?.metrics.snapshot() ?? r.metrics ?? new ExperimentMetrics(r.ShadowModeConfig.SourceModelVariantName, shadow).snapshot();
    return {
      InferenceExperimentName: r.Name,
      InferenceExperimentArn: r.Arn,
      Region: row.region,
      Status: r.Status,
      EndpointName: r.EndpointName,
      SamplingPercentage: live?.sampling ?? sampling,
      ...m,
      /** Copies sent to the shadow and not answered yet. */
      ShadowInFlight: live?.inFlight ?? 0,
    };
  }

  // ---------------------------------------------------------------- reconcile

  private async reconcile(scope: Scope, name: string): Promise<void> {
    if (this.stopping) return;
    const row = await this.deps.store.get<ExperimentRecord>(scope, EXPERIMENT_KIND, name);
    if (!row) return this.forget(scope, name);
    let rec = row.data;
    const now = () => this.deps.clock.now() / 1000;
    if (rec.Status === 'Creating') rec = (await this.record(scope, name, (r) => ({ ...r, Status: 'Created' })))!;
    if (rec.Status === 'Updating') rec = (await this.applyUpdate(scope, rec))!;
    if (rec.Status === 'Created' && rec.Schedule.StartTime <= now()) {
      rec = (await this.record(scope, name, (r) => ({ ...r, Status: 'Starting', ModelVariants: withStatus(r, { shadow: 'Creating' }) })))!;
    }
    if (rec.Status === 'Starting') rec = (await this.begin(scope, rec)) ?? rec;
    if (rec.Status === 'Running') {
      const ep = await this.deps.store.get<EndpointRecord>(scope, ENDPOINT_KIND, rec.EndpointName);
      if (!ep || ep.data.EndpointStatus === 'Deleting' || ep.data.EndpointStatus === 'Failed') {
        // "Cancelled - … if any operation fails with an unexpected error" (DescribeInferenceExperiment).
        return this.finish(scope, rec, 'Cancelled', `Endpoint ${rec.EndpointName} is no longer in service (${ep?.data.EndpointStatus ?? 'deleted'}).`, { shadow: 'Deleted' });
      }
      if (rec.Schedule.EndTime <= now()) {
        // The schedule ends: revert the endpoint (remove the shadow, keep production).
        const plan: StopPlan = { actions: { [rec.ShadowModeConfig.SourceModelVariantName]: 'Retain', [shadowOf(rec).name]: 'Remove' }, state: 'Completed' };
        rec = (await this.record(scope, name, (r) => ({ ...r, Status: 'Stopping', stop: plan, ModelVariants: withStatus(r, { shadow: 'Deleting' }) })))!;
      } else {
        await this.ensureShadow(scope, rec);
        return;
      }
    }
    if (rec.Status === 'Stopping') return this.carryOut(scope, rec);
    if ((rec.Status === 'Completed' || rec.Status === 'Cancelled') && rec.stop?.actions[shadowOf(rec).name] === 'Retain') {
      // A retained shadow stays on the endpoint (also after a restart) and keeps receiving copies.
      await this.ensureShadow(scope, rec).catch((err) => this.deps.log.warn({ err, experiment: name }, 'retained shadow could not be attached'));
    }
  }

  /** Writes a transition; `mutate` gets the current record. */
  private async record(scope: Scope, name: string, mutate: (r: ExperimentRecord) => ExperimentRecord): Promise<ExperimentRecord | undefined> {
    if (this.stopping) throw new Stopping();
    const now = this.deps.clock.now();
    const row = await this.deps.store.update<ExperimentRecord>(scope, EXPERIMENT_KIND, name, (row) => {
      const data = { ...mutate(row.data), LastModifiedTime: now / 1000 };
      return { ...row, status: data.Status, modifiedAt: now, data };
    });
    return row?.data;
  }

  /** Starting: the shadow's fleet comes up on the endpoint; Running once it serves, Cancelled if it cannot. */
  private async begin(scope: Scope, rec: ExperimentRecord): Promise<ExperimentRecord | undefined> {
    try {
      await this.ensureShadow(scope, rec);
    } catch (err) {
      if (this.stopping || cutShort(err)) throw new Stopping();
      const reason = `The shadow variant could not be started: ${err instanceof Error ? err.message : String(err)}`.slice(0, 1024);
      await this.finish(scope, rec, 'Cancelled', reason, { shadow: 'Deleted' });
      return undefined;
    }
    return this.record(scope, rec.Name, (r) => ({ ...r, Status: 'Running', ModelVariants: withStatus(r, { shadow: 'InService' }) }));
  }

  /** The shadow is live on the endpoint with this experiment's tap (idempotent). */
  private async ensureShadow(scope: Scope, rec: ExperimentRecord): Promise<void> {
    const endpoints = this.deps.controllers.endpoints;
    if (!endpoints) throw new Error('hosting is not available');
    const live = this.liveFor(scope, rec);
    const shadowCfg = rec.ModelVariants.find((v) => v.VariantName === live.shadow)!;
    const spec = await this.variantSpec(scope, shadowCfg);
    await endpoints.attachShadow(scope, rec.EndpointName, spec, this.tapFor(live));
  }

  private liveFor(scope: Scope, rec: ExperimentRecord): LiveExperiment {
    const k = key(scope, rec.Name);
    let live = this.live.get(k);
    if (!live) {
      const { name: shadow, sampling } = shadowOf(rec);
      live = new LiveExperiment(
        scope,
        rec.Name,
        rec.EndpointName,
        rec.ShadowModeConfig.SourceModelVariantName,
        shadow,
        sampling,
        new ExperimentMetrics(rec.ShadowModeConfig.SourceModelVariantName, shadow),
        this.captureFor(rec),
      );
      this.live.set(k, live);
    }
    return live;
  }

  /** The shadow's (or promoted variant's) deployment, from its model and infrastructure config. */
  private async variantSpec(scope: Scope, v: ModelVariantConfig): Promise<VariantSpec> {
    const model = await this.deps.store.get<ModelData>(scope, 'model', v.ModelName);
    const c = model?.data.PrimaryContainer ?? model?.data.Containers?.[0];
    if (!model || !c?.Image) throw new Error(`Model ${v.ModelName} does not exist or has no container image.`);
    const infra = v.InfrastructureConfig.RealTimeInferenceConfig;
    return {
      VariantName: v.VariantName,
      ModelName: model.name,
      Image: c.Image,
      ...(c.ModelDataUrl ? { ModelDataUrl: c.ModelDataUrl } : {}),
      Environment: { ...(c.Environment ?? {}) },
      InstanceType: infra.InstanceType,
      CurrentWeight: 1,
      DesiredWeight: 1,
      CurrentInstanceCount: 0,
      DesiredInstanceCount: Math.max(1, infra.InstanceCount),
    };
  }

  /** Stopping: Promote / Remove / Retain as planned, then the desired state. */
  private async carryOut(scope: Scope, rec: ExperimentRecord): Promise<void> {
    const endpoints = this.deps.controllers.endpoints;
    const plan = rec.stop!;
    const shadow = shadowOf(rec).name;
    const source = rec.ShadowModeConfig.SourceModelVariantName;
    const action = plan.actions[shadow] ?? 'Remove';
    const live = this.live.get(key(scope, rec.Name));
    try {
      if (action === 'Promote') {
        const cfg = plan.desired?.find((d) => d.VariantName === shadow) ?? rec.ModelVariants.find((v) => v.VariantName === shadow)!;
        // Copies stop before the switch: the promoted model answers production itself.
        if (live) live.sampling = 0;
        await endpoints!.promoteShadow(scope, rec.EndpointName, await this.variantSpec(scope, cfg));
        await this.finish(scope, rec, plan.state, rec.StatusReason, { shadow: 'InService', production: 'Deleted' }, cfg);
      } else if (action === 'Remove') {
        await endpoints?.detachShadow(scope, rec.EndpointName);
        await this.finish(scope, rec, plan.state, rec.StatusReason, { shadow: 'Deleted' });
      } else {
        await this.finish(scope, rec, plan.state, rec.StatusReason, { shadow: 'InService' }, undefined, true);
      }
    } catch (err) {
      if (this.stopping || cutShort(err)) throw new Stopping();
      // The endpoint kept serving as before (blue/green); the experiment ends Cancelled with why.
      const reason = `${action} of variant ${shadow} failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 1024);
      this.deps.log.warn({ experiment: rec.Name, source, reason }, 'inference experiment stop failed');
      await endpoints?.detachShadow(scope, rec.EndpointName).catch(() => {});
      await this.finish(scope, rec, 'Cancelled', reason, { shadow: 'Deleted' });
    }
  }

  /** Completed / Cancelled with the final metrics; the capture is flushed and closed unless the shadow is retained. */
  private async finish(
    scope: Scope,
    rec: ExperimentRecord,
    state: 'Completed' | 'Cancelled',
    reason: string | undefined,
    statuses: { shadow?: VariantStatus; production?: VariantStatus },
    promoted?: ModelVariantConfig,
    retained = false,
  ): Promise<void> {
    const k = key(scope, rec.Name);
    const live = this.live.get(k);
    const metrics = live?.metrics.snapshot();
    await this.record(scope, rec.Name, (r) => ({
      ...r,
      Status: state,
      ...(reason !== undefined ? { StatusReason: reason } : {}),
      CompletionTime: this.deps.clock.now() / 1000,
      ModelVariants: withStatus(r, statuses, promoted),
      ...(metrics ? { metrics } : {}),
    }));
    if (!retained && live) {
      this.live.delete(k);
      await live.capture?.close();
    }
  }

  /** Updating: apply what UpdateInferenceExperiment recorded to the live experiment, then back to the status before. */
  private async applyUpdate(scope: Scope, rec: ExperimentRecord): Promise<ExperimentRecord | undefined> {
    const live = this.live.get(key(scope, rec.Name));
    if (live) {
      live.sampling = shadowOf(rec).sampling;
      const old = live.capture;
      live.capture = this.captureFor(rec);
      void old?.close();
    }
    return this.record(scope, rec.Name, (r) => ({ ...r, Status: r.resumeStatus ?? 'Created', resumeStatus: undefined }));
  }

  private forget(scope: Scope, name: string): void {
    const k = key(scope, name);
    const live = this.live.get(k);
    this.live.delete(k);
    void live?.capture?.close();
  }

  // ---------------------------------------------------------------- mirroring (off the client path)

  private tapFor(live: LiveExperiment): ShadowTap {
    return { observe: (o) => this.observe(live, o) };
  }

  private observe(live: LiveExperiment, o: ProductionObservation): void {
    try {
      live.metrics.production.add(o.latencyMs, o.ok);
      live.acc += live.sampling;
      if (live.acc < 100) return;
      live.acc -= 100;
      if (live.inFlight >= (this.opts.maxInFlight ?? 256) || this.stopping) {
        live.metrics.dropped++;
        return;
      }
      live.inFlight++;
      const task = this.mirror(live, o).finally(() => live.inFlight--);
      const p = task.catch((err) => this.deps.log.warn({ err, experiment: live.name }, 'shadow copy failed'));
      this.background.add(p);
      void p.finally(() => this.background.delete(p));
    } catch (err) {
      this.deps.log.warn({ err, experiment: live.name }, 'shadow tap failed');
    }
  }

  /** One copy to the shadow: its answer is measured, compared with production's and captured; never returned to anyone. */
  private async mirror(live: LiveExperiment, o: ProductionObservation): Promise<void> {
    const endpoints = this.deps.controllers.endpoints;
    const variant = endpoints?.endpoint(live.scope, live.endpointName)?.shadow?.variant;
    if (!variant) return;
    const inst: LiveInstance | undefined = chooseInstance(variant.instances, live.rotation++);
    let ok = false;
    let output: Buffer = Buffer.alloc(0);
    let contentType: string | undefined;
    const t0 = performance.now();
    if (inst?.address) {
      inst.outstanding++;
      try {
        const a = await this.opts.invoke(inst.address, o.body, o.headers, this.deps.config.timing.invocationTimeoutMs);
        ok = a.status >= 200 && a.status <= 299;
        output = a.body;
        const ct = a.headers['content-type'];
        contentType = typeof ct === 'string' ? ct : undefined;
      } catch (err) {
        output = Buffer.from(err instanceof Error ? err.message : String(err));
        contentType = 'text/plain';
        if ((err as Error).name === 'ModelUnreachableError') endpoints!.reportUnreachable(inst);
      } finally {
        inst.outstanding--;
      }
    } else {
      output = Buffer.from('no healthy shadow instance');
      contentType = 'text/plain';
    }
    live.metrics.shadow.add(performance.now() - t0, ok);
    if (ok && o.ok) live.metrics.compare({ body: o.output!, contentType: o.outputContentType }, { body: output, contentType });
    if (live.capture) {
      // One event id on both lines: the pairing of the production and the shadow result.
      const eventId = this.deps.ids.uuid();
      const base = { input: o.body, inputContentType: o.inputContentType, inferenceId: o.inferenceId, at: o.at, eventId };
      live.capture.record({ ...base, variant: live.source, output: o.output ?? Buffer.alloc(0), outputContentType: o.outputContentType });
      live.capture.record({ ...base, variant: live.shadow, output, outputContentType: contentType });
    }
  }

  /** DataStorageConfig → a capture writer in SageMaker's data capture format (every copied pair). */
  private captureFor(rec: ExperimentRecord): CaptureWriter | undefined {
    const d = rec.DataStorageConfig;
    if (!d) return undefined;
    return new CaptureWriter({
      endpointName: rec.EndpointName,
      config: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: d.Destination,
        ...(d.KmsKey ? { KmsKeyId: d.KmsKey } : {}),
        CaptureOptions: [{ CaptureMode: 'InputAndOutput' }],
        ...(d.ContentType ? { CaptureContentTypeHeader: d.ContentType } : {}),
      },
      sink: { put: (b, k, body, o) => this.deps.objects.put(b, k, body, o) },
      uuid: () => this.deps.ids.uuid(),
      flushMs: this.deps.config.timing.captureFlushMs,
      onError: (err) => this.deps.log.warn({ err, experiment: rec.Name }, 'experiment data storage write failed'),
    });
  }
}

/** ModelVariants with new per-variant statuses (and the promoted variant's infrastructure). */
function withStatus(r: ExperimentRecord, s: { shadow?: VariantStatus; production?: VariantStatus }, promoted?: ModelVariantConfig) {
  const shadow = shadowOf(r).name;
  return r.ModelVariants.map((v) => {
    const isShadow = v.VariantName === shadow;
    const status = isShadow ? s.shadow : s.production;
    const infra = isShadow && promoted ? { InfrastructureConfig: promoted.InfrastructureConfig } : {};
    return { ...v, ...infra, ...(status ? { Status: status } : {}) };
  });
}

