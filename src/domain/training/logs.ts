/**
 * `slipway logs <job> [--follow]`: prints a training job's log (its algorithm's stdout and
 * stderr, as CloudWatch's /aws/sagemaker/TrainingJobs stream would show them) straight from
 * the data directory, so it works whether or not the server is running.
 */
import { existsSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { jobDirectory, jobLogFile } from './job.js';

export interface LogsOptions {
  dataDir: string;
  account: string;
  /** When absent, every region directory of the account is searched. */
  region?: string;
  job: string;
  follow: boolean;
  out: (chunk: Buffer) => void;
  /** Poll interval while following. */
  intervalMs?: number;
  /** Stops following (tests, Ctrl-C). */
  signal?: AbortSignal;
}

/** The job's directory, or an error message naming what was searched. */
export function findJobDir(dataDir: string, account: string, job: string, region?: string): string {
  const root = join(dataDir, 'training', account);
  const regions = region ? [region] : existsSync(root) ? readdirSync(root) : [];
  const found = regions.map((r) => jobDirectory(dataDir, account, r, job)).filter((d) => existsSync(d));
  if (found.length === 0) throw new Error(`no training job ${JSON.stringify(job)} under ${root}${region ? ` in ${region}` : ''}`);
  if (found.length > 1) throw new Error(`training job ${JSON.stringify(job)} exists in several regions (${regions.join(', ')}); pass --region`);
  return found[0]!;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

/**
 * Writes the log; with `follow`, keeps writing what is appended until the training process
 * has ended (its exit status is recorded next to the log) or `signal` aborts.
 */
export async function printLogs(o: LogsOptions): Promise<void> {
  const dir = findJobDir(o.dataDir, o.account, o.job, o.region);
  const file = jobLogFile(dir);
  const ended = () => existsSync(join(dir, 'exit-status.json'));
  let offset = 0;
  const drain = async () => {
    let fh;
    try {
      fh = await open(file, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) return;
        offset += bytesRead;
        o.out(Buffer.from(buf.subarray(0, bytesRead)));
      }
    } finally {
      await fh.close();
    }
  };
  await drain();
  while (o.follow && !o.signal?.aborted) {
    const done = ended();
    await drain();
    if (done) return;
    await sleep(o.intervalMs ?? 250, o.signal);
  }
}
