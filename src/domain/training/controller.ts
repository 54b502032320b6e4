/**
 * Drives training jobs from Create to Completed / Failed / Stopped through local processes
 * (DESIGN.md "Container contracts"). Plain TypeScript: operations record the desired state in
 * the store and call `kick` / `requestStop`; this controller does the work and records every
 * transition *before* acting on it, so a restarted Slipway resumes from the truth:
 *
 *   queued → preparing (Starting, Downloading) → running (Training) → finishing (Uploading)
 *   → done (Completed | Failed | Stopped)
 *
 * Jobs beyond `maxConcurrentTrainingJobs` wait as InProgress/Pending (never lost: the queue is
 * rebuilt from the store at start-up). A training process runs under a small exit recorder
 * (exit-recorder.ts) in its own process group, so it survives a Slipway restart and is
 * re-attached by process group afterwards, with its exit status still known.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Controller, Services } from '../../services/context.js';
import type { Resource, Scope } from '../../store/store.js';
import type { RunHandle } from '../../runtime/backend.js';
import { readTail } from '../../runtime/process-backend.js';
import { LINEAR_LEARNER_MAIN } from '../../runtime/image-catalog.js';
import { LINEAR_LEARNER_METRICS } from '../../images/linear-learner/model.js';
import { uploadDirectory } from '../../runtime/artifacts.js';
import { baseDirOf, jobDirectory, jobLogFile, outputUri, TERMINAL, transition, type TrainingJobData } from './job.js';
import { inputDataConfig, layout, resourceConfig, trainingEnvironment } from './environment.js';
import {
  compileMetrics,
  downloadChannel,
  extractMetrics,
  hasFiles,
  JobFailure,
  mirrorCheckpoints,
  readFailureFile,
  restoreCheckpoints,
  writeJson,
} from './io.js';

export const TRAINING_KIND = 'training-job';
/** The exit recorder, compiled next to this file. */
const RECORDER = fileURLToPath(new URL('./exit-recorder.js', import.meta.url));
/** How often checkpoints are mirrored and re-attached process groups are polled. */
const CHECKPOINT_INTERVAL_MS = 1000;
const REATTACH_POLL_MS = 250;
/** FailureReason is a 1024-character field in AWS. */
const REASON_MAX = 1024;

interface JobRef {
  scope: Scope;
  name: string;
}

interface ExitInfo {
  code: number | null;
  signal: string | null;
  error?: string;
  recorded: boolean;
}

/** A running training process, started here or re-attached after a restart. */
interface Proc {
  exited: Promise<void>;
  /** SIGTERM to the group now, SIGKILL after `graceMs`. */
  terminate(graceMs: number): void;
}

interface Active {
  ref: JobRef;
  proc?: Proc;
  timers: NodeJS.Timeout[];
}

class ControllerClosed extends Error {}

