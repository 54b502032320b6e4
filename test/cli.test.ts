import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { isLoopback, loadConfig } from '../src/config.js';
import { cleanEnv, runCli, spawnServe, waitExit, type CliProcess } from './helpers/cli.js';
import { get } from './helpers/raw.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const REFUSAL = /refusing to listen on 0\.0\.0\.0 with the default test\/test credentials/;

describe('slipway CLI', () => {
  const dirs: string[] = [];
  const procs: CliProcess[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('--help prints usage and exits 0; an unknown command prints usage and exits 2', async () => {
    const help = await runCli(['--help'], cleanEnv());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: slipway serve \[options\]/);
    for (const flag of ['--host', '--port', '--data-dir', '--account-id', '--credentials-file', '--allow-default-credentials']) {
      assert.ok(help.stdout.includes(flag), `usage mentions ${flag}`);
    }
    const bogus = await runCli(['frobnicate'], cleanEnv());
    assert.equal(bogus.code, 2);
    assert.match(bogus.stdout, /^Usage: slipway serve/);
  });

  it('serve creates a missing data directory, answers health with version and uptime, and puts SLIPWAY_ACCOUNT_ID in ARNs', async () => {
    const dataDir = join(tempDir(), 'not', 'yet', 'there');
    assert.equal(existsSync(dataDir), false);
    const p = await spawnServe([], cleanEnv({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_ACCOUNT_ID: '123456789012', SLIPWAY_LOG_LEVEL: 'info' }));
    procs.push(p);
    assert.match(p.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'binds loopback by default');
    assert.ok(existsSync(join(dataDir, 'slipway.db')), 'data directory and database created');

    const h1 = await get(`${p.url}/_slipway/health`);
    assert.equal(h1.status, 200);
    assert.match(String(h1.headers['content-type']), /^application\/json/);
    assert.equal(h1.json.status, 'ok');
    assert.equal(h1.json.version, pkg.version, 'health reports the package version');
    assert.equal(typeof h1.json.uptimeSeconds, 'number');
    assert.ok(h1.json.uptimeSeconds >= 0 && h1.json.uptimeSeconds < 60, `uptime ${h1.json.uptimeSeconds}`);
    await new Promise((r) => setTimeout(r, 50));
    const h2 = await get(`${p.url}/_slipway/health`);
    assert.ok(h2.json.uptimeSeconds > h1.json.uptimeSeconds, 'uptime advances');

    const c = new SageMakerClient({ endpoint: p.url, region: 'ap-south-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    try {
      const out = await c.send(new CreateModelCommand({ ModelName: 'Acct', PrimaryContainer: { Image: 'a' }, ExecutionRoleArn: 'arn:aws:iam::123456789012:role/R' }));
      assert.equal(out.ModelArn, 'arn:aws:sagemaker:ap-south-1:123456789012:model/acct');
    } finally {
      c.destroy();
    }
    p.child.kill('SIGTERM');
    assert.equal((await waitExit(p, 10_000)).code, 0);
  });

  it('prints the ready line with its URL even when the log level hides info', async () => {
    const p = await spawnServe([], cleanEnv({ SLIPWAY_DATA_DIR: tempDir(), SLIPWAY_LOG_LEVEL: 'warn' }));
    procs.push(p);
    assert.equal((await get(`${p.url}/_slipway/health`)).status, 200);
    assert.equal(p.stdout().trim().split('\n').length, 1, 'only the ready line at warn');
    p.child.kill('SIGTERM');
    assert.equal((await waitExit(p, 10_000)).code, 0);
  });

  it('refuses a non-loopback host with the default test/test credentials, before binding or touching the data dir', async () => {
    for (const [args, env] of [
      [['--host', '0.0.0.0'], {}],
      [[], { SLIPWAY_HOST: '0.0.0.0' }],
    ] as const) {
      const dataDir = join(tempDir(), 'never-created');
      const r = await runCli(['serve', '--port', '0', ...args], cleanEnv({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_LOG_LEVEL: 'info', ...env }));
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, REFUSAL);
      assert.match(r.stderr, /--allow-default-credentials/, 'the message says how to proceed');
      assert.doesNotMatch(r.stdout, /listening/i);
      assert.equal(existsSync(dataDir), false, 'refused before anything was created');
    }
  });

  it('a non-loopback host is allowed with --allow-default-credentials or with real keys (config only: nothing binds 0.0.0.0)', () => {
    const allowed = loadConfig({ flags: { host: '0.0.0.0', 'allow-default-credentials': true }, env: {} });
    assert.equal(allowed.host, '0.0.0.0');
    assert.equal(allowed.credentials.get('test'), 'test');
    const byEnv = loadConfig({ env: { SLIPWAY_HOST: '0.0.0.0', SLIPWAY_ALLOW_DEFAULT_CREDENTIALS: '1' } });
    assert.equal(byEnv.credentials.get('test'), 'test');
    const keyed = loadConfig({ env: { SLIPWAY_HOST: '0.0.0.0', SLIPWAY_ACCESS_KEY_ID: 'AKIDREAL', SLIPWAY_SECRET_ACCESS_KEY: 's3cret' } });
    assert.deepEqual([...keyed.credentials], [['AKIDREAL', 's3cret']], 'a configured key replaces test/test');
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      assert.throws(() => loadConfig({ env: { SLIPWAY_HOST: host } }), /refusing to listen/, host);
    }
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) assert.equal(isLoopback(host), true, host);
  });

  it('rejects an invalid port, on the command line and in config', async () => {
    const r = await runCli(['serve', '--port', '70000'], cleanEnv({ SLIPWAY_DATA_DIR: join(tempDir(), 'd') }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^slipway: invalid port: 70000\n$/);
    for (const port of ['70000', '-1', '1.5', 'abc', '', ' ', '0x50', '1e3', '80abc']) {
      assert.throws(() => loadConfig({ env: { SLIPWAY_PORT: port } }), /invalid port/, JSON.stringify(port));
    }
    assert.equal(loadConfig({ env: { SLIPWAY_PORT: '0' } }).port, 0);
    assert.equal(loadConfig({ flags: { port: '8080' }, env: { SLIPWAY_PORT: '9090' } }).port, 8080, 'flags override the environment');
  });

  it('rejects an account id that is not 12 digits, on the command line and in config', async () => {
    const r = await runCli(['serve', '--port', '0', '--account-id', '123'], cleanEnv({ SLIPWAY_DATA_DIR: join(tempDir(), 'd') }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid account id \(12 digits\): 123/);
    for (const id of ['12345678901', '1234567890123', 'abcdefghijkl', '12345678901a', '']) {
      assert.throws(() => loadConfig({ env: { SLIPWAY_ACCOUNT_ID: id } }), /invalid account id/, JSON.stringify(id));
    }
    assert.equal(loadConfig({ env: {} }).accountId, '000000000000');
  });

  it('a credentials file with no usable key is an error, not a silent fall-back to test/test', () => {
    const dir = tempDir();
    const file = join(dir, 'credentials');
    writeFileSync(file, '[default]\naws_access_key = AKID\naws_secret_access_key = s\n'); // mistyped key name
    assert.throws(() => loadConfig({ env: { SLIPWAY_CREDENTIALS_FILE: file } }), /holds no aws_access_key_id/);
    writeFileSync(file, '[a]\r\naws_access_key_id = AKIDA\r\naws_secret_access_key = sa\r\n[b]\naws_access_key_id=AKIDB\n');
    assert.deepEqual([...loadConfig({ env: { SLIPWAY_CREDENTIALS_FILE: file } }).credentials], [['AKIDA', 'sa']], 'CRLF read; an incomplete profile skipped');
  });

  it('an access key without its secret is a configuration error', () => {
    assert.throws(() => loadConfig({ env: { SLIPWAY_ACCESS_KEY_ID: 'AKID' } }), /go together/);
    assert.throws(() => loadConfig({ env: { SLIPWAY_SECRET_ACCESS_KEY: 'x' } }), /go together/);
  });
});
