import type Database from 'better-sqlite3';

/**
 * Records in a real table (queried through `record_index`, never through JSON functions on the
 * body), the outbox of owed effects, change rows for other processes' watchers, Keyv values, and
 * rate-limiter-flexible's table (its own layout, created here so it exists before the first take).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  ns TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (ns, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_index (
  ns TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, sort TEXT NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY (ns, name, value, sort, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_index_of_record ON record_index (ns, id);
CREATE TABLE IF NOT EXISTS index_specs (ns TEXT PRIMARY KEY, signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
  run_at INTEGER NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT, owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (kind, run_at);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS changes_at ON changes (at);
CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER);
CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;
`;

/**
 * Moves what an earlier Gatehouse kept in Keyv's one `keyv` table (records and values alike, as
 * `namespace:id` → `{ value }`) into the tables above, once; index rows follow when each
 * namespace is first opened (its spec signature is new).
 */
export function migrateKeyvTable(db: Database.Database, prepare: (sql: string) => Database.Statement): void {
  const legacy = prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'keyv'").get();
  if (!legacy) return;
  const insertRecord = prepare('INSERT OR IGNORE INTO records (ns, id, version, body) VALUES (?, ?, ?, ?)');
  const insertValue = prepare('INSERT OR IGNORE INTO kv (ns, key, value) VALUES (?, ?, ?)');
  db.transaction(() => {
    // Read whole: better-sqlite3 runs no other statement while one iterates.
    for (const row of prepare('SELECT key, value FROM keyv').all() as Array<{ key: string; value: string }>) {
      const colon = row.key.indexOf(':');
      if (colon <= 0) continue;
      const ns = row.key.slice(0, colon);
      const id = row.key.slice(colon + 1);
      try {
        const stored = JSON.parse(row.value) as { value?: { id?: unknown; version?: unknown } };
        const value = stored.value;
        if (value && typeof value.id === 'string' && typeof value.version === 'number') {
          insertRecord.run(ns, id, value.version, JSON.stringify(value));
        } else {
          insertValue.run(ns, id, row.value);
        }
      } catch {
        // An unreadable row is left in the old table rather than stopping the start.
      }
    }
    db.exec('ALTER TABLE keyv RENAME TO keyv_migrated');
    db.exec('DELETE FROM index_specs');
  }).immediate();
}
