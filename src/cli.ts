#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfig, DEFAULT_PORT } from './config.js';
import { createLogger } from './log.js';
import { startSlipway } from './server.js';
import { printLogs } from './domain/training/logs.js';

const USAGE = `Usage: slipway serve [options]
       slipway logs <training-job-name> [--follow]   (see slipway logs --help)
       slipway experiment-metrics <inference-experiment-name> [--endpoint-url <url>]   (see --help)

Options (environment variable in brackets):
  --host <addr>               address to bind [SLIPWAY_HOST] (default 127.0.0.1)
  --port <n>                  port [SLIPWAY_PORT] (default ${DEFAULT_PORT}; 0 = any free port)
  --data-dir <dir>            state and objects [SLIPWAY_DATA_DIR] (default ./.slipway-data)
  --account-id <12 digits>    account of every resource [SLIPWAY_ACCOUNT_ID] (default 000000000000)
  --access-key-id <id>        accepted key [SLIPWAY_ACCESS_KEY_ID]
  --secret-access-key <s>     its secret [SLIPWAY_SECRET_ACCESS_KEY]
  --credentials-file <file>   AWS credentials INI file of accepted keys [SLIPWAY_CREDENTIALS_FILE]
  --allow-default-credentials accept test/test on a non-loopback address [SLIPWAY_ALLOW_DEFAULT_CREDENTIALS=1]
  --log-level <level>         pino level [SLIPWAY_LOG_LEVEL] (default info)
  --images-file <file>        image → local command mappings [SLIPWAY_IMAGES_FILE] (default <data-dir>/images.json)

Timing knobs (environment only): SLIPWAY_TRAINING_STOP_GRACE_SECONDS (120),
SLIPWAY_HOSTING_STOP_GRACE_SECONDS (30), SLIPWAY_HOSTING_STARTUP_TIMEOUT_SECONDS (300),
SLIPWAY_MAX_CONCURRENT_TRAINING_JOBS (2).
`;

const LOGS_USAGE = `Usage: slipway logs <training-job-name> [--follow] [--data-dir <dir>] [--account-id <12 digits>] [--region <region>]

Prints the training job's log (stdout and stderr of its algorithm) from the data directory;
--follow (-f) keeps printing until the training process ends (Ctrl-C to stop earlier).
`;

/** \`slipway logs\`: reads the job's log file; needs no running server. */
async function logs(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      follow: { type: 'boolean', short: 'f' },
      'data-dir': { type: 'string' },
      'account-id': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(LOGS_USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  // Only the data directory and account matter here: the server's other settings (listen
  // address, credentials) must not be able to make reading a log fail.
  const config = {
    dataDir: resolve(values['data-dir'] ?? process.env.SLIPWAY_DATA_DIR ?? './.slipway-data'),
    accountId: values['account-id'] ?? process.env.SLIPWAY_ACCOUNT_ID ?? '000000000000',
  };
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  await printLogs({
    dataDir: config.dataDir,
    account: config.accountId,
    region: values.region,
    job: positionals[0]!,
    follow: values.follow === true,
    out: (chunk) => process.stdout.write(chunk),
    signal: abort.signal,
  });
}

const METRICS_USAGE = `Usage: slipway experiment-metrics <inference-experiment-name> [--endpoint-url <url>] [--region <region>] [--account-id <12 digits>]

Prints a shadow test's live metrics as JSON, from a running Slipway (GET
/_slipway/inference-experiments/<name>/metrics): per variant Invocations, Errors and
LatencyMs p50/p90/p99, and the production/shadow AgreementRate. Default endpoint URL:
http://127.0.0.1:${DEFAULT_PORT}.
`;

/** \`slipway experiment-metrics\`: asks a running server; exit 1 when the experiment is unknown. */
async function experimentMetrics(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'endpoint-url': { type: 'string' },
      region: { type: 'string' },
      'account-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(METRICS_USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const base = (values['endpoint-url'] ?? `http://127.0.0.1:${DEFAULT_PORT}`).replace(/\/+$/, '');
  const query = new URLSearchParams();
  if (values.region) query.set('region', values.region);
  if (values['account-id']) query.set('account', values['account-id']);
  const q = query.size ? `?${query}` : '';
  const res = await fetch(`${base}/_slipway/inference-experiments/${encodeURIComponent(positionals[0]!)}/metrics${q}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  (res.ok ? process.stdout : process.stderr).write(text);
  if (!res.ok) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'logs') return logs(argv.slice(1));
  if (argv[0] === 'experiment-metrics') return experimentMetrics(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'account-id': { type: 'string' },
      'access-key-id': { type: 'string' },
      'secret-access-key': { type: 'string' },
      'credentials-file': { type: 'string' },
      'allow-default-credentials': { type: 'boolean' },
      'log-level': { type: 'string' },
      'images-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help || command !== 'serve') {
    process.stdout.write(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const config = loadConfig({ flags: values });
  const log = createLogger(config.logLevel);
  const slipway = await startSlipway(config, log);
  // Scripts wait for this line, so it is written whatever the log level (unless 'silent').
  const ready = config.logLevel === 'silent' ? log : log.child({}, { level: 'info' });
  ready.info({ url: slipway.url, dataDir: config.dataDir }, `Slipway listening on ${slipway.url}`);
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    slipway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
