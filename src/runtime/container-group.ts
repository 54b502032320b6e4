/**
 * Several containers run as one instance: SageMaker runs every container of a multi-container
 * model (an inference pipeline, or direct invocation) on each instance of a variant, each
 * container `serve`d with its own model data, environment and port.
 *
 * {@link ContainerGroupBackend} wraps any {@link Backend}. A spec without `containers` goes
 * straight to the inner backend (the handle is the inner one: nothing changes for a
 * single-container instance or a training job). A {@link GroupSpec} starts one run per
 * container on the inner backend and answers for all of them through one handle, so the
 * Supervisor (restarts with backoff), the health checks and the stop logic written for one
 * process apply to the whole instance unchanged:
 * - healthy once every container answers `GET /ping` with 200;
 * - a container that exits on its own ends the instance: the other containers are stopped
 *   (SIGTERM, grace, SIGKILL) and the group reports that container's exit, so the Supervisor
 *   restarts the whole instance with backoff, as for a single container's crash;
 * - stop stops every container in parallel, each with SIGTERM, the grace, then SIGKILL.
 */
import { HealthCheckError, RuntimeStartError, type Backend, type ExitStatus, type LogRef, type RunHandle, type RunSpec, type RunStatus } from './backend.js';

/** One container of a group: a complete spec of its own (own base directory, environment, port). */
export interface GroupMember {
  /** The container's name (its ContainerHostname). */
  name: string;
  /** How errors name it, e.g. `container-2 for production variant AllTraffic` (AWS's phrasing). */
  label?: string;
  spec: RunSpec;
}

/** An instance of several containers; the group's own `id` and `baseDir` are the instance's. */
export interface GroupSpec extends RunSpec {
  containers: GroupMember[];
}

/** What operators and tests see of one container of a running group. */
export interface MemberInfo {
  name: string;
  pid: number | undefined;
  address: string | undefined;
  logFile: string;
}

interface Member {
  name: string;
  label: string;
  handle: RunHandle;
}

class GroupHandle implements RunHandle {
  readonly exited: Promise<ExitStatus>;
  final: ExitStatus | undefined;
  stopRequested = false;
  /** The container whose own exit ended the group, and how it ended. */
  culprit: { member: Member; status: ExitStatus } | undefined;
  private resolveExit!: (s: ExitStatus) => void;
  constructor(
    readonly id: string,
    readonly role: RunSpec['role'],
    readonly members: Member[],
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  finish(status: ExitStatus): void {
    if (this.final) return;
    this.final = status;
    this.resolveExit(status);
  }
}

const isGroupSpec = (spec: RunSpec): spec is GroupSpec => Array.isArray((spec as Partial<GroupSpec>).containers) && (spec as GroupSpec).containers.length > 0;

export class ContainerGroupBackend implements Backend {
  readonly name: string;

  /**
   * @param inner runs each container
   * @param crashGraceMs the grace the other containers get when one of them crashes
   */
  constructor(
    readonly inner: Backend,
    private readonly crashGraceMs: number,
  ) {
    this.name = inner.name;
  }

  async start(spec: RunSpec): Promise<RunHandle> {
    if (!isGroupSpec(spec)) return this.inner.start(spec);
    const results = await Promise.allSettled(spec.containers.map((c) => this.inner.start(c.spec)));
    const members: Member[] = [];
    let failure: { name: string; err: unknown } | undefined;
    results.forEach((r, i) => {
      const c = spec.containers[i]!;
      if (r.status === 'fulfilled') members.push({ name: c.name, label: c.label ?? c.name, handle: r.value });
      else failure ??= { name: c.name, err: r.reason };
    });
    if (failure) {
      // A container that cannot start at all: none of the instance keeps running.
      await Promise.allSettled(members.map((m) => this.inner.stop(m.handle, 0)));
      throw new RuntimeStartError(`container ${failure.name}: ${(failure.err as Error)?.message ?? String(failure.err)}`);
    }
    const g = new GroupHandle(spec.id, spec.role, members);
    for (const m of members) this.inner.onExit(m.handle, (s) => this.memberExited(g, m, s));
    return g;
  }

