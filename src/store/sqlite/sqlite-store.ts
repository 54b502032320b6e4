import Database from 'better-sqlite3';
import { TagLimitError, type Cursor, type ListQuery, type Page, type QueueEntry, type Resource, type Scope, type SortKey, type Store, type Tag } from '../store.js';
import { migrate } from './migrations.js';

// Plain columns so that ORDER BY walks an index; only status can be NULL.
const SORT_COLUMN: Record<SortKey, string> = {
  name: 'name_key',
  created: 'created_at',
  modified: 'modified_at',
  status: "coalesce(status, '')",
};

interface Row {
  kind: string;
  name: string;
  arn: string;
  created_at: number;
  modified_at: number;
  status: string | null;
  parent: string | null;
  data?: string;
  account: string;
  region: string;
}

/**
 * SQLite in WAL mode with synchronous=FULL: a write is on disk before the request that
 * made it is acknowledged, so a kill -9 loses nothing that a client saw succeed.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly stmt;
  private readonly listCache = new Map<string, Database.Statement>();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // 16 MB of page cache (SQLite's default is 2 MB): at 100,000 resources the default made
    // every Describe/List re-read index pages from the OS (+50 % CPU); RSS stays ≤ 150 MB.
    this.db.pragma('cache_size = -16000');
    migrate(this.db);
    const db = this.db;
    this.stmt = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO resources (account, region, kind, name_key, name, arn, created_at, modified_at, status, parent, data)
         VALUES (@account, @region, @kind, @nameKey, @name, @arn, @createdAt, @modifiedAt, @status, @parent, @data)`,
      ),
      // Only the columns a Resource needs, as an array: better-sqlite3 converts every
      // selected column to a JS string and builds a keyed object per row otherwise.
      get: db
        .prepare(`SELECT kind, name, arn, created_at, modified_at, status, parent, data FROM resources WHERE account = ? AND region = ? AND kind = ? AND name_key = ?`)
        .raw(),
      update: db.prepare(
        `UPDATE resources SET name = @name, arn = @arn, modified_at = @modifiedAt, status = @status, parent = @parent, data = @data
         WHERE account = @account AND region = @region AND kind = @kind AND name_key = @nameKey`,
      ),
      delete: db.prepare(`DELETE FROM resources WHERE account = ? AND region = ? AND kind = ? AND name_key = ? RETURNING arn`),
      scan: db.prepare(SCAN_SQL),
      seq: db.prepare(
        `INSERT INTO sequences (account, region, name, value) VALUES (?, ?, ?, 1)
         ON CONFLICT (account, region, name) DO UPDATE SET value = value + 1 RETURNING value`,
      ),
      tagUpsert: db.prepare(
        `INSERT INTO tags (arn, key, value) VALUES (?, ?, ?) ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`,
      ),
      tagCount: db.prepare(`SELECT count(*) AS n FROM tags WHERE arn = ?`),
      tagList: db.prepare(`SELECT key AS Key, value AS Value FROM tags WHERE arn = ? ORDER BY rowid`),
      tagDelete: db.prepare(`DELETE FROM tags WHERE arn = ? AND key = ?`),
      tagDeleteAll: db.prepare(`DELETE FROM tags WHERE arn = ?`),
      enqueue: db.prepare(`INSERT INTO queue_entries (account, region, queue, enqueued_at, data) VALUES (?, ?, ?, ?, ?) RETURNING seq`),
      queueEntries: db.prepare(
        `SELECT seq, queue, enqueued_at, started_at, data FROM queue_entries WHERE account = ? AND region = ? AND queue = ? ORDER BY seq`,
      ),
      scanQueues: db.prepare(`SELECT seq, account, region, queue, enqueued_at, started_at, data FROM queue_entries ORDER BY seq`),
      markQueueEntry: db.prepare(`UPDATE queue_entries SET started_at = ? WHERE seq = ?`),
      dequeue: db.prepare(`DELETE FROM queue_entries WHERE seq = ?`),
      dropQueue: db.prepare(`DELETE FROM queue_entries WHERE account = ? AND region = ? AND queue = ?`),
    };
  }

  async insert<T>(scope: Scope, r: Resource<T>, tags?: Tag[]): Promise<boolean> {
    return this.db.transaction(() => {
      const info = this.stmt.insert.run({
        ...scope,
        kind: r.kind,
        nameKey: r.name.toLowerCase(),
        name: r.name,
        arn: r.arn,
        createdAt: r.createdAt,
        modifiedAt: r.modifiedAt,
        status: r.status ?? null,
        parent: r.parent ?? null,
        data: JSON.stringify(r.data),
      });
      if (info.changes !== 1) return false;
      // A leftover tag set under this ARN cannot exist (delete removes tags), but start clean anyway.
      this.stmt.tagDeleteAll.run(r.arn);
      for (const t of tags ?? []) this.stmt.tagUpsert.run(r.arn, t.Key, t.Value);
      return true;
    })();
  }

  async get<T>(scope: Scope, kind: string, name: string): Promise<Resource<T> | undefined> {
    const row = this.stmt.get.get(scope.account, scope.region, kind, name.toLowerCase()) as GetRow | undefined;
    return row && getRowToResource<T>(row);
  }

  async update<T>(
    scope: Scope,
    kind: string,
    name: string,
    mutate: (row: Resource<T>) => Resource<T> | undefined,
  ): Promise<Resource<T> | undefined> {
    // better-sqlite3 runs synchronously, so the read-modify-write below cannot interleave
    // with another request; the transaction makes it one atomic, durable commit.
    return this.db.transaction(() => {
      const row = this.stmt.get.get(scope.account, scope.region, kind, name.toLowerCase()) as GetRow | undefined;
      if (!row) return undefined;
      const next = mutate(getRowToResource<T>(row));
      if (!next) return getRowToResource<T>(row);
      this.stmt.update.run({
        ...scope,
        kind,
        nameKey: row[1].toLowerCase(),
        name: next.name,
        arn: next.arn,
        modifiedAt: next.modifiedAt,
        status: next.status ?? null,
        parent: next.parent ?? null,
        data: JSON.stringify(next.data),
      });
      return next;
    })();
  }

  async delete(scope: Scope, kind: string, name: string): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.stmt.delete.get(scope.account, scope.region, kind, name.toLowerCase()) as { arn: string } | undefined;
      if (row) this.stmt.tagDeleteAll.run(row.arn);
      return row !== undefined;
    })();
  }

  async list<T>(scope: Scope, kind: string, q: ListQuery): Promise<Page<T>> {
    const { sql, params } = listSql(scope, kind, q);
    let stmt = this.listCache.get(sql);
    if (!stmt) {
      // Arrays rather than keyed objects: a 100-row page materialises ~40 % faster.
      stmt = this.db.prepare(sql).raw(true);
      this.listCache.set(sql, stmt);
    }
    const rows = stmt.all(params) as GetRow[];
    const more = rows.length > q.limit;
    if (more) rows.pop();
    const items = rows.map((r) => getRowToResource<T>(r));
    const last = rows[rows.length - 1];
    const sortValue = (r: GetRow): string | number =>
      q.sortBy === 'name' ? r[1].toLowerCase() : q.sortBy === 'created' ? r[3] : q.sortBy === 'modified' ? r[4] : (r[5] ?? '');
    return { items, next: more && last ? { v: sortValue(last), n: last[1].toLowerCase() } : undefined };
  }

  /** SQLite's plan for the query `list` would run (tests assert that it seeks an index). */
  explainList(scope: Scope, kind: string, q: ListQuery): string[] {
    const { sql, params } = listSql(scope, kind, q);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((r) => r.detail);
  }

  /** SQLite's plan for `scan` (tests assert that it seeks the kind index). */
  explainScan(kind: string): string[] {
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${SCAN_SQL}`).all(kind) as Array<{ detail: string }>).map((r) => r.detail);
  }

  async scan<T>(kind: string): Promise<Array<Resource<T> & Scope>> {
    return (this.stmt.scan.all(kind) as Row[]).map((r) => ({ ...toResource<T>(r), account: r.account, region: r.region }));
  }

  async nextSequence(scope: Scope, name: string): Promise<number> {
    return (this.stmt.seq.get(scope.account, scope.region, name) as { value: number }).value;
  }

  async addTags(arn: string, tags: Tag[], max: number): Promise<void> {
    this.db.transaction(() => {
      for (const t of tags) this.stmt.tagUpsert.run(arn, t.Key, t.Value);
      const { n } = this.stmt.tagCount.get(arn) as { n: number };
      // Throwing inside the transaction rolls the upserts back: a refused AddTags changes nothing.
      if (n > max) throw new TagLimitError(n);
    })();
  }

  async listTags(arn: string): Promise<Tag[]> {
    return this.stmt.tagList.all(arn) as Tag[];
  }

  async deleteTags(arn: string, keys: string[]): Promise<void> {
    this.db.transaction(() => {
      for (const k of keys) this.stmt.tagDelete.run(arn, k);
    })();
  }

  async enqueue<T>(scope: Scope, queue: string, enqueuedAt: number, data: T): Promise<QueueEntry<T>> {
    // One statement is one transaction: with synchronous=FULL it is on disk when this returns.
    const { seq } = this.stmt.enqueue.get(scope.account, scope.region, queue, enqueuedAt, JSON.stringify(data)) as { seq: number };
    return { seq, queue, enqueuedAt, data };
  }

  async queueEntries<T>(scope: Scope, queue: string): Promise<QueueEntry<T>[]> {
    return (this.stmt.queueEntries.all(scope.account, scope.region, queue) as QueueRow[]).map((r) => toQueueEntry<T>(r));
  }

  async scanQueues<T>(): Promise<Array<QueueEntry<T> & Scope>> {
    return (this.stmt.scanQueues.all() as Array<QueueRow & Scope>).map((r) => ({ ...toQueueEntry<T>(r), account: r.account, region: r.region }));
  }

  async markQueueEntry(seq: number, startedAt: number | undefined): Promise<boolean> {
    return this.stmt.markQueueEntry.run(startedAt ?? null, seq).changes === 1;
  }

  async dequeue(seq: number): Promise<boolean> {
    return this.stmt.dequeue.run(seq).changes === 1;
  }

  async dropQueue(scope: Scope, queue: string): Promise<number> {
    return this.stmt.dropQueue.run(scope.account, scope.region, queue).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface QueueRow {
  seq: number;
  queue: string;
  enqueued_at: number;
  started_at: number | null;
  data: string;
}

function toQueueEntry<T>(r: QueueRow): QueueEntry<T> {
  return {
    seq: r.seq,
    queue: r.queue,
    enqueuedAt: r.enqueued_at,
    ...(r.started_at === null ? {} : { startedAt: r.started_at }),
    data: JSON.parse(r.data) as T,
  };
}


/** Every resource of a kind, through resources_by_kind (see migration 4 for the collation). */
const SCAN_SQL = `SELECT * FROM resources WHERE kind = ? COLLATE NOCASE`;

/**
 * The list query: equality on (account, region, kind), then the sort column and name_key as
 * the tie-break, so each sort walks one index in order (PRIMARY KEY for Name,
 * resources_by_created for CreationTime) with no sort step, and a page reads LIMIT rows
 * however many rows precede it.
 */
function listSql(scope: Scope, kind: string, q: ListQuery): { sql: string; params: Record<string, unknown> } {
  const col = SORT_COLUMN[q.sortBy];
  const where = ['account = @account', 'region = @region', 'kind = @kind'];
  const params: Record<string, unknown> = { ...scope, kind, limit: q.limit + 1 };
  if (q.nameContains !== undefined) {
    where.push('instr(name_key, @contains) > 0');
    params.contains = q.nameContains.toLowerCase();
  }
  // A time bound on the sort column that the cursor already implies is left out: given both,
  // SQLite seeks on the plain column range and then filters its way to the cursor, which
  // costs as many rows as the earlier pages held.
  const cursorAt = typeof q.after?.v === 'number' ? q.after.v : undefined;
  const implied = (column: SortKey, bound: number | undefined, side: 'after' | 'before') =>
    bound !== undefined &&
    cursorAt !== undefined &&
    q.sortBy === column &&
    (side === 'after' ? !q.descending && cursorAt > bound : q.descending && cursorAt < bound);
  if (q.createdAfter !== undefined && !implied('created', q.createdAfter, 'after')) {
    where.push('created_at > @createdAfter');
    params.createdAfter = q.createdAfter;
  }
  if (q.createdBefore !== undefined && !implied('created', q.createdBefore, 'before')) {
    where.push('created_at < @createdBefore');
    params.createdBefore = q.createdBefore;
  }
  if (q.modifiedAfter !== undefined && !implied('modified', q.modifiedAfter, 'after')) {
    where.push('modified_at > @modifiedAfter');
    params.modifiedAfter = q.modifiedAfter;
  }
  if (q.modifiedBefore !== undefined && !implied('modified', q.modifiedBefore, 'before')) {
    where.push('modified_at < @modifiedBefore');
    params.modifiedBefore = q.modifiedBefore;
  }
  if (q.status !== undefined) (where.push('status = @status'), (params.status = q.status));
  if (q.parent !== undefined) (where.push('parent = @parent'), (params.parent = q.parent));
  if (q.after) {
    // Keyset paging: stable under concurrent inserts and as cheap on page 1000 as on page 1.
    // The row-value comparison is what lets SQLite seek the index to the cursor
    // (`SEARCH … USING INDEX resources_by_created (… AND (created_at,name_key)<(?,?))`);
    // the equivalent OR form only bounds the first column.
    where.push(`(${col}, name_key) ${q.descending ? '<' : '>'} (@afterV, @afterN)`);
    params.afterV = q.after.v;
    params.afterN = q.after.n;
  }
  const dir = q.descending ? 'DESC' : 'ASC';
  const order = `ORDER BY ${col} ${dir}, name_key ${dir} LIMIT @limit`;
  if (q.summary && q.sortBy === 'created') {
    // resources_by_created covers every summary column: one index walk, no table reads.
    const sql = `SELECT kind, name, arn, created_at, modified_at, status, parent FROM resources WHERE ${where.join(' AND ')} ${order}`;
    return { sql, params };
  }
  // Two steps: find the page's keys on the index alone, then read just those rows. On a
  // WITHOUT ROWID table a one-step SELECT * seeks the table for every index entry it tests
  // (NameContains can test hundreds per page); this way it reads LIMIT rows.
  const keys = `SELECT account, region, kind, name_key FROM resources WHERE ${where.join(' AND ')} ${order}`;
  // The same columns, in the same order, as `get` reads (a GetRow), without data for summaries.
  const columns = `r.kind, r.name, r.arn, r.created_at, r.modified_at, r.status, r.parent${q.summary ? '' : ', r.data'}`;
  const outer = q.sortBy === 'status' ? "coalesce(r.status, '')" : `r.${col}`;
  const sql = `SELECT ${columns} FROM (${keys}) AS k JOIN resources AS r USING (account, region, kind, name_key) ORDER BY ${outer} ${dir}, r.name_key ${dir}`;
  return { sql, params };
}

/** The `get` statement's row: kind, name, arn, created_at, modified_at, status, parent, data. */
type GetRow = [string, string, string, number, number, string | null, string | null, string?];

function getRowToResource<T>(r: GetRow): Resource<T> {
  return {
    kind: r[0],
    name: r[1],
    arn: r[2],
    createdAt: r[3],
    modifiedAt: r[4],
    status: r[5] ?? undefined,
    parent: r[6] ?? undefined,
    // Summary reads (List* pages) leave the document out.
    data: (r[7] === undefined ? undefined : JSON.parse(r[7])) as T,
  };
}

function toResource<T>(r: Row): Resource<T> {
  return {
    kind: r.kind,
    name: r.name,
    arn: r.arn,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    status: r.status ?? undefined,
    parent: r.parent ?? undefined,
    // Summary reads (List* pages) leave the document out.
    data: (r.data === undefined ? undefined : JSON.parse(r.data)) as T,
  };
}

export type { Cursor };
export { TagLimitError };
