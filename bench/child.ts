/**
 * Child processes of the benchmarks (Slipway, moto, the ceiling server, the bare proxy): each
 * is started, known ready by a line it prints, and killed when the benchmark ends — also on an
 * error or Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

/**
 * Spawns `cmd`; `readyLine` resolves with the first match of `ready` in its stdout (and
 * rejects if it exits first or after `timeoutMs`); `stop()` sends SIGTERM and SIGKILL after
 * `graceMs` (a profiled process needs time to write its profile).
 */
export function spawnChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs: number, label: string, graceMs = 5000) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const readyLine = new Promise<RegExpExecArray>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${label} not ready after ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
      const m = ready.exec(out);
      if (m) (clearTimeout(timer), res(m));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rej(new Error(`${label} exited (${code ?? signal}) before it was ready; stderr: ${err}`));
    });
  });
  const stop = () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return (children.delete(child), res());
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => (clearTimeout(kill), children.delete(child), res()));
      child.kill('SIGTERM');
    });
  return { child, readyLine, stop, stderr: () => err };
}
