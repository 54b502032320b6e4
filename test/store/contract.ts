import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cursor, Page, Resource, Scope, Store } from '../../src/store/store.js';

/**
 * The Store contract every implementation must honour (SQLite today, PostgreSQL later):
 * call `runStoreContract('postgres', makePgStore)` from that store's test file.
 * `makeStore` returns a fresh, empty store and a cleanup for it.
 */
export type MakeStore = () => Promise<{ store: Store; cleanup(): Promise<void> | void }>;

const A: Scope = { account: '000000000000', region: 'us-east-1' };
const B: Scope = { account: '000000000000', region: 'eu-west-1' };
const C: Scope = { account: '111111111111', region: 'us-east-1' };

interface Data {
  n: number;
  note?: string;
}

function row(scope: Scope, name: string, createdAt = 1_000, extra: Partial<Resource<Data>> = {}): Resource<Data> {
  return {
    kind: 'model',
    name,
    arn: `arn:aws:sagemaker:${scope.region}:${scope.account}:model/${name.toLowerCase()}`,
    createdAt,
    modifiedAt: createdAt,
    data: { n: 0 },
    ...extra,
  };
}

export function runStoreContract(name: string, makeStore: MakeStore): void {
  /** Runs `body` against a fresh store and always cleans up. */
  const withStore = (body: (s: Store) => Promise<void>) => async () => {
    const { store, cleanup } = await makeStore();
    try {
      await body(store);
    } finally {
      store.close();
      await cleanup();
    }
  };

  describe(`Store contract: ${name}`, () => {
    it('insert then get is case-insensitive and keeps the name as written; duplicates in any case are refused', withStore(async (s) => {
      assert.equal(await s.insert(A, row(A, 'My-Model', 1_000, { status: 'InService', parent: 'grp', data: { n: 7, note: 'x' } })), true);
      for (const n of ['My-Model', 'my-model', 'MY-MODEL']) {
        const r = await s.get<Data>(A, 'model', n);
        assert.ok(r, n);
        assert.equal(r.name, 'My-Model');
        assert.equal(r.status, 'InService');
        assert.equal(r.parent, 'grp');
        assert.deepEqual(r.data, { n: 7, note: 'x' });
        assert.equal(r.createdAt, 1_000);
      }
      assert.equal(await s.insert(A, row(A, 'MY-model', 2_000)), false);
      assert.equal((await s.get<Data>(A, 'model', 'my-model'))!.createdAt, 1_000, 'the refused insert changed nothing');
      assert.equal(await s.get(A, 'model', 'other'), undefined);
      assert.equal(await s.get(A, 'endpoint', 'my-model'), undefined, 'kinds are separate');
    }));

    it('scopes are separate: same name in another region or account is another resource', withStore(async (s) => {
      assert.equal(await s.insert(A, row(A, 'm')), true);
      assert.equal(await s.get(B, 'model', 'm'), undefined);
      assert.equal(await s.get(C, 'model', 'm'), undefined);
      assert.equal(await s.insert(B, row(B, 'm')), true);
      assert.equal(await s.insert(C, row(C, 'm')), true);
      const scanned = await s.scan('model');
      assert.deepEqual(scanned.map((r) => `${r.account}/${r.region}/${r.name}`).sort(), [
        '000000000000/eu-west-1/m',
        '000000000000/us-east-1/m',
        '111111111111/us-east-1/m',
      ]);
    }));

    it('update writes the mutation; undefined leaves the row; a missing row is undefined and mutate is not called', withStore(async (s) => {
      await s.insert(A, row(A, 'm'));
      const out = await s.update<Data>(A, 'model', 'M', (r) => ({ ...r, status: 'Updated', modifiedAt: 5_000, data: { n: 1 } }));
      assert.equal(out?.status, 'Updated');
      const got = await s.get<Data>(A, 'model', 'm');
      assert.equal(got?.status, 'Updated');
      assert.equal(got?.modifiedAt, 5_000);
      assert.equal(got?.createdAt, 1_000, 'createdAt kept');
      assert.deepEqual(got?.data, { n: 1 });
      const same = await s.update<Data>(A, 'model', 'm', () => undefined);
      assert.deepEqual(same, got);
      let called = false;
      assert.equal(await s.update(A, 'model', 'missing', (r) => ((called = true), r)), undefined);
      assert.equal(called, false);
    }));

    it('update that throws aborts: nothing is written, even what mutate changed in place', withStore(async (s) => {
      await s.insert(A, row(A, 'm', 1_000, { status: 'Creating', data: { n: 1 } }));
      await assert.rejects(
        s.update<Data>(A, 'model', 'm', (r) => {
          r.status = 'Failed';
          r.data.n = 99;
          throw new Error('abort');
        }),
        /abort/,
      );
      const got = await s.get<Data>(A, 'model', 'm');
      assert.equal(got?.status, 'Creating');
      assert.deepEqual(got?.data, { n: 1 });
    }));

    it('concurrent updates of one row lose nothing (read-modify-write is atomic)', withStore(async (s) => {
      await s.insert(A, row(A, 'counter'));
      await Promise.all(Array.from({ length: 100 }, () => s.update<Data>(A, 'model', 'counter', (r) => ({ ...r, data: { n: r.data.n + 1 } }))));
      assert.equal((await s.get<Data>(A, 'model', 'counter'))?.data.n, 100);
    }));

    it('delete removes the row and its tags; a second delete is false; re-creating starts without tags', withStore(async (s) => {
      const r = row(A, 'm');
      await s.insert(A, r);
      await s.addTags(r.arn, [{ Key: 'team', Value: 'ml' }], 50);
      assert.equal(await s.delete(A, 'model', 'M'), true);
      assert.equal(await s.get(A, 'model', 'm'), undefined);
      assert.deepEqual(await s.listTags(r.arn), []);
      assert.equal(await s.delete(A, 'model', 'm'), false);
      assert.equal(await s.insert(A, r), true);
      assert.deepEqual(await s.listTags(r.arn), []);
    }));

    it('list pages by keyset: every row exactly once, in order, even with inserts between pages (ties broken by name)', withStore(async (s) => {
      await s.insert(B, row(B, 'other-region', 10_005));
      for (const descending of [false, true]) {
        // 30 rows, created in groups of three sharing a timestamp, so the name tie-break matters.
        const kind = descending ? 'desc-kind' : 'asc-kind';
        const names: string[] = [];
        for (let i = 0; i < 30; i++) {
          const n = `m-${String(i).padStart(2, '0')}`;
          names.push(n);
          await s.insert(A, row(A, n, 10_000 + Math.floor(i / 3) * 10, { kind }));
        }
        const seen: string[] = [];
        let after: Cursor | undefined;
        let pages = 0;
        do {
          const page: Page<unknown> = await s.list(A, kind, { sortBy: 'created', descending, limit: 7, after });
          seen.push(...page.items.map((r) => r.name));
          after = page.next;
          if (pages === 1) {
            // Between pages: one row sorting before the cursor (never shown) and one after it (shown once).
            await s.insert(A, row(A, 'early', descending ? 99_999 : 1, { kind }));
            await s.insert(A, row(A, 'late', descending ? 1 : 99_999, { kind }));
          }
          pages++;
        } while (after && pages < 20);
        const expected = [...(descending ? [...names].reverse() : names), 'late'];
        assert.deepEqual(seen, expected, descending ? 'descending' : 'ascending');
      }
    }));

    it('list by name filters case-insensitively and pages to the end', withStore(async (s) => {
      for (const n of ['Alpha', 'beta', 'ALPHABET', 'gamma', 'alp']) await s.insert(A, row(A, n, 1_000, { status: n === 'gamma' ? 'Failed' : 'Ok' }));
      const p1 = await s.list(A, 'model', { sortBy: 'name', descending: false, limit: 2, nameContains: 'ALP' });
      assert.deepEqual(p1.items.map((r) => r.name), ['alp', 'Alpha']);
      const p2 = await s.list(A, 'model', { sortBy: 'name', descending: false, limit: 2, nameContains: 'ALP', after: p1.next });
      assert.deepEqual(p2.items.map((r) => r.name), ['ALPHABET']);
      assert.equal(p2.next, undefined, 'the last page has no cursor');
      const failed = await s.list(A, 'model', { sortBy: 'name', descending: false, limit: 10, status: 'Failed' });
      assert.deepEqual(failed.items.map((r) => r.name), ['gamma']);
    }));

    it('nextSequence under 200 concurrent calls gives 1..200 with no duplicates; counters are per name and scope', withStore(async (s) => {
      const got = await Promise.all(Array.from({ length: 200 }, () => s.nextSequence(A, 'pkg-group')));
      assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
      assert.equal(await s.nextSequence(A, 'other'), 1);
      assert.equal(await s.nextSequence(B, 'pkg-group'), 1);
      assert.equal(await s.nextSequence(A, 'pkg-group'), 201);
    }));

    it('enqueue assigns seq in arrival order, never reused; queues and scopes are separate; data round-trips', withStore(async (s) => {
      const a1 = await s.enqueue(A, 'ep-1', 5_000, { id: 'a1', headers: { Accept: 'text/csv' } });
      const a2 = await s.enqueue(A, 'ep-1', 4_000, { id: 'a2' }); // an earlier clock does not reorder: seq is arrival
      const other = await s.enqueue(A, 'ep-2', 5_000, { id: 'other' });
      const b1 = await s.enqueue(B, 'ep-1', 5_000, { id: 'b1' });
      assert.ok(a1.seq < a2.seq && a2.seq < other.seq && other.seq < b1.seq, 'strictly increasing');
      assert.deepEqual(a1, { seq: a1.seq, queue: 'ep-1', enqueuedAt: 5_000, data: { id: 'a1', headers: { Accept: 'text/csv' } } });
      const q = await s.queueEntries<{ id: string }>(A, 'ep-1');
      assert.deepEqual(q.map((e) => e.data.id), ['a1', 'a2']);
      assert.deepEqual(q[0], a1);
      assert.deepEqual((await s.queueEntries(C, 'ep-1')), [], 'another account sees nothing');
      // Removing the newest entry does not free its seq for the next one.
      assert.equal(await s.dequeue(b1.seq), true);
      const next = await s.enqueue(B, 'ep-1', 6_000, { id: 'b2' });
      assert.ok(next.seq > b1.seq, 'a removed seq is never handed out again');
      const all = await s.scanQueues<{ id: string }>();
      assert.deepEqual(all.map((e) => `${e.region}/${e.queue}/${e.data.id}`), ['us-east-1/ep-1/a1', 'us-east-1/ep-1/a2', 'us-east-1/ep-2/other', 'eu-west-1/ep-1/b2']);
    }));

    it('200 concurrent enqueues are all kept, each with its own seq, listed in seq order', withStore(async (s) => {
      const got = await Promise.all(Array.from({ length: 200 }, (_, i) => s.enqueue(A, 'burst', 1_000, { i })));
      assert.equal(new Set(got.map((e) => e.seq)).size, 200);
      const listed = await s.queueEntries<{ i: number }>(A, 'burst');
      assert.equal(listed.length, 200);
      assert.deepEqual(listed.map((e) => e.seq), [...got.map((e) => e.seq)].sort((a, b) => a - b));
    }));

    it('markQueueEntry records and clears startedAt; dequeue removes once; dropQueue empties only that queue', withStore(async (s) => {
      const e1 = await s.enqueue(A, 'ep', 1_000, { n: 1 });
      const e2 = await s.enqueue(A, 'ep', 1_001, { n: 2 });
      const keep = await s.enqueue(A, 'ep-other', 1_002, { n: 3 });
      const keepB = await s.enqueue(B, 'ep', 1_003, { n: 4 });
      assert.equal(await s.markQueueEntry(e1.seq, 7_000), true);
      assert.equal((await s.queueEntries(A, 'ep'))[0]!.startedAt, 7_000);
      assert.equal(await s.markQueueEntry(e1.seq, undefined), true);
      assert.equal('startedAt' in (await s.queueEntries(A, 'ep'))[0]!, false, 'back to waiting');
      assert.equal(await s.markQueueEntry(e2.seq, 8_000), true);
      assert.equal(await s.dequeue(e1.seq), true);
      assert.equal(await s.dequeue(e1.seq), false, 'a second dequeue finds nothing');
      assert.equal(await s.markQueueEntry(e1.seq, 9_000), false, 'a removed entry cannot be marked');
      assert.equal(await s.dropQueue(A, 'ep'), 1);
      assert.deepEqual(await s.queueEntries(A, 'ep'), []);
      assert.equal(await s.dropQueue(A, 'ep'), 0);
      assert.deepEqual((await s.queueEntries(A, 'ep-other')).map((e) => e.seq), [keep.seq]);
      assert.deepEqual((await s.queueEntries(B, 'ep')).map((e) => e.seq), [keepB.seq]);
    }));

    it('addTags past the limit is refused and rolls back every tag of that call', withStore(async (s) => {
      const arn = 'arn:aws:sagemaker:us-east-1:000000000000:model/m';
      await s.addTags(arn, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }], 5);
      // Overwriting a key does not count twice.
      await s.addTags(arn, [{ Key: 'a', Value: '1b' }, { Key: 'd', Value: '4' }], 5);
      await assert.rejects(
        s.addTags(arn, [{ Key: 'b', Value: 'changed' }, { Key: 'e', Value: '5' }, { Key: 'f', Value: '6' }], 5),
        (e: Error) => /tag limit/i.test(e.message),
      );
      assert.deepEqual(await s.listTags(arn), [
        { Key: 'a', Value: '1b' },
        { Key: 'b', Value: '2' },
        { Key: 'c', Value: '3' },
        { Key: 'd', Value: '4' },
      ]);
      await s.deleteTags(arn, ['b', 'missing']);
      assert.deepEqual((await s.listTags(arn)).map((t) => t.Key), ['a', 'c', 'd']);
    }));
  });
}