  /** A container ended on its own: the instance goes down with it (the others stop with the grace). */
  private memberExited(g: GroupHandle, m: Member, status: ExitStatus): void {
    if (g.final || g.stopRequested || status.stopRequested || g.culprit) return;
    g.culprit = { member: m, status };
    const others = g.members.filter((x) => x !== m);
    void Promise.allSettled(others.map((x) => this.inner.stop(x.handle, this.crashGraceMs))).then(() => g.finish({ ...status, stopRequested: false }));
  }

  async stop(h: RunHandle, graceMs: number): Promise<ExitStatus> {
    if (!(h instanceof GroupHandle)) return this.inner.stop(h, graceMs);
    if (h.final) return h.final;
    h.stopRequested = true;
    const results = await Promise.allSettled(h.members.map((m) => this.inner.stop(m.handle, graceMs)));
    const first = results[0]!;
    const status: ExitStatus =
      first.status === 'fulfilled' ? first.value : { code: null, signal: null, stopRequested: true, error: String(first.reason), at: Date.now() };
    // A crash that was already being handled keeps its own (unrequested) status.
    h.finish(h.culprit ? { ...h.culprit.status, stopRequested: false } : { ...status, stopRequested: true });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return h.exited;
  }

  status(h: RunHandle): RunStatus {
    if (!(h instanceof GroupHandle)) return this.inner.status(h);
    if (h.final) return { state: 'exited', ...h.final };
    const states = h.members.map((m) => this.inner.status(m.handle));
    if (states.some((s) => s.state === 'starting')) return { state: 'starting' };
    const first = states[0]!;
    return { state: 'running', pid: first.state === 'running' ? first.pid : undefined };
  }

  /** The first container's address (where a Serial pipeline begins). */
  address(h: RunHandle): string | undefined {
    if (!(h instanceof GroupHandle)) return this.inner.address(h);
    return this.inner.address(h.members[0]!.handle);
  }

  /** Every container's address in order; a single-container handle has one. */
  addresses(h: RunHandle): (string | undefined)[] {
    if (!(h instanceof GroupHandle)) return [this.inner.address(h)];
    return h.members.map((m) => this.inner.address(m.handle));
  }

  /** The log of the container that crashed, else of the first container. */
  logs(h: RunHandle): LogRef {
    if (!(h instanceof GroupHandle)) return this.inner.logs(h);
    return this.inner.logs((h.culprit?.member ?? h.members[0]!).handle);
  }

  /** Each container of a group (undefined for a single-container handle). */
  members(h: RunHandle): MemberInfo[] | undefined {
    if (!(h instanceof GroupHandle)) return undefined;
    return h.members.map((m) => {
      const st = this.inner.status(m.handle);
      return { name: m.name, pid: st.state === 'running' ? st.pid : undefined, address: this.inner.address(m.handle), logFile: this.inner.logs(m.handle).path };
    });
  }

  /**
   * Resolves once every container answers GET /ping; rejects with the container that did not,
   * named as AWS names it. When one container crashes the others are stopped and fail their
   * checks too: the crashed container's own failure is the one reported.
   */
  async waitHealthy(h: RunHandle, timeoutMs: number): Promise<void> {
    if (!(h instanceof GroupHandle)) return this.inner.waitHealthy(h, timeoutMs);
    const label = (m: Member, err: unknown): unknown => {
      if (!(err instanceof HealthCheckError)) return err;
      const suffix = err.logTail ? `\n--- log tail ---\n${err.logTail}` : '';
      const base = suffix && err.message.endsWith(suffix) ? err.message.slice(0, -suffix.length) : err.message;
      // AWS: "The container-2 for production variant AllTraffic did not pass the ping health check."
      return new HealthCheckError(`The ${m.label} did not pass the ping health check: ${base}`, err.logTail, err.exit);
    };
    await new Promise<void>((resolve, reject) => {
      let pending = h.members.length;
      let collateral: unknown;
      for (const m of h.members) {
        this.inner.waitHealthy(m.handle, timeoutMs).then(
          () => {
            if (--pending === 0) (collateral === undefined ? resolve() : reject(collateral));
          },
          (err: unknown) => {
            // Stopped because another container crashed: that container's failure explains it.
            if (h.culprit && h.culprit.member !== m) collateral ??= label(m, err);
            else reject(label(m, err));
            if (--pending === 0) reject(collateral);
          },
        );
      }
    });
  }

  onExit(h: RunHandle, listener: (status: ExitStatus) => void): void {
    if (!(h instanceof GroupHandle)) return this.inner.onExit(h, listener);
    void h.exited.then(listener);
  }
}
