import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

/**
 * The installed AWS CLI against Slipway, exactly as a user runs it: test/test credentials,
 * us-east-1, no pager, and none of the developer's ~/.aws settings (profiles, retries,
 * output format) unless a test sets its own HOME or config.
 */
export interface AwsRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AwsOptions {
  /** Slipway's URL; omitted for commands that talk to no service (`aws configure add-model`). */
  endpointUrl?: string;
  cwd?: string;
  /** Extra or overriding environment (HOME, AWS_DATA_PATH, …). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function aws(args: string[], opts: AwsOptions = {}): Promise<AwsRun> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...opts.env,
  };
  const full = opts.endpointUrl ? [...args, '--endpoint-url', opts.endpointUrl, '--output', 'json'] : args;
  return new Promise((resolve) => {
    execFile('aws', full, { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; returns its JSON output ({} when it printed none or printed text). */
export async function awsOk(args: string[], opts: AwsOptions = {}): Promise<any> {
  const r = await awsText(args, opts);
  const text = r.trim();
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : {};
}

/** Runs a command that must succeed; returns what it printed (e.g. `aws s3` progress lines). */
export async function awsText(args: string[], opts: AwsOptions = {}): Promise<string> {
  const r = await aws(args, opts);
  assert.equal(r.code, 0, `aws ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The CLI's exit codes for a service error (254) or a client-side failure (255). */
export function assertAwsError(r: AwsRun, code: string, message?: string | RegExp): void {
  assert.ok(r.code === 254 || r.code === 255, `exit code ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`), r.stderr);
  if (typeof message === 'string') assert.ok(r.stderr.includes(message), r.stderr);
  else if (message) assert.match(r.stderr, message);
}
