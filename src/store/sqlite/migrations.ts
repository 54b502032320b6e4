import type Database from 'better-sqlite3';

/** Versioned schema migrations; `user_version` records how far a database has come. */
const MIGRATIONS: string[] = [
  // 1: resources of every kind, their tags, and named counters.
  `CREATE TABLE resources (
     account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL,
     name_key TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL,
     created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
     status TEXT, parent TEXT, data TEXT NOT NULL,
     PRIMARY KEY (account, region, kind, name_key)
   ) WITHOUT ROWID;
   CREATE INDEX resources_by_created ON resources (account, region, kind, created_at, name_key);
   CREATE INDEX resources_by_modified ON resources (account, region, kind, modified_at, name_key);
   CREATE INDEX resources_by_status ON resources (account, region, kind, status, name_key);
   CREATE INDEX resources_by_parent ON resources (account, region, kind, parent, created_at, name_key);
   CREATE TABLE tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key));
   CREATE TABLE sequences (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
     PRIMARY KEY (account, region, name));`,
  // 2: the creation-time index also carries every summary column, so a List* page sorted by
  // CreationTime (the AWS default) is read from the index alone, never from the table.
  `DROP INDEX resources_by_created;
   CREATE INDEX resources_by_created ON resources (account, region, kind, created_at, name_key, name, arn, modified_at, status, parent);`,
  // 3: durable FIFO queues (asynchronous invocations, one queue per endpoint). AUTOINCREMENT
  // so a seq is never reused, even after the newest entry is removed: seq is arrival order.
  `CREATE TABLE queue_entries (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     account TEXT NOT NULL, region TEXT NOT NULL, queue TEXT NOT NULL,
     enqueued_at INTEGER NOT NULL, started_at INTEGER, data TEXT NOT NULL
   );
   CREATE INDEX queue_entries_by_queue ON queue_entries (account, region, queue, seq);`,
  // 4: scan(kind) across accounts and regions (controllers at start-up, the experiment
  // schedule every second) seeks its kind instead of reading every resource: at 100,000
  // endpoint configurations the once-a-second full scan stalled requests for tens of ms.
  // NOCASE on purpose: an index is only usable by comparisons in its own collation, so the
  // List* queries (`kind = ?`, BINARY) cannot pick it over resources_by_created or the
  // primary key (with BINARY it covers account and region too, and SQLite preferred it
  // and sorted 100,000 rows per page). Kinds are lower-case constants, so the NOCASE
  // comparison in scan selects exactly the same rows.
  `CREATE INDEX resources_by_kind ON resources (kind COLLATE NOCASE);`,
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this Slipway (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
