import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runStoreContract } from './contract.js';

runStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
  return { store: new SqliteStore(join(dir, 'slipway.db')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

describe('SqliteStore specifics', () => {
  it('rows survive close and reopen; WAL and synchronous=FULL are in force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
    const file = join(dir, 'slipway.db');
    try {
      const a = new SqliteStore(file);
      assert.equal(a.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(a.db.pragma('synchronous', { simple: true }), 2, 'FULL: a commit is on disk before it is acknowledged');
      await a.insert({ account: '000000000000', region: 'us-east-1' }, { kind: 'model', name: 'Kept', arn: 'arn:x', createdAt: 1, modifiedAt: 1, data: { ok: true } });
      a.close();
      const b = new SqliteStore(file);
      assert.deepEqual((await b.get({ account: '000000000000', region: 'us-east-1' }, 'model', 'kept'))?.data, { ok: true });
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('queue entries and their started marks survive close and reopen, in arrival order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
    const file = join(dir, 'slipway.db');
    const scope = { account: '000000000000', region: 'us-east-1' };
    try {
      const a = new SqliteStore(file);
      const first = await a.enqueue(scope, 'ep', 1, { n: 1 });
      await a.enqueue(scope, 'ep', 2, { n: 2 });
      await a.markQueueEntry(first.seq, 3);
      a.close();
      const b = new SqliteStore(file);
      assert.deepEqual(
        (await b.queueEntries<{ n: number }>(scope, 'ep')).map((e) => [e.data.n, e.startedAt]),
        [
          [1, 3],
          [2, undefined],
        ],
      );
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a database from a newer Slipway (higher schema version) is refused, not silently used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
    const file = join(dir, 'slipway.db');
    try {
      new SqliteStore(file).close();
      const raw = new Database(file);
      raw.pragma('user_version = 999');
      raw.close();
      assert.throws(() => new SqliteStore(file), /schema version 999 is newer than this Slipway/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
