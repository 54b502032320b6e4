/**
 * The runtime seam: every way Slipway can run a container's work (local processes now,
 * Docker and Kubernetes later, see DESIGN.md "Scale-out seams") implements {@link Backend}.
 * Controllers (training, hosting) only ever talk to this interface.
 */

/** What the container is asked to do; the word is passed as the last argument (`<image> train|serve`). */
export type Role = 'train' | 'serve';

/** What the image catalog decided runs for an image URI (before the role argument is appended). */
export interface ResolvedCommand {
  /** argv: the executable then its arguments. */
  command: string[];
  /** Working directory for the process; defaults to the instance's base directory. */
  cwd?: string;
  /** Environment the image itself brings (like a Dockerfile's `ENV`). */
  env?: Record<string, string>;
}

/** One instance to run: a training host ("algo-1") or one model-server instance of a variant. */
export interface RunSpec {
  /** Unique id of this instance; names the log file and is exported as `SLIPWAY_INSTANCE_ID`. */
  id: string;
  role: Role;
  /** From the image catalog; the backend appends `role` as the final argument. */
  resolved: ResolvedCommand;
  /**
   * The instance's private `/opt/ml` (exported as `SAGEMAKER_BASE_DIR`): `model/`,
   * `input/config`, `input/data/<channel>`, `output/`, `checkpoints/` live below it.
   */
  baseDir: string;
  /** The container `Environment` (and, for training, the `SM_*` variables the controller derives). */
  env?: Record<string, string>;
  /** serve only: the port to bind; when absent the backend allocates a free loopback port. */
  port?: number;
  /** Where stdout+stderr are appended; defaults to `<baseDir>/logs/<id>.log`. */
  logFile?: string;
}

/** How an instance ended. */
export interface ExitStatus {
  /** Exit code when the process exited by itself, else null. */
  code: number | null;
  /** Signal name when it was killed (`SIGTERM`, `SIGKILL`), else null. */
  signal: NodeJS.Signals | null;
  /** True when the exit followed a {@link Backend.stop} call (a stop, not a crash). */
  stopRequested: boolean;
  /** Set when the process could not be started or waited on at all. */
  error?: string;
  /** Epoch milliseconds. */
  at: number;
}

/** Status as a controller polls it. */
export type RunStatus =
  | { state: 'starting' }
  | { state: 'running'; pid?: number }
  | ({ state: 'exited' } & ExitStatus);

/** Opaque to controllers except for these members; each backend keeps its own details. */
export interface RunHandle {
  readonly id: string;
  readonly role: Role;
  /** Resolves (never rejects) once the instance has ended, however it ended. */
  readonly exited: Promise<ExitStatus>;
}

/** Where an instance's combined stdout+stderr can be read. */
export interface LogRef {
  /** A local file, appended to while the instance runs. */
  path: string;
}

export interface Backend {
  /** Short name for logs and configuration ('process', 'docker', 'kubernetes'). */
  readonly name: string;
  /** Starts the instance. Rejects only when it cannot be started at all (e.g. executable missing). */
  start(spec: RunSpec): Promise<RunHandle>;
  /**
   * Stops as the container contract says: SIGTERM, then SIGKILL once `graceMs` has passed
   * (AWS: 120 s for training, 30 s for hosting). Idempotent; resolves with the final status.
   */
  stop(handle: RunHandle, graceMs: number): Promise<ExitStatus>;
  status(handle: RunHandle): RunStatus;
  /** `host:port` a model server answers on (serve only; undefined for train). */
  address(handle: RunHandle): string | undefined;
  logs(handle: RunHandle): LogRef;
  /**
   * Resolves once `GET /ping` answers 200 (the hosting contract); rejects with a
   * {@link HealthCheckError} carrying the log tail on timeout or when the process exits first.
   */
  waitHealthy(handle: RunHandle, timeoutMs: number): Promise<void>;
  /** Crash/exit hook: `listener` runs once when the instance ends (immediately if it already has). */
  onExit(handle: RunHandle, listener: (status: ExitStatus) => void): void;
}

/** A model server did not become healthy; `logTail` is the end of its log for FailureReason. */
export class HealthCheckError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
    readonly exit?: ExitStatus,
  ) {
    super(logTail ? `${message}\n--- log tail ---\n${logTail}` : message);
    this.name = 'HealthCheckError';
  }
}

/** The backend could not run the instance (spawn failure, bad spec). */
export class RuntimeStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeStartError';
  }
}
