import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateModelCommand, DescribeModelCommand, ListModelsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { cleanEnv, spawnServe, waitExit, type CliProcess } from '../helpers/cli.js';
import { get, json11, queryString, sign } from '../helpers/raw.js';

const role = 'arn:aws:iam::000000000000:role/SageMakerRole';
const scope = { account: '000000000000', region: 'us-east-1' };

function client(url: string): SageMakerClient {
  return new SageMakerClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
}

const createModel = (c: SageMakerClient, name: string) =>
  c.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: `slipway/echo:${name.toLowerCase()}` }, ExecutionRoleArn: role }));

describe('durability', () => {
  const dirs: string[] = [];
  const procs: CliProcess[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'slipway-durable-'));
    dirs.push(d);
    return d;
  };
  const serve = async (dataDir: string) => {
    const p = await spawnServe([], cleanEnv({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_LOG_LEVEL: 'info' }));
    procs.push(p);
    return p;
  };
  after(() => {
    // Never leave a server behind, whatever failed.
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('an acknowledged write survives kill -9', async () => {
    const dataDir = tempDir();
    const p = await serve(dataDir);
    const c = client(p.url);
    const names: string[] = [];
    // Sequential creates, then a concurrent burst: every acknowledged one must survive.
    for (let i = 0; i < 5; i++) {
      names.push(`Seq-${i}`);
      await createModel(c, `Seq-${i}`);
    }
    const burst = Array.from({ length: 10 }, (_, i) => `Burst-${i}`);
    await Promise.all(burst.map((n) => createModel(c, n)));
    names.push(...burst);
    // No grace at all: SIGKILL straight after the last acknowledgement.
    p.child.kill('SIGKILL');
    c.destroy();
    const e = await waitExit(p, 5_000);
    assert.equal(e.signal, 'SIGKILL');

    // The rows live only in the WAL (never checkpointed), so reopening proves WAL recovery.
    const db = join(dataDir, 'slipway.db');
    assert.ok(existsSync(`${db}-wal`) && statSync(`${db}-wal`).size > 0, 'the killed process left its WAL behind');
    const store = new SqliteStore(db);
    try {
      const page = await store.list(scope, 'model', { sortBy: 'name', descending: false, limit: 100 });
      assert.deepEqual(
        page.items.map((r) => r.name),
        [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
      );
    } finally {
      store.close();
    }

    // And the restarted server answers for every one of them.
    const p2 = await serve(dataDir);
    const c2 = client(p2.url);
    try {
      for (const n of names) {
        const d = await c2.send(new DescribeModelCommand({ ModelName: n }));
        assert.equal(d.ModelName, n);
        assert.equal(d.ModelArn, `arn:aws:sagemaker:us-east-1:000000000000:model/${n.toLowerCase()}`);
        assert.equal(d.PrimaryContainer?.Image, `slipway/echo:${n.toLowerCase()}`);
      }
      // ListModels pages through exactly the acknowledged set (bounded loop).
      const listed: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await c2.send(new ListModelsCommand({ SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 4, NextToken: token }));
        listed.push(...(page.Models ?? []).map((m) => m.ModelName!));
        token = page.NextToken;
        if (!token) break;
      }
      assert.deepEqual(listed.map((n) => n.toLowerCase()), names.map((n) => n.toLowerCase()).sort());
    } finally {
      c2.destroy();
      p2.child.kill('SIGTERM');
      assert.equal((await waitExit(p2, 10_000)).code, 0);
    }
  });

  it('SIGTERM lets an in-flight request finish, refuses new connections, exits 0 and closes the database cleanly', async () => {
    const dataDir = tempDir();
    const p = await serve(dataDir);
    const c = client(p.url);
    await createModel(c, 'Before-Term'); // leaves an idle keep-alive connection, as real SDK clients do

    // A signed CreateModel whose body arrives in two halves, with SIGTERM in between.
    const signed = await sign(json11(p.url, 'CreateModel', { ModelName: 'In-Flight', PrimaryContainer: { Image: 'a' }, ExecutionRoleArn: role }));
    const body = Buffer.from(signed.body!);
    const agent = new Agent({ keepAlive: true });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = httpRequest(
        { host: signed.hostname, port: signed.port, method: 'POST', path: '/' + (queryString(signed.query) ? '?' + queryString(signed.query) : ''), headers: signed.headers, agent, timeout: 10_000 },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      r.on('timeout', () => r.destroy(new Error('in-flight request timed out')));
      r.on('error', reject);
      r.write(body.subarray(0, 10));
      setTimeout(() => {
        p.child.kill('SIGTERM');
        // Finish the body only once the server has had time to act on the signal.
        setTimeout(() => r.end(body.subarray(10)), 300);
      }, 200);
    });
    // While draining, the listening socket is closed: new connections are refused.
    // Poll (bounded) because the signal arrives asynchronously.
    let refused: string | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await get(`${p.url}/_slipway/health`, 2_000).catch((e: NodeJS.ErrnoException) => (refused = e.code));
    }
    assert.equal(refused, 'ECONNREFUSED');

    const res = await response;
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /model\/in-flight/);
    const e = await waitExit(p, 10_000);
    agent.destroy();
    c.destroy();
    assert.equal(e.timedOut, false, 'exited on its own after draining');
    assert.equal(e.code, 0, p.stderr());

    // A clean close checkpoints and removes the WAL; the file reopens with both rows intact.
    const file = join(dataDir, 'slipway.db');
    assert.ok(!existsSync(`${file}-wal`) || statSync(`${file}-wal`).size === 0, 'WAL checkpointed on close');
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const names = (db.prepare(`SELECT name FROM resources WHERE kind = 'model' ORDER BY name_key`).all() as { name: string }[]).map((r) => r.name);
      assert.deepEqual(names, ['Before-Term', 'In-Flight']);
    } finally {
      db.close();
    }
  });
});
