#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, DEFAULT_PORT } from './config.js';
import { createLogger } from './log.js';
import { startSlipway } from './server.js';

const USAGE = `Usage: slipway serve [options]

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

async function main(argv: string[]): Promise<void> {
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
  log.info({ url: slipway.url, dataDir: config.dataDir }, `Slipway listening on ${slipway.url}`);
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
