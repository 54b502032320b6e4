import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ListQuery, SortKey } from '../../src/store/store.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const ROWS = 100_000;

/**
 * The List* hot path must cost the same at 100 and at 100,000 rows: every sort AWS offers
 * for models and endpoint configs has to seek an index to the keyset cursor and read the
 * page in index order — no full scan, no temporary sort.
 */
describe('list query plans (SQLite store)', () => {
  let dir: string;
  let store: SqliteStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-plan-'));
    store = new SqliteStore(join(dir, 'plan.db'));
    const insert = store.db.prepare(
      `INSERT INTO resources (account, region, kind, name_key, name, arn, created_at, modified_at, data)
       VALUES (?, ?, 'endpoint-config', ?, ?, ?, ?, ?, '{}')`,
    );
    store.db.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        const name = `cfg-${String(i).padStart(6, '0')}`;
        // Every 10 rows share a creation time, so the name tie-break is exercised too.
        const t = 1_700_000_000_000 + Math.floor(i / 10);
        insert.run(scope.account, scope.region, name, name, `arn:${name}`, t, t);
      }
    })();
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = (sortBy: SortKey, descending: boolean, extra: Partial<ListQuery> = {}): ListQuery => ({ sortBy, descending, limit: 10, ...extra });

  // Real databases are never ANALYZEd, so the plans must hold without statistics; and after
  // ANALYZE too, in case an operator runs it.
  for (const analyzed of [false, true]) {
    describe(analyzed ? 'after ANALYZE' : 'without statistics', () => {
      before(() => {
        if (analyzed) store.db.exec('ANALYZE');
      });
      for (const sortBy of ['name', 'created'] as const) {
        for (const descending of [false, true]) {
          it(`sort by ${sortBy} ${descending ? 'descending' : 'ascending'} seeks an index, with and without a cursor and filters`, () => {
            const cursor = sortBy === 'name' ? { v: 'cfg-050000', n: 'cfg-050000' } : { v: 1_700_000_005_000, n: 'cfg-050000' };
            for (const extra of [{}, { after: cursor }, { after: cursor, nameContains: '05' }, { after: cursor, createdAfter: 1_700_000_000_100, createdBefore: 1_700_000_009_000 }]) {
              const plan = store.explainList(scope, 'endpoint-config', query(sortBy, descending, extra)).join('\n');
              // The page's keys come from one index walk (no scan, no sort of the table); the
              // outer step only joins and orders those LIMIT+1 rows.
              const keys = plan.split('SCAN k')[0];
              assert.match(keys, sortBy === 'name' ? /SEARCH resources USING PRIMARY KEY/ : /SEARCH resources USING (COVERING )?INDEX resources_by_created/, plan);
              assert.doesNotMatch(keys, /SCAN|TEMP B-TREE/, plan);
              assert.match(plan, /SEARCH r USING PRIMARY KEY \(account=\? AND region=\? AND kind=\? AND name_key=\?\)/, plan);
              if ('after' in extra) assert.match(plan, /\(\w+,name_key\)[<>]\(\?,\?\)|name_key[<>]\?/, plan);
            }
          });
        }
      }

      it('a summary page sorted by creation time is read from the covering index alone', () => {
        for (const descending of [false, true]) {
          const plan = store
            .explainList(scope, 'endpoint-config', query('created', descending, { summary: true, nameContains: '05', after: { v: 1_700_000_005_000, n: 'cfg-050000' } }))
            .join('\n');
          assert.match(plan, /SEARCH resources USING COVERING INDEX resources_by_created/, plan);
          assert.doesNotMatch(plan, /SCAN|TEMP B-TREE|USING PRIMARY KEY/, plan);
        }
      });


      it('scan(kind) seeks the kind index: the experiment schedule scans every second', () => {
        const plan = store.explainScan('inference-experiment').join('\n');
        assert.match(plan, /SEARCH resources USING INDEX resources_by_kind \(kind=\?\)/, plan);
        assert.doesNotMatch(plan, /SCAN/, plan);
      });
    });
  }

  it('a page deep in 100,000 rows starts right after the cursor', async () => {
    const page = await store.list(scope, 'endpoint-config', query('created', true, { after: { v: 1_700_000_005_000, n: 'cfg-050005' } }));
    assert.deepEqual(
      page.items.map((r) => r.name),
      ['cfg-050004', 'cfg-050003', 'cfg-050002', 'cfg-050001', 'cfg-050000', 'cfg-049999', 'cfg-049998', 'cfg-049997', 'cfg-049996', 'cfg-049995'],
    );
    assert.deepEqual(page.next, { v: 1_700_000_004_999, n: 'cfg-049995' });
  });
});
