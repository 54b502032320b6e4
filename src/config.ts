import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIP } from 'node:net';

/** Every knob of the service in one typed object (flags override environment). */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  accountId: string;
  /** access key id → secret access key */
  credentials: Map<string, string>;
  /** Accept the well-known test/test key on a non-loopback address. */
  allowDefaultCredentials: boolean;
  logLevel: string;
  /** User image mappings (default `<dataDir>/images.json`, optional there). */
  imagesFile?: string;
  /** Delays and limits; tests shorten them instead of sleeping. */
  timing: Timing;
}

export interface Timing {
  /** SIGTERM → SIGKILL grace when a training job is stopped (AWS: 120 s). */
  trainingStopGraceMs: number;
  /** SIGTERM → SIGKILL grace for model server instances (AWS: 30 s). */
  hostingStopGraceMs: number;
  /** How long a model server may take to answer GET /ping with 200. */
  hostingStartupTimeoutMs: number;
  /** How long InvokeEndpoint waits for a model's answer before a ModelError (AWS: 60 s). */
  invocationTimeoutMs: number;
  /** Training jobs running at once; further jobs wait (InProgress/Starting). */
  maxConcurrentTrainingJobs: number;
  /** How long captured lines (data capture, experiment data storage) are buffered before a file is written. */
  captureFlushMs: number;
  /** How often inference experiment schedules (StartTime, EndTime) are checked. */
  experimentPollMs: number;
}

export const DEFAULT_PORT = 7070;
export const DEFAULT_KEY = { id: 'test', secret: 'test' };

export interface ConfigSources {
  flags?: Record<string, string | boolean | undefined>;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig({ flags = {}, env = process.env }: ConfigSources = {}): Config {
  const pick = (flag: string, name: string) => {
    const f = flags[flag];
    return typeof f === 'string' ? f : env[name];
  };
  const host = pick('host', 'SLIPWAY_HOST') ?? '127.0.0.1';
  const portText = pick('port', 'SLIPWAY_PORT') ?? String(DEFAULT_PORT);
  const port = Number(portText);
  // Digits only: Number() would read '' as 0 (any port), '0x50' as 80 and '1e3' as 1000.
  if (!/^\d{1,5}$/.test(portText) || port > 65535) throw new Error(`invalid port: ${portText}`);
  const accountId = pick('account-id', 'SLIPWAY_ACCOUNT_ID') ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`invalid account id (12 digits): ${accountId}`);

  const credentials = new Map<string, string>();
  const id = pick('access-key-id', 'SLIPWAY_ACCESS_KEY_ID');
  const secret = pick('secret-access-key', 'SLIPWAY_SECRET_ACCESS_KEY');
  if (id || secret) {
    if (!id || !secret) throw new Error('SLIPWAY_ACCESS_KEY_ID and SLIPWAY_SECRET_ACCESS_KEY go together');
    credentials.set(id, secret);
  }
  const file = pick('credentials-file', 'SLIPWAY_CREDENTIALS_FILE');
  if (file) {
    const keys = parseCredentialsFile(readFileSync(file, 'utf8'));
    // An empty (or mistyped) file must not fall back to the public test/test key.
    if (keys.size === 0) throw new Error(`credentials file ${file} holds no aws_access_key_id/aws_secret_access_key pair`);
    for (const [k, v] of keys) credentials.set(k, v);
  }

  const allowDefaultCredentials =
    flags['allow-default-credentials'] === true || env.SLIPWAY_ALLOW_DEFAULT_CREDENTIALS === '1';
  if (credentials.size === 0) {
    // test/test is a public secret: only safe where nobody else can reach the port.
    if (!isLoopback(host) && !allowDefaultCredentials) {
      throw new Error(
        `refusing to listen on ${host} with the default test/test credentials; set SLIPWAY_ACCESS_KEY_ID/SLIPWAY_SECRET_ACCESS_KEY or pass --allow-default-credentials`,
      );
    }
    credentials.set(DEFAULT_KEY.id, DEFAULT_KEY.secret);
  }
  return {
    host,
    port,
    dataDir: resolve(pick('data-dir', 'SLIPWAY_DATA_DIR') ?? './.slipway-data'),
    accountId,
    credentials,
    allowDefaultCredentials,
    logLevel: pick('log-level', 'SLIPWAY_LOG_LEVEL') ?? 'info',
    imagesFile: pick('images-file', 'SLIPWAY_IMAGES_FILE'),
    timing: {
      trainingStopGraceMs: seconds(env.SLIPWAY_TRAINING_STOP_GRACE_SECONDS, 120),
      hostingStopGraceMs: seconds(env.SLIPWAY_HOSTING_STOP_GRACE_SECONDS, 30),
      hostingStartupTimeoutMs: seconds(env.SLIPWAY_HOSTING_STARTUP_TIMEOUT_SECONDS, 300),
      invocationTimeoutMs: seconds(env.SLIPWAY_INVOCATION_TIMEOUT_SECONDS, 60),
      maxConcurrentTrainingJobs: count(env.SLIPWAY_MAX_CONCURRENT_TRAINING_JOBS, 2),
      // Not user settings (no environment variable): tests shorten them through the config.
      captureFlushMs: 2000,
      experimentPollMs: 1000,
    },
  };
}

/** AWS shared-credentials INI: `[profile]` sections with aws_access_key_id / aws_secret_access_key. */
export function parseCredentialsFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let id: string | undefined;
  let secret: string | undefined;
  const flush = () => {
    if (id && secret) out.set(id, secret);
    id = secret = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      flush();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'aws_access_key_id') id = value;
    else if (key === 'aws_secret_access_key') secret = value;
  }
  flush();
  return out;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function seconds(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback * 1000;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid duration in seconds: ${text}`);
  return Math.round(n * 1000);
}

function count(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid count: ${text}`);
  return n;
}
