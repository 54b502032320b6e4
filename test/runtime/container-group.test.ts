import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessBackend } from '../../src/runtime/process-backend.js';
import { ContainerGroupBackend, type GroupSpec } from '../../src/runtime/container-group.js';
import { HealthCheckError, RuntimeStartError, type RunHandle } from '../../src/runtime/backend.js';
import { alive } from '../helpers/processes.js';

const inner = new ProcessBackend();
const groups = new ContainerGroupBackend(inner, 2000);
const started: RunHandle[] = [];
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-cg-'));
});
after(async () => {
  await Promise.all(started.map((h) => groups.stop(h, 0).catch(() => {})));
  rmSync(root, { recursive: true, force: true });
});

/** A model server that answers /ping with 200 and exits 0 on SIGTERM (or exits at once with `exitCode`). */
const server = (exitCode?: number) => [
  process.execPath,
  '-e',
  exitCode !== undefined
    ? `console.error('bad container'); process.exit(${exitCode})`
    : `const s = require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
       process.once('SIGTERM', () => { s.close(); process.exit(0); });`,
];

function group(id: string, members: Array<{ name: string; command: string[] }>): GroupSpec {
  const baseDir = join(root, id);
  return {
    id,
    role: 'serve',
    resolved: { command: members[0]!.command },
    baseDir,
    containers: members.map((m) => ({
      name: m.name,
      label: `${m.name} for production variant V`,
      spec: { id, role: 'serve', resolved: { command: m.command }, baseDir: join(baseDir, m.name), env: { WHO: m.name } },
    })),
  };
}

async function start(spec: GroupSpec) {
  const h = await groups.start(spec);
  started.push(h);
  return h;
}

/** Live processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker) && alive(Number(d))) out.push(Number(d));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

describe('ContainerGroupBackend: several containers as one instance', () => {
  it('a spec without containers goes straight to the inner backend', async () => {
    const h = await groups.start({ id: 'plain', role: 'serve', resolved: { command: server() }, baseDir: join(root, 'plain') });
    started.push(h);
    assert.equal(groups.members(h), undefined);
    await groups.waitHealthy(h, 10_000);
    assert.equal(groups.addresses(h).length, 1);
    assert.equal(groups.address(h), inner.address(h), 'the handle is the inner backend\'s own');
    await groups.stop(h, 2000);
  });

  it('starts one process per container, each with its own port and log; healthy once all answer /ping; stop stops all', async () => {
    const h = await start(group('three', [{ name: 'a', command: server() }, { name: 'b', command: server() }, { name: 'c', command: server() }]));
    await groups.waitHealthy(h, 10_000);
    const members = groups.members(h)!;
    assert.deepEqual(members.map((m) => m.name), ['a', 'b', 'c']);
    assert.equal(new Set(members.map((m) => m.pid)).size, 3);
    assert.equal(new Set(groups.addresses(h)).size, 3);
    assert.equal(groups.address(h), groups.addresses(h)[0]);
    assert.deepEqual(members.map((m) => m.logFile), ['a', 'b', 'c'].map((n) => join(root, 'three', n, 'logs', 'three.log')));
    const st = groups.status(h);
    assert.equal(st.state, 'running');
    assert.equal(st.state === 'running' && st.pid, members[0]!.pid);
    const exit = await groups.stop(h, 2000);
    assert.equal(exit.stopRequested, true);
    for (const m of members) assert.equal(alive(m.pid!), false, `${m.name} stopped`);
    assert.equal(groups.status(h).state, 'exited');
  });

  it('a container that exits on its own ends the group: the others are stopped, the exit is reported as a crash', async () => {
    const h = await start(group('crash', [{ name: 'a', command: server() }, { name: 'b', command: server() }]));
    await groups.waitHealthy(h, 10_000);
    const [a, b] = groups.members(h)!;
    process.kill(b!.pid!, 'SIGKILL');
    const exit = await h.exited;
    assert.equal(exit.stopRequested, false);
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(alive(a!.pid!), false, 'the surviving container was stopped');
    assert.equal(groups.logs(h).path, b!.logFile, 'the log of the container that crashed');
  });

  it('a container that exits before its first /ping fails the health check, named with its label and log tail', async () => {
    const h = await start(group('unhealthy', [{ name: 'a', command: server() }, { name: 'container-2', command: server(3) }]));
    await assert.rejects(groups.waitHealthy(h, 10_000), (e: unknown) => {
      assert.ok(e instanceof HealthCheckError);
      assert.match(e.message, /^The container-2 for production variant V did not pass the ping health check: model server unhealthy exited with code 3 before answering GET \/ping\n--- log tail ---\nbad container/);
      assert.equal(e.exit?.code, 3);
      return true;
    });
    const exit = await h.exited;
    assert.equal(exit.code, 3);
  });

  it('a container that cannot start at all stops the ones that did', async () => {
    const marker = `nostart-${process.pid}-marker`;
    const spec = group('nostart', [{ name: 'a', command: [...server(), marker] }, { name: 'b', command: ['/nonexistent/serve'] }]);
    await assert.rejects(groups.start(spec), (e: unknown) => e instanceof RuntimeStartError && /^container b: /.test(e.message));
    assert.deepEqual(processesWith(marker), [], 'container a does not outlive the failed start');
  });
});
