import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type Timing } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startSlipway, type Slipway } from '../../src/server.js';

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
export const region = 'us-east-1';

export interface TestServer {
  slipway: Slipway;
  url: string;
  dataDir: string;
  sagemaker: SageMakerClient;
  s3: S3Client;
  /** Stops the server; removes the data directory unless `keepData`. */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * A real Slipway on an ephemeral loopback port with its own temporary data directory.
 * `timing` overrides delays that have no environment variable (see `Timing` in src/config.ts).
 */
export async function startTestServer(opts: { dataDir?: string; env?: NodeJS.ProcessEnv; timing?: Partial<Timing> } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'slipway-test-'));
  const config = loadConfig({ env: { SLIPWAY_PORT: '0', SLIPWAY_DATA_DIR: dataDir, ...opts.env } });
  Object.assign(config.timing, opts.timing);
  const slipway = await startSlipway(config, createLogger(process.env.SLIPWAY_TEST_LOG ?? 'silent'));
  const clientConfig = { endpoint: slipway.url, region, credentials, maxAttempts: 1 };
  const sagemaker = new SageMakerClient(clientConfig);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  return {
    slipway,
    url: slipway.url,
    dataDir,
    sagemaker,
    s3,
    async close({ keepData = false } = {}) {
      sagemaker.destroy();
      s3.destroy();
      await slipway.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
