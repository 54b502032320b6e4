import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  HealthCheckError,
  RuntimeStartError,
  type Backend,
  type ExitStatus,
  type LogRef,
  type RunHandle,
  type RunSpec,
  type RunStatus,
} from './backend.js';
import { atMost } from '../wait.js';

/** The loopback address every local model server binds to: nothing is exposed beyond the host. */
export const LOOPBACK = '127.0.0.1';
/** The hosting contract: `/ping` must answer within 2 s. */
export const PING_TIMEOUT_MS = 2000;
const PING_INTERVAL_MS = 100;
/** How much of the log goes into errors (FailureReason is short; the end is what explains a crash). */
export const LOG_TAIL_BYTES = 2048;
/** After SIGKILL the kernel ends the process promptly; this only bounds the wait if something is very wrong. */
const KILL_WAIT_MS = 5000;

/**
 * Host variables a process may inherit. A container does not see the host's environment
 * (and Slipway's own secrets must not leak into user code), but a local process still needs
 * PATH to find `python3` and friends.
 */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'PYENV_ROOT', 'PYENV_VERSION'];

class ProcessHandle implements RunHandle {
  state: RunStatus = { state: 'starting' };
  stopRequested = false;
  child?: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  resolveExit!: (s: ExitStatus) => void;
  constructor(
    readonly id: string,
    readonly role: RunSpec['role'],
    readonly logPath: string,
    readonly port: number | undefined,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }
}

