import type Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { indexEntries, normalizeQuery, pageOf, sortKeyOf, updateRecord } from './shared.js';
import {
  ALL,
  type Changed,
  type Effect,
  type IndexSpec,
  type Page,
  type Query,
  type RecordStore,
  type Versioned,
} from './types.js';

type Db = Database.Database;

/** What a record collection needs from the SQLite store it lives in. */
export interface SqliteHost {
  /** Inside a write's transaction: its effects and change row. */
  written(namespace: string, id: string, effects: Effect[] | undefined): void;
  /** After a write committed: local watchers and workers. */
  committed(namespace: string, id: string, effects: Effect[] | undefined): void;
  /** A prepared statement, cached by its text. */
  prepared(sql: string): Database.Statement;
}

/**
 * A record collection in SQLite's `records` table, with its index rows in `record_index` written in
 * the same transaction (values computed here, so no JSON function ever reads a stored body). Every
 * write is one transaction under SQLite's write lock, which makes it atomic across processes.
 */
export class SqliteRecordStore<T extends Versioned> implements RecordStore<T> {
  private readonly statements;

  constructor(
    private readonly store: SqliteHost,
    private readonly db: Db,
    private readonly namespace: string,
    private spec: IndexSpec<T> | undefined,
  ) {
    this.statements = {
      get: db.prepare<[string, string], { body: string }>('SELECT body FROM records WHERE ns = ? AND id = ?'),
      insert: db.prepare(
        'INSERT INTO records (ns, id, version, body) VALUES (?, ?, ?, ?) ON CONFLICT (ns, id) DO NOTHING',
      ),
      replace: db.prepare('UPDATE records SET version = ?, body = ? WHERE ns = ? AND id = ? AND version = ?'),
      delete: db.prepare('DELETE FROM records WHERE ns = ? AND id = ?'),
      unindex: db.prepare('DELETE FROM record_index WHERE ns = ? AND id = ?'),
      index: db.prepare('INSERT OR IGNORE INTO record_index (ns, name, value, sort, id) VALUES (?, ?, ?, ?, ?)'),
      scan: db.prepare<[string], { body: string }>('SELECT body FROM records WHERE ns = ?'),
      countAll: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM records WHERE ns = ?'),
      count: db.prepare<[string, string, string], { n: number }>(
        'SELECT count(*) AS n FROM record_index WHERE ns = ? AND name = ? AND value = ?',
      ),
    };
  }

  async get(id: string): Promise<T | undefined> {
    const row = this.run(() => this.statements.get.get(this.namespace, id));
    return row ? (JSON.parse(row.body) as T) : undefined;
  }

  async insert(record: T, effects?: Effect[]): Promise<{ record: T; created: boolean }> {
    const body = JSON.stringify(record);
    const created = this.transaction(() => {
      const { changes } = this.statements.insert.run(this.namespace, record.id, record.version, body);
      if (changes === 0) return false;
      this.reindex(record);
      this.store.written(this.namespace, record.id, effects);
      return true;
    });
    if (!created) {
      const existing = await this.get(record.id);
      if (!existing) throw new StoreError(`record ${record.id} vanished between insert and read`);
      return { record: existing, created: false };
    }
    this.store.committed(this.namespace, record.id, effects);
    return { record, created: true };
  }

  async replace(record: T, expectedVersion: number, effects?: Effect[]): Promise<boolean> {
    const body = JSON.stringify(record);
    const replaced = this.transaction(() => {
      const { changes } = this.statements.replace.run(record.version, body, this.namespace, record.id, expectedVersion);
      if (changes === 0) return false;
      this.reindex(record);
      this.store.written(this.namespace, record.id, effects);
      return true;
    });
    if (replaced) this.store.committed(this.namespace, record.id, effects);
    return replaced;
  }

  update(id: string, change: (current: T) => T | Changed<T>): Promise<T> {
    return updateRecord(this, this.namespace, id, change);
  }

  async delete(id: string): Promise<boolean> {
    const deleted = this.transaction(() => {
      this.statements.unindex.run(this.namespace, id);
      const existed = this.statements.delete.run(this.namespace, id).changes > 0;
      if (existed) this.store.written(this.namespace, id, undefined);
      return existed;
    });
    if (deleted) this.store.committed(this.namespace, id, undefined);
    return deleted;
  }

