/**
 * Runs a training command and records how it ended in a small JSON file.
 *
 *   node exit-recorder.js <status-file> <command> [args...]
 *
 * Why: a training job outlives a Slipway restart (its process group keeps running and is
 * re-attached), but only a parent can learn a child's exit status. This recorder is that
 * parent and stays in the job's process group, so SIGTERM/SIGKILL to the group still reach
 * the algorithm directly, exactly as `docker stop` reaches a container's processes. The
 * recorder itself ignores SIGTERM/SIGINT/SIGHUP (the algorithm decides what to do with them)
 * and exits with the algorithm's code (128 + signal number when it was killed).
 */
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';

const [statusFile, file, ...args] = process.argv.slice(2);
if (!statusFile || !file) {
  console.error('usage: exit-recorder <status-file> <command> [args...]');
  process.exit(2);
}

function record(status: { code: number | null; signal: string | null; error?: string }): void {
  const tmp = `${statusFile}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...status, at: Date.now() }));
  renameSync(tmp, statusFile!);
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => {});

const child = spawn(file, args, { stdio: 'inherit' });
child.once('error', (err) => {
  const msg = `cannot start ${file}: ${err.message}`;
  console.error(msg);
  record({ code: null, signal: null, error: msg });
  process.exit(127);
});
child.once('exit', (code, signal) => {
  record({ code, signal });
  const signo = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
  process.exit(code ?? 128 + signo);
});