/** Finds a free loopback port by binding port 0 and releasing it (the child binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

/** Reads the last `bytes` of a file ('' when it does not exist). */
export async function readTail(path: string, bytes = LOG_TAIL_BYTES): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One GET /ping with a hard timeout; resolves with the status code or undefined on any failure. */
function ping(port: number, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: LOOPBACK, port, path: '/ping', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * Runs each instance as a local process in its own process group, so that stopping it
 * signals everything it started, the way stopping a container does.
 */
export class ProcessBackend implements Backend {
  readonly name = 'process';

  async start(spec: RunSpec): Promise<RunHandle> {
    const [file, ...args] = spec.resolved.command;
    if (!file) throw new RuntimeStartError(`instance ${spec.id}: empty command`);
    if (spec.role === 'serve' && spec.port !== undefined && !(Number.isInteger(spec.port) && spec.port > 0 && spec.port < 65536)) {
      throw new RuntimeStartError(`instance ${spec.id}: invalid port ${spec.port}`);
    }
    const port = spec.role === 'serve' ? (spec.port ?? (await freePort())) : undefined;
    const logPath = spec.logFile ?? join(spec.baseDir, 'logs', `${spec.id}.log`);
    mkdirSync(dirname(logPath), { recursive: true });
    mkdirSync(join(spec.baseDir, 'model'), { recursive: true });

    const env: Record<string, string> = {};
    for (const k of INHERITED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    Object.assign(env, spec.resolved.env, spec.env, {
      // SageMaker toolkits treat SAGEMAKER_BASE_DIR as their /opt/ml; the model lives below it.
      SAGEMAKER_BASE_DIR: spec.baseDir,
      SM_MODEL_DIR: join(spec.baseDir, 'model'),
      SLIPWAY_INSTANCE_ID: spec.id,
    });
    // The hosting contract names exactly one port variable; nothing else (PORT, …) is set.
    if (port !== undefined) env.SAGEMAKER_BIND_TO_PORT = String(port);

    const handle = new ProcessHandle(spec.id, spec.role, logPath, port);
    // The child writes straight into the log file (append), so its output survives even if
    // Slipway restarts; the parent keeps no pipe open.
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(file, [...args, spec.role], {
        cwd: spec.resolved.cwd ?? spec.baseDir,
        env,
        // Own process group: stop() signals -pid, reaching every process the instance started.
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } catch (err) {
      closeSync(fd);
      throw new RuntimeStartError(`instance ${spec.id}: cannot start ${file}: ${(err as Error).message}`);
    }
    closeSync(fd);
    handle.child = child;

    const finish = (status: Omit<ExitStatus, 'stopRequested' | 'at'>) => {
      if (handle.state.state === 'exited') return;
      const full: ExitStatus = { ...status, stopRequested: handle.stopRequested, at: Date.now() };
      handle.state = { state: 'exited', ...full };
      // When a container's main process ends, everything else in it dies too; do the same
      // for the group so no orphan keeps a port or a GPU.
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      handle.resolveExit(full);
    };

    child.once('exit', (code, signal) => finish({ code, signal }));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => {
        handle.state = { state: 'running', pid: child.pid };
        resolve();
      });
      child.once('error', (err) => {
        if (handle.state.state === 'starting') {
          const msg = `instance ${spec.id}: cannot start ${file}: ${err.message}`;
          appendLine(logPath, msg);
          finish({ code: null, signal: null, error: msg });
          reject(new RuntimeStartError(msg));
        } else {
          finish({ code: null, signal: null, error: err.message });
        }
      });
    });
    return handle;
  }

  async stop(h: RunHandle, graceMs: number): Promise<ExitStatus> {
    const handle = own(h);
    if (handle.state.state === 'exited') return handle.exited;
    handle.stopRequested = true;
    const pid = handle.child?.pid;
    if (!pid) return handle.exited;
    signalGroup(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), Math.max(0, graceMs))));
    const first = await Promise.race([handle.exited.then(() => 'exited' as const), graceOver]);
    clearTimeout(timer);
    if (first === 'grace') {
      signalGroup(pid, 'SIGKILL');
      let killed = false;
      await atMost(handle.exited.then(() => (killed = true)), KILL_WAIT_MS);
      if (!killed) throw new Error(`instance ${handle.id}: pid ${pid} survived SIGKILL for ${KILL_WAIT_MS} ms`);
    }
    return handle.exited;
  }

  status(h: RunHandle): RunStatus {
    return own(h).state;
  }

  address(h: RunHandle): string | undefined {
    const { port } = own(h);
    return port === undefined ? undefined : `${LOOPBACK}:${port}`;
  }

  logs(h: RunHandle): LogRef {
    return { path: own(h).logPath };
  }

  onExit(h: RunHandle, listener: (status: ExitStatus) => void): void {
    void own(h).exited.then(listener);
  }

  async waitHealthy(h: RunHandle, timeoutMs: number): Promise<void> {
    const handle = own(h);
    if (handle.port === undefined) throw new Error(`instance ${handle.id} is not a model server (role ${handle.role})`);
    const deadline = Date.now() + timeoutMs;
    let exit: ExitStatus | undefined;
    void handle.exited.then((s) => (exit = s));
    let last = 'no answer';
    // Bounded by the deadline; each probe is bounded by the contract's 2 s.
    while (Date.now() < deadline) {
      if (exit) break;
      const remaining = deadline - Date.now();
      const code = await Promise.race([ping(handle.port, Math.min(PING_TIMEOUT_MS, remaining)), handle.exited.then(() => -1)]);
      if (code === 200) return;
      if (exit || code === -1) break;
      last = code === undefined ? 'no answer' : `HTTP ${code}`;
      await Promise.race([sleep(Math.min(PING_INTERVAL_MS, Math.max(0, deadline - Date.now()))), handle.exited]);
    }
    const tail = await readTail(handle.logPath);
    if (exit) {
      const how = exit.error ?? (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`);
      throw new HealthCheckError(`model server ${handle.id} ${how} before answering GET /ping`, tail, exit);
    }
    throw new HealthCheckError(
      `model server ${handle.id} did not answer GET /ping with 200 within ${timeoutMs} ms (last: ${last})`,
      tail,
    );
  }
}

function own(h: RunHandle): ProcessHandle {
  if (!(h instanceof ProcessHandle)) throw new TypeError('handle was not created by the process backend');
  return h;
}

function appendLine(path: string, line: string): void {
  try {
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, `${line}\n`);
    } finally {
      closeSync(fd);
    }
  } catch {
    // The log is best effort; the error is also returned to the caller.
  }
}