  async query(query: Query): Promise<Page<T>> {
    const q = normalizeQuery(this.namespace, this.spec, query);
    const where = ['i.ns = ?', 'i.name = ?', 'i.value = ?'];
    const params: unknown[] = [this.namespace, q.index, q.value];
    if (q.from !== undefined) {
      where.push('i.sort >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('i.sort < ?');
      params.push(q.to);
    }
    if (q.after) {
      where.push(q.order === 'asc' ? '(i.sort, i.id) > (?, ?)' : '(i.sort, i.id) < (?, ?)');
      params.push(q.after.sort, q.after.id);
    }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT r.body FROM record_index i JOIN records r ON r.ns = i.ns AND r.id = i.id
      WHERE ${where.join(' AND ')} ORDER BY i.sort ${dir}, i.id ${dir} LIMIT ?`;
    params.push(q.limit + 1);
    const rows = this.run(() => this.store.prepared(sql).all(...params) as Array<{ body: string }>);
    return pageOf(
      this.spec,
      rows.map((row) => JSON.parse(row.body) as T),
      q.limit,
    );
  }

  async count(index: string, value = ''): Promise<number> {
    normalizeQuery(this.namespace, this.spec, { index, value });
    const row = this.run(() =>
      index === ALL
        ? this.statements.countAll.get(this.namespace)
        : this.statements.count.get(this.namespace, index, value),
    );
    return row?.n ?? 0;
  }

  async findBy(field: keyof T & string, value: string): Promise<T[]> {
    if (this.spec?.indexes?.[field]) {
      const found: T[] = [];
      let after: string | undefined;
      do {
        const page = await this.query({ index: field, value, limit: 1000, after });
        found.push(...page.items);
        after = page.next ?? undefined;
      } while (after);
      return found;
    }
    const rows = this.run(() => this.statements.scan.all(this.namespace));
    return rows.map((row) => JSON.parse(row.body) as T).filter((record) => record[field] === value);
  }

  /** A namespace first opened without indexes gets them from the first caller that declares them. */
  adoptSpec(spec: IndexSpec<T> | undefined, changed: boolean): void {
    if (!spec || this.spec) return;
    this.spec = spec;
    if (changed) this.reindexAll();
  }

  /** Rebuilds every index row of this namespace (after its spec changed, or records were migrated in). */
  reindexAll(): void {
    // Read in pages: better-sqlite3 refuses writes on a connection while a statement iterates.
    const page = this.store.prepared('SELECT id, body FROM records WHERE ns = ? AND id > ? ORDER BY id LIMIT 1000');
    this.transaction(() => {
      this.store.prepared('DELETE FROM record_index WHERE ns = ?').run(this.namespace);
      let after = '';
      for (;;) {
        const rows = page.all(this.namespace, after) as Array<{ id: string; body: string }>;
        for (const row of rows) {
          let entries: ReturnType<typeof indexEntries>;
          try {
            entries = indexEntries(this.spec, JSON.parse(row.body) as T);
          } catch {
            // A record its spec cannot read stays reachable by id; it never stops the others.
            continue;
          }
          for (const entry of entries) {
            this.statements.index.run(this.namespace, entry.name, entry.value, entry.sort, row.id);
          }
        }
        const last = rows.at(-1);
        if (rows.length < 1000 || !last) break;
        after = last.id;
      }
    });
  }

  private reindex(record: T, clear = true): void {
    if (clear) this.statements.unindex.run(this.namespace, record.id);
    for (const entry of indexEntries(this.spec, record)) {
      this.statements.index.run(this.namespace, entry.name, entry.value, entry.sort, record.id);
    }
  }

  private transaction<R>(fn: () => R): R {
    return this.run(() => this.db.transaction(fn).immediate());
  }

  private run<R>(fn: () => R): R {
    try {
      return fn();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`SQLite ${this.namespace}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** For tests: the sort key a record is ordered by. */
  sortKey(record: T): string {
    return sortKeyOf(this.spec, record);
  }
}
