import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, as `npm start` and the `slipway` bin run it. */
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Environment without the caller's SLIPWAY_* settings, so a developer's shell cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLIPWAY_')) env[k] = v;
  return { ...env, ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
}

/** Runs a CLI command that is expected to exit on its own; kills it after `timeoutMs`. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<Exit & { stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`slipway ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout=${stdout} stderr=${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    // 'close' (not 'exit') so that both output streams have been read to the end.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Starts `slipway serve --port 0` and resolves once it logs its URL (one pino JSON line
 * with a `url` member). Rejects, killing the process, if that does not happen in time.
 */
export function spawnServe(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`slipway did not report its URL within ${timeoutMs} ms; stdout=${stdout} stderr=${stderr}`));
    }, timeoutMs);
    let found = false;
    child.stdout!.on('data', (c) => {
      stdout += c;
      if (found) return;
      for (const line of stdout.split('\n')) {
        let rec: { url?: unknown };
        try {
          rec = JSON.parse(line);
        } catch {
          continue;
        }
        if (typeof rec.url === 'string') {
          found = true;
          clearTimeout(timer);
          resolve({ child, url: rec.url, stdout: () => stdout, stderr: () => stderr, exited });
          return;
        }
      }
    });
    void exited.then((e) => {
      if (found) return;
      clearTimeout(timer);
      reject(new Error(`slipway exited (${e.code ?? e.signal}) before listening; stderr=${stderr}`));
    });
  });
}

/** Waits for exit, SIGKILLing the process if it has not exited within `timeoutMs`. */
export async function waitExit(p: CliProcess, timeoutMs: number): Promise<Exit & { timedOut: boolean }> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    p.child.kill('SIGKILL');
  }, timeoutMs);
  const e = await p.exited;
  clearTimeout(timer);
  return { ...e, timedOut };
}