const keyOf = (r: JobRef) => `${r.scope.account}/${r.scope.region}/${r.name.toLowerCase()}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The last part of the log, for a FailureReason that explains an exit without output/failure. */
function describeExit(exit: ExitInfo | undefined): string {
  if (!exit) return 'the training process ended without an exit status';
  if (exit.error) return exit.error;
  if (exit.signal) return `the training process was killed by ${exit.signal}`;
  return `the training process exited with code ${exit.code}`;
}

/** Whether process group `pgid` still runs the instance `instanceId` (not a recycled pid). */
function groupAlive(pgid: number, instanceId: string): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!existsSync('/proc/self')) return true; // no procfs: the group's existence is all we can know
  try {
    const env = readFileSync(`/proc/${pgid}/environ`, 'latin1');
    return env.split('\0').includes(`SLIPWAY_INSTANCE_ID=${instanceId}`);
  } catch {
    // The group leader (the exit recorder) is gone but members remain: orphans of a job whose
    // status can no longer be recorded. End them, as a container's death would.
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    return false;
  }
}

export class TrainingController implements Controller {
  private readonly active = new Map<string, Active>();
  private queue: JobRef[] = [];
  private closed = false;

  constructor(private readonly s: Services) {}

  private get limit() {
    return this.s.config.timing.maxConcurrentTrainingJobs;
  }

  /** Resumes every unfinished job from the store (DESIGN.md: nothing stays InProgress forever). */
  async start(): Promise<void> {
    const rows = (await this.s.store.scan<TrainingJobData>(TRAINING_KIND))
      .filter((r) => !TERMINAL.has(r.status ?? ''))
      .sort((a, b) => a.createdAt - b.createdAt);
    for (const row of rows) {
      const ref = { scope: { account: row.account, region: row.region }, name: row.name };
      const run = row.data.run;
      if (run.phase === 'running' && run.pgid && run.instanceId && groupAlive(run.pgid, run.instanceId)) {
        this.reattach(ref, row, run.pgid, run.instanceId);
      } else if (run.phase === 'running' || run.phase === 'finishing') {
        void this.guard(ref, () => this.finish(ref, this.exitFromRecord(ref, row)));
      } else {
        // queued or preparing: nothing ran yet, so starting again from scratch is safe.
        this.queue.push(ref);
      }
    }
    this.pump();
  }

  /** Shutdown: stop watching. Training processes keep running and are re-attached at the next start. */
  async stop(): Promise<void> {
    this.closed = true;
    for (const a of this.active.values()) for (const t of a.timers) clearTimeout(t);
    this.queue = [];
  }

  /** CreateTrainingJob hands a new job over. */
  kick(scope: Scope, name: string): void {
    if (this.closed) return;
    this.queue.push({ scope, name });
    this.pump();
  }

  /** StopTrainingJob recorded `Stopping`; act on it (a queued job ends at once, a running one gets SIGTERM). */
  requestStop(scope: Scope, name: string): void {
    const ref = { scope, name };
    const key = keyOf(ref);
    const a = this.active.get(key);
    if (a) {
      a.proc?.terminate(this.s.config.timing.trainingStopGraceMs);
      return; // a job still preparing sees Stopping at its next step
    }
    this.queue = this.queue.filter((q) => keyOf(q) !== key);
    if (!this.closed) void this.guard(ref, () => this.finish(ref, undefined));
  }

  /** DeleteTrainingJob: the job's local files go with its metadata. */
  async forget(scope: Scope, name: string): Promise<void> {
    await rm(jobDirectory(this.s.config.dataDir, scope.account, scope.region, name), { recursive: true, force: true, maxRetries: 3 });
  }

  /** Starts queued jobs while slots are free. */
  private pump(): void {
    while (!this.closed && this.active.size < this.limit && this.queue.length > 0) {
      const ref = this.queue.shift()!;
      const key = keyOf(ref);
      if (this.active.has(key)) continue;
      this.active.set(key, { ref, timers: [] });
      void this.guard(ref, () => this.run(ref));
    }
    // Jobs left waiting say so (AWS shows InProgress with a Pending secondary status).
    for (const ref of this.queue) {
      void this.mutate(ref, (d, now) => {
        if (d.job.TrainingJobStatus !== 'InProgress' || d.job.SecondaryStatus === 'Pending') return false;
        transition(d.job, 'Pending', `Waiting for a free training slot (${this.limit} training jobs run at once)`, now);
      }).catch(() => {});
    }
  }

  /** Runs `fn`; any unexpected error fails the job with an honest reason instead of leaving it InProgress. */
  private async guard(ref: JobRef, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof ControllerClosed || this.closed) return;
      this.s.log.error({ err, job: ref.name }, 'training job failed in Slipway');
      await this.fail(ref, `InternalServerError: ${(err as Error).message}`).catch(() => {});
    } finally {
      const a = this.active.get(keyOf(ref));
      if (a && !a.proc) {
        for (const t of a.timers) clearTimeout(t);
        this.active.delete(keyOf(ref));
        this.pump();
      }
    }
  }

  /** One atomic read-modify-write of the job; `fn` returns false to leave the row unchanged. */
  private async mutate(
    ref: JobRef,
    fn: (d: TrainingJobData, now: number) => void | false,
  ): Promise<Resource<TrainingJobData> | undefined> {
    if (this.closed) throw new ControllerClosed();
    let changed = false;
    const row = await this.s.store.update<TrainingJobData>(ref.scope, TRAINING_KIND, ref.name, (r) => {
      const data = structuredClone(r.data);
      const now = this.s.clock.now();
      if (fn(data, now) === false) return undefined;
      changed = true;
      data.job.LastModifiedTime = now / 1000;
      return { ...r, data, status: data.job.TrainingJobStatus, modifiedAt: now };
    });
    return changed ? row : undefined;
  }

  private async current(ref: JobRef) {
    return this.s.store.get<TrainingJobData>(ref.scope, TRAINING_KIND, ref.name);
  }

  /**
   * Records one progress step while the job is still InProgress; answers false when a stop
   * was recorded meanwhile (the caller then winds the job down instead).
   */
  private async step(ref: JobRef, status: string, message: string, more?: (d: TrainingJobData, now: number) => void): Promise<boolean> {
    let stopping = false;
    await this.mutate(ref, (d, now) => {
      if (d.job.TrainingJobStatus !== 'InProgress') {
        stopping = true;
        return false;
      }
      transition(d.job, status, message, now);
      more?.(d, now);
    });
    return !stopping;
  }

  private async run(ref: JobRef): Promise<void> {
    const row = await this.current(ref);
    if (!row || TERMINAL.has(row.status ?? '')) return;
    if (row.status === 'Stopping') return this.finish(ref, undefined);
    const { job } = row.data;
    const jobDir = jobDirectory(this.s.config.dataDir, ref.scope.account, ref.scope.region, ref.name);
    const base = baseDirOf(jobDir);
    const l = layout(base, job);

    if (!(await this.step(ref, 'Starting', 'Preparing the instances for training', (d) => {
      d.run = { phase: 'preparing', baseDir: base };
    }))) return this.finish(ref, undefined);
    // A fresh /opt/ml for every attempt: a half-done earlier attempt leaves nothing behind.
    await rm(base, { recursive: true, force: true, maxRetries: 3 });
    for (const dir of [l.configDir, l.dataDir, l.modelDir, l.outputDataDir, l.intermediateDir, l.checkpointDir]) {
      await mkdir(dir, { recursive: true });
    }
    await writeJson(join(l.configDir, 'hyperparameters.json'), job.HyperParameters ?? {});
    await writeJson(join(l.configDir, 'inputdataconfig.json'), inputDataConfig(job));
    await writeJson(join(l.configDir, 'resourceconfig.json'), resourceConfig(job));
    if (job.CheckpointConfig) {
      await writeJson(join(l.configDir, 'checkpointconfig.json'), { LocalPath: job.CheckpointConfig.LocalPath ?? '/opt/ml/checkpoints', S3Uri: job.CheckpointConfig.S3Uri });
    }
    if (job.AlgorithmSpecification.MetricDefinitions?.length) {
      await writeJson(join(l.configDir, 'metric-definition-regex.json'), job.AlgorithmSpecification.MetricDefinitions);
    }
    const image = job.AlgorithmSpecification.TrainingImage ?? job.AlgorithmSpecification.AlgorithmName ?? '';
    let resolved;
    try {
      resolved = this.s.runtime.catalog.resolve(image);
      compileMetrics(job.AlgorithmSpecification.MetricDefinitions);
    } catch (err) {
      return this.fail(ref, `ClientError: ${(err as Error).message}`);
    }

    if (!(await this.step(ref, 'Downloading', 'Downloading input data'))) return this.finish(ref, undefined);
    try {
      for (const channel of job.InputDataConfig ?? []) {
        await downloadChannel(this.s.objects, channel, join(l.dataDir, channel.ChannelName), { region: ref.scope.region, role: job.RoleArn });
      }
      if (job.CheckpointConfig) await restoreCheckpoints(this.s.objects, job.CheckpointConfig.S3Uri, l.checkpointDir);
    } catch (err) {
      if (err instanceof JobFailure) return this.fail(ref, err.message);
      throw err;
    }

    const instanceId = `training-${this.s.ids.uuid()}`;
    const statusFile = join(jobDir, 'exit-status.json');
    await rm(statusFile, { force: true });
    if (!(await this.step(ref, 'Training', 'Training image download completed. Training in progress.', (d, now) => {
      d.run = { phase: 'running', baseDir: base, instanceId };
      d.job.TrainingStartTime ??= now / 1000;
      // AWS's built-in algorithms publish their own metric definitions when the job names none.
      if (!d.job.AlgorithmSpecification.MetricDefinitions?.length && resolved.source === 'builtin' && resolved.command.includes(LINEAR_LEARNER_MAIN)) {
        d.job.AlgorithmSpecification.MetricDefinitions = LINEAR_LEARNER_METRICS;
      }
    }))) return this.finish(ref, undefined);

    let handle: RunHandle;
    try {
      handle = await this.s.runtime.backend.start({
        id: instanceId,
        role: 'train',
        resolved: { command: [process.execPath, RECORDER, statusFile, ...resolved.command], cwd: resolved.cwd, env: resolved.env },
        baseDir: base,
        env: trainingEnvironment(job, l),
        logFile: jobLogFile(jobDir),
      });
    } catch (err) {
      return this.fail(ref, `ClientError: ${(err as Error).message}`);
    }
    const st = this.s.runtime.backend.status(handle);
    const pgid = st.state === 'running' ? st.pid : undefined;
    const after = await this.mutate(ref, (d) => {
      d.run.pgid = pgid;
    });
    const backend = this.s.runtime.backend;
    const proc: Proc = {
      exited: handle.exited.then(() => undefined),
      terminate: (graceMs) => void backend.stop(handle, graceMs).catch((err) => this.s.log.error({ err }, 'stopping a training process failed')),
    };
    const backendExit = handle.exited;
    await this.watch(ref, after ?? row, proc, statusFile, async () => {
      const s = await backendExit;
      return { code: s.code, signal: s.signal, ...(s.error ? { error: s.error } : {}), recorded: false };
    });
  }

  /** A job whose process group outlived the previous Slipway: watch it by polling the group. */
  private reattach(ref: JobRef, row: Resource<TrainingJobData>, pgid: number, instanceId: string): void {
    const key = keyOf(ref);
    this.active.set(key, { ref, timers: [] });
    let killTimer: NodeJS.Timeout | undefined;
    const exited = (async () => {
      while (groupAlive(pgid, instanceId)) await sleep(REATTACH_POLL_MS);
      clearTimeout(killTimer);
    })();
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pgid, sig);
      } catch {
        /* gone */
      }
    };
    const proc: Proc = {
      exited,
      terminate: (graceMs) => {
        signal('SIGTERM');
        clearTimeout(killTimer);
        killTimer = setTimeout(() => signal('SIGKILL'), graceMs);
      },
    };
    const jobDir = jobDirectory(this.s.config.dataDir, ref.scope.account, ref.scope.region, ref.name);
    void this.guard(ref, async () => {
      this.s.log.info({ job: ref.name, pgid }, 're-attached to a running training job');
      await this.watch(ref, row, proc, join(jobDir, 'exit-status.json'), async () => ({ code: null, signal: null, recorded: false }));
    });
  }

  /** While the process runs: MaxRuntimeInSeconds, stop requests, checkpoint mirroring; then finish. */
  private async watch(ref: JobRef, row: Resource<TrainingJobData>, proc: Proc, statusFile: string, fallback: () => Promise<ExitInfo>): Promise<void> {
    const a = this.active.get(keyOf(ref))!;
    a.proc = proc;
    const { job } = row.data;
    const grace = this.s.config.timing.trainingStopGraceMs;
    // A stop recorded while the process was being started is acted on now.
    if ((await this.current(ref))?.status === 'Stopping') proc.terminate(grace);

    // MaxRuntimeInSeconds counts from TrainingStartTime (AWS: default 1 day) and survives restarts.
    const maxMs = (job.StoppingCondition.MaxRuntimeInSeconds ?? 86_400) * 1000;
    const deadline = (job.TrainingStartTime ?? this.s.clock.now() / 1000) * 1000 + maxMs;
    a.timers.push(
      setTimeout(() => {
        void this.mutate(ref, (d, now) => {
          if (d.job.TrainingJobStatus !== 'InProgress') return false;
          d.job.TrainingJobStatus = 'Stopping';
          d.run.stop = 'MaxRuntimeExceeded';
          transition(d.job, 'Stopping', `Stopping the training job: MaxRuntimeInSeconds (${maxMs / 1000} s) exceeded`, now);
        })
          .then((r) => r && proc.terminate(grace))
          .catch(() => {});
      }, Math.max(0, deadline - this.s.clock.now())),
    );

    const cp = job.CheckpointConfig;
    const seen = new Map<string, string>();
    const cpDir = layout(row.data.run.baseDir, job).checkpointDir;
    if (cp) {
      const tick = () => {
        void mirrorCheckpoints(this.s.objects, cpDir, cp.S3Uri, seen)
          .catch((err) => this.s.log.warn({ err, job: ref.name }, 'checkpoint upload failed'))
          .finally(() => {
            if (!this.closed && a.proc === proc) a.timers.push(setTimeout(tick, CHECKPOINT_INTERVAL_MS));
          });
      };
      a.timers.push(setTimeout(tick, CHECKPOINT_INTERVAL_MS));
    }

    await proc.exited;
    for (const t of a.timers) clearTimeout(t);
    a.timers = [];
    // Shutting down: the process is not ours to judge any more; the next start reads its recorded exit.
    if (this.closed) return;
    const recorded = await readRecordedExit(statusFile);
    const exit = recorded ?? (await fallback());
    if (cp) await mirrorCheckpoints(this.s.objects, cpDir, cp.S3Uri, seen).catch(() => {});
    await this.mutate(ref, (d) => {
      d.run.phase = 'finishing';
      d.run.exit = exit;
    });
    a.proc = undefined;
    await this.finish(ref, exit);
  }

  /** After a restart: how the process ended, from the exit recorder's file when it wrote one. */
  private exitFromRecord(ref: JobRef, row: Resource<TrainingJobData>): ExitInfo | undefined {
    if (row.data.run.exit) return row.data.run.exit;
    const jobDir = jobDirectory(this.s.config.dataDir, ref.scope.account, ref.scope.region, ref.name);
    try {
      const s = JSON.parse(readFileSync(join(jobDir, 'exit-status.json'), 'utf8'));
      return { code: s.code ?? null, signal: s.signal ?? null, ...(s.error ? { error: s.error } : {}), recorded: true };
    } catch {
      return undefined;
    }
  }

  /**
   * The process has ended (or never started): upload what the contract says, extract metrics,
   * and record the terminal status. Safe to run again after a restart (uploads overwrite).
   */
  private async finish(ref: JobRef, exit: ExitInfo | undefined): Promise<void> {
    const row = await this.current(ref);
    if (!row || TERMINAL.has(row.status ?? '')) return;
    const { job, run } = row.data;
    const jobDir = jobDirectory(this.s.config.dataDir, ref.scope.account, ref.scope.region, ref.name);
    const base = run.baseDir || baseDirOf(jobDir);
    const l = layout(base, job);
    const stopped = row.status === 'Stopping';
    const started = run.phase === 'running' || run.phase === 'finishing';
    const success = !stopped && exit !== undefined && exit.code === 0 && !exit.error;

    let reason: string | undefined;
    if (!stopped && !success) {
      if (!exit && started) {
        reason =
          'InternalServerError: Slipway restarted while this job was training and found its process gone without a recorded exit status ' +
          '(it was probably killed, for example by a host restart). Its output was not uploaded.';
      } else {
        const file = await readFailureFile(base);
        const tail = (await readTail(jobLogFile(jobDir), 600)).trim();
        reason = file ?? `AlgorithmError: ${describeExit(exit)}${tail ? `. Log tail:\n${tail}` : ''}`;
      }
    }

    const uploads: Array<() => Promise<unknown>> = [];
    if (started && (stopped || success) && existsSync(l.modelDir)) {
      uploads.push(() => uploadDirectory(this.s.objects, l.modelDir, outputUri(job, 'model.tar.gz')));
    }
    if (started && (await hasFiles(l.outputDataDir))) {
      uploads.push(() => uploadDirectory(this.s.objects, l.outputDataDir, outputUri(job, 'output.tar.gz')));
    }
    if (uploads.length > 0) {
      await this.mutate(ref, (d, now) => {
        transition(d.job, 'Uploading', 'Uploading generated training model', now);
        d.run.phase = 'finishing';
      });
      try {
        for (const u of uploads) await u();
      } catch (err) {
        if (!stopped) reason = `ClientError: Could not upload the output to ${job.OutputDataConfig.S3OutputPath}: ${(err as Error).message}`;
      }
    }

    const metrics = started
      ? await extractMetrics(jobLogFile(jobDir), compileSafe(job.AlgorithmSpecification.MetricDefinitions), this.s.clock.now()).catch(() => [])
      : [];
    await this.mutate(ref, (d, now) => {
      const j = d.job;
      if (TERMINAL.has(j.TrainingJobStatus)) return false;
      if (started || j.TrainingStartTime !== undefined) {
        j.TrainingStartTime ??= now / 1000;
        j.TrainingEndTime = now / 1000;
        j.TrainingTimeInSeconds = Math.max(0, Math.round(j.TrainingEndTime - j.TrainingStartTime));
        j.BillableTimeInSeconds = j.TrainingTimeInSeconds;
      }
      if (metrics.length) j.FinalMetricDataList = metrics;
      d.run.phase = 'done';
      if (stopped) {
        j.TrainingJobStatus = 'Stopped';
        if (d.run.stop === 'MaxRuntimeExceeded') transition(j, 'MaxRuntimeExceeded', 'Training job stopped because it exceeded MaxRuntimeInSeconds', now);
        else transition(j, 'Stopped', 'Training job stopped', now);
      } else if (reason === undefined) {
        j.TrainingJobStatus = 'Completed';
        transition(j, 'Completed', 'Training job completed', now);
      } else {
        j.TrainingJobStatus = 'Failed';
        j.FailureReason = reason.slice(0, REASON_MAX);
        transition(j, 'Failed', 'Training job failed', now);
      }
    });
  }

  /** A failure before any process ran (bad image, missing input): Failed with `reason`. */
  private async fail(ref: JobRef, reason: string): Promise<void> {
    await this.mutate(ref, (d, now) => {
      if (TERMINAL.has(d.job.TrainingJobStatus)) return false;
      if (d.job.TrainingJobStatus === 'Stopping') {
        d.job.TrainingJobStatus = 'Stopped';
        transition(d.job, 'Stopped', 'Training job stopped', now);
      } else {
        d.job.TrainingJobStatus = 'Failed';
        d.job.FailureReason = reason.slice(0, REASON_MAX);
        transition(d.job, 'Failed', 'Training job failed', now);
      }
      d.run.phase = 'done';
    });
  }
}

function compileSafe(defs: Parameters<typeof compileMetrics>[0]) {
  try {
    return compileMetrics(defs);
  } catch {
    return [];
  }
}

async function readRecordedExit(file: string): Promise<ExitInfo | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const s = JSON.parse(text);
    return { code: s.code ?? null, signal: s.signal ?? null, ...(s.error ? { error: s.error } : {}), recorded: true };
  } catch {
    return undefined;
  }
}
