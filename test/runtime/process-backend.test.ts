import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ProcessBackend } from '../../src/runtime/process-backend.js';
import { HealthCheckError, type RunHandle } from '../../src/runtime/backend.js';
import { ImageCatalog } from '../../src/runtime/image-catalog.js';
import { alive } from '../helpers/processes.js';

const backend = new ProcessBackend();
const started: RunHandle[] = [];
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-pb-'));
});
after(async () => {
  // Whatever a failed assertion left behind must not outlive the test run.
  await Promise.all(started.map((h) => backend.stop(h, 0).catch(() => {})));
  rmSync(root, { recursive: true, force: true });
});

async function start(id: string, role: 'train' | 'serve', command: string[], env: Record<string, string> = {}) {
  const h = await backend.start({ id, role, resolved: { command }, baseDir: join(root, id), env });
  started.push(h);
  return h;
}

/** `node -e <script>`: the role word lands in process.argv[1], which these scripts ignore. */
const nodeScript = (script: string) => [process.execPath, '-e', script];

function post(address: string, body: Buffer, contentType: string) {
  const [host, port] = address.split(':');
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request(
      { host, port: Number(port), method: 'POST', path: '/invocations', headers: { 'Content-Type': contentType }, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('invocation timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Alive = exists and is not a zombie (a zombie runs nothing; only its parent's wait() removes it). */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

describe('process backend', { timeout: 30_000 }, () => {
  it('runs slipway/echo: healthy on its own port, echoes an invocation byte for byte, stops on SIGTERM within the grace', async () => {
    const catalog = new ImageCatalog({ dataDir: root });
    const image = catalog.resolve('slipway/echo:latest');
    const h = await backend.start({
      id: 'echo-1',
      role: 'serve',
      resolved: image,
      baseDir: join(root, 'echo-1'),
      env: { SLIPWAY_VARIANT_NAME: 'AllTraffic' },
    });
    started.push(h);
    assert.equal(backend.status(h).state, 'running');
    const address = backend.address(h);
    assert.match(address ?? '', /^127\.0\.0\.1:\d+$/);
    await backend.waitHealthy(h, 10_000);

    const body = Buffer.concat([randomBytes(4096), Buffer.from('\u00e9\r\n\0end')]);
    const res = await post(address!, body, 'application/x-custom; charset=binary');
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(body), 'body comes back unchanged');
    assert.equal(res.headers['content-type'], 'application/x-custom; charset=binary');
    assert.equal(res.headers['x-slipway-variant'], 'AllTraffic');
    assert.equal(res.headers['x-slipway-instance'], 'echo-1');

    const t0 = Date.now();
    const status = await backend.stop(h, 5000);
    assert.ok(Date.now() - t0 < 5000, 'exited before the grace ran out');
    assert.deepEqual([status.code, status.signal, status.stopRequested], [0, null, true]);
    assert.equal(backend.status(h).state, 'exited');
    assert.match(readFileSync(backend.logs(h).path, 'utf8'), /SIGTERM, shutting down/);
  });

  it('SIGKILLs a process group that ignores SIGTERM once the grace is over, children included', async () => {
    const childScript = "process.on('SIGTERM',()=>{}); setInterval(()=>{},1000)";
    const h = await start(
      'stubborn',
      'train',
      nodeScript(
        // The handler goes in before the pid is printed: the test stops as soon as it sees the pid.
        `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
         const { spawn } = require('node:child_process');
         const c = spawn(process.execPath, ['-e', ${JSON.stringify(childScript)}], { stdio: 'ignore' });
         console.log('child-pid=' + c.pid);
         setInterval(() => {}, 1000);`,
      ),
    );
    const log = backend.logs(h).path;
    let childPid = 0;
    assert.ok(
      await until(() => {
        const m = /child-pid=(\d+)/.exec(readFileSync(log, 'utf8'));
        childPid = m ? Number(m[1]) : 0;
        return childPid > 0;
      }, 5000),
      'the parent reported its child',
    );
    assert.ok(alive(childPid));

    const t0 = Date.now();
    const status = await backend.stop(h, 300);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 290, `waited the grace (${elapsed} ms)`);
    assert.ok(elapsed < 3000, `then killed promptly (${elapsed} ms)`);
    assert.equal(status.signal, 'SIGKILL');
    assert.equal(status.stopRequested, true);
    assert.match(readFileSync(log, 'utf8'), /ignoring SIGTERM/, 'SIGTERM was delivered first');
    assert.ok(await until(() => !alive(childPid), 2000), 'the child in the same process group died too');
  });

  it('fails waitHealthy with the log tail when /ping never answers', async () => {
    const h = await start(
      'mute',
      'serve',
      nodeScript(
        `console.error('mute-server: loading weights'); 
         require('node:http').createServer(() => {}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');`,
      ),
    );
    const t0 = Date.now();
    const err = await backend.waitHealthy(h, 1200).then(
      () => assert.fail('should not be healthy'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof HealthCheckError);
    assert.ok(Date.now() - t0 < 4000, 'bounded by the timeout, not by probe timeouts');
    assert.match(err.message, /did not answer GET \/ping with 200 within 1200 ms/);
    assert.match(err.message, /mute-server: loading weights/);
    assert.equal(backend.status(h).state, 'running');
  });

  it('fails waitHealthy early, with the exit status and log tail, when the server exits at once', async () => {
    const h = await start('crash', 'serve', nodeScript(`console.error('crash-server: no model found in ' + process.env.SM_MODEL_DIR); process.exit(3)`));
    const t0 = Date.now();
    const err = await backend.waitHealthy(h, 20_000).then(
      () => assert.fail('should not be healthy'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof HealthCheckError);
    assert.ok(Date.now() - t0 < 5000, 'did not wait for the full timeout');
    assert.match(err.message, /exited with code 3 before answering GET \/ping/);
    assert.match(err.message, /crash-server: no model found in .*crash\/model/);
    assert.equal(err.exit?.code, 3);
    assert.equal(err.exit?.stopRequested, false, 'a crash, not a stop');
  });

  it('passes the port only as SAGEMAKER_BIND_TO_PORT, and keeps host secrets out of the environment', async () => {
    process.env.SLIPWAY_SECRET_ACCESS_KEY = 'must-not-leak';
    try {
      const h = await start('env', 'serve', nodeScript(`console.log(JSON.stringify(process.env))`), { MY_SETTING: 'x' });
      const status = await h.exited;
      assert.equal(status.code, 0);
      const env = JSON.parse(readFileSync(backend.logs(h).path, 'utf8')) as Record<string, string>;
      assert.equal(`127.0.0.1:${env.SAGEMAKER_BIND_TO_PORT}`, backend.address(h));
      assert.equal(env.PORT, undefined);
      assert.equal(env.MY_SETTING, 'x');
      assert.equal(env.SM_MODEL_DIR, join(root, 'env', 'model'));
      assert.equal(env.SLIPWAY_SECRET_ACCESS_KEY, undefined);
    } finally {
      delete process.env.SLIPWAY_SECRET_ACCESS_KEY;
    }
  });

  it('rejects start when the executable does not exist, and says which', async () => {
    await assert.rejects(
      backend.start({ id: 'missing', role: 'train', resolved: { command: [join(root, 'no-such-binary')] }, baseDir: join(root, 'missing') }),
      /cannot start .*no-such-binary: spawn .* ENOENT/,
    );
  });
});
