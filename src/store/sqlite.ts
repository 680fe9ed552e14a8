import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import Keyv from 'keyv';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { systemClock } from '../clock.js';
import { StoreError } from '../errors.js';
import { LocalEffectQueue } from './local-effects.js';
import { checkNamespace } from './namespace.js';
import { indexEntries, normalizeQuery, pageOf, sortKeyOf, uniqueEffects, updateRecord, waitOf } from './shared.js';
import { SqliteKeyvMap } from './sqlite-keyv.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { migrateKeyvTable, SCHEMA } from './sqlite-schema.js';
import {
  ALL,
  type Changed,
  type Effect,
  type IndexSpec,
  type Page,
  type Query,
  type RateLimit,
  type RateLimitOptions,
  type RecordStore,
  type Store,
  type StoreOptions,
  type Versioned,
  type WatchListener,
} from './types.js';

type Db = Database.Database;

/** Resolves `sqlite://path` to a file path (creating its directory), or `:memory:`. */
export function sqlitePath(url: string): string {
  const path = url.replace(/^sqlite:\/\//, '');
  if (path === ':memory:') return path;
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return absolute;
}

/**
 * A record collection in SQLite's `records` table, with its index rows in `record_index` written in
 * the same transaction (values computed here, so no JSON function ever reads a stored body). Every
 * write is one transaction under SQLite's write lock, which makes it atomic across processes.
 */
export class SqliteRecordStore<T extends Versioned> implements RecordStore<T> {
  private readonly statements;

  constructor(
    private readonly store: SqliteStore,
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
        if (rows.length < 1000) break;
        after = rows.at(-1)!.id;
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

/** How often watchers look for changes other processes made to the file. */
const WATCH_POLL_MS = 200;
/** How long change rows are kept for other processes' watchers. */
const CHANGE_RETENTION_MS = 60_000;

/** The default store: one SQLite file (one connection) holding every namespace, the outbox and Keyv caches. */
export class SqliteStore implements Store {
  private readonly db: Db;
  private readonly path: string;
  private readonly collections = new Map<string, SqliteRecordStore<Versioned>>();
  private readonly keyvs = new Map<string, Keyv>();
  private readonly statementCache = new Map<string, Database.Statement>();
  private readonly limiters = new Map<string, RateLimiterSQLite>();
  private readonly watchers = new Map<string, Set<WatchListener>>();
  private readonly outbox: SqliteOutbox;
  private readonly onError: (error: unknown) => void;
  private readonly clock;
  readonly effects: LocalEffectQueue;
  private lastSeq = 0;
  private watchTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(url: string, options: StoreOptions = {}) {
    this.path = sqlitePath(url);
    this.onError = options.onError ?? (() => {});
    this.clock = options.clock ?? systemClock;
    try {
      this.db = new Database(this.path, { timeout: 10_000 });
      if (this.path !== ':memory:') this.db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL still survives a process crash (kill -9); it skips the fsync per commit
      // that FULL makes, which only a power loss would need.
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
      migrateKeyvTable(this.db);
    } catch (error) {
      throw new StoreError(`SQLite ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    this.outbox = new SqliteOutbox(this.db);
    this.effects = new LocalEffectQueue(this.outbox, { ...options, clock: this.clock });
    this.lastSeq = (this.db.prepare('SELECT max(seq) AS seq FROM changes').get() as { seq: number | null }).seq ?? 0;
  }

  records<T extends Versioned>(namespace: string, spec?: IndexSpec<T>): RecordStore<T> {
    let collection = this.collections.get(checkNamespace(namespace));
    if (!collection) {
      const created = new SqliteRecordStore<T>(this, this.db, namespace, spec);
      if (this.specChanged(namespace, spec)) created.reindexAll();
      collection = created as unknown as SqliteRecordStore<Versioned>;
      this.collections.set(namespace, collection);
    } else if (spec) {
      const existing = collection as unknown as SqliteRecordStore<T>;
      existing.adoptSpec(spec, this.specChanged(namespace, spec));
    }
    return collection as unknown as RecordStore<T>;
  }

  watch(namespace: string, listener: WatchListener): () => void {
    checkNamespace(namespace);
    const set = this.watchers.get(namespace) ?? new Set<WatchListener>();
    this.watchers.set(namespace, set);
    set.add(listener);
    this.pollChanges();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(namespace);
    };
  }

  keyv(namespace: string): Keyv {
    let keyv = this.keyvs.get(checkNamespace(namespace));
    if (!keyv) {
      keyv = new Keyv({ store: new SqliteKeyvMap(this.db, namespace), namespace, useKeyPrefix: false });
      keyv.on('error', this.onError);
      this.keyvs.set(namespace, keyv);
    }
    return keyv;
  }

  rateLimit(name: string, { points, durationMs }: RateLimitOptions): RateLimit {
    let limiter = this.limiters.get(name);
    if (!limiter) {
      // Every process on the file shares the table, so the limit holds across them.
      limiter = new RateLimiterSQLite({
        storeClient: this.db,
        storeType: 'better-sqlite3',
        tableName: 'rate_limits',
        tableCreated: true,
        points,
        duration: durationMs / 1000,
        keyPrefix: name,
      });
      this.limiters.set(name, limiter);
    }
    const created = limiter;
    return { take: (key) => waitOf(created.consume(key)) };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreError('SQLite store is closed');
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.effects.stop();
    this.closed = true;
    clearTimeout(this.watchTimer);
    this.db.close();
  }

  /** A prepared statement, cached by its text. */
  prepared(sql: string): Database.Statement {
    let statement = this.statementCache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statementCache.set(sql, statement);
    }
    return statement;
  }

  /** Inside a record write's transaction: its effects, and the change row other processes' watchers read. */
  written(namespace: string, id: string, effects: Effect[] | undefined): void {
    this.outbox.insertNow(uniqueEffects(effects), this.clock.now());
    this.prepared('INSERT INTO changes (ns, id, at) VALUES (?, ?, ?)').run(namespace, id, Date.now());
  }

  /** After a record write committed: tells local watchers and the local workers. */
  committed(namespace: string, id: string, effects: Effect[] | undefined): void {
    const listeners = this.watchers.get(namespace);
    if (listeners) queueMicrotask(() => this.notify(namespace, id));
    if (effects?.length) this.effects.recorded(effects);
  }

  private notify(namespace: string, id: string): void {
    for (const listener of this.watchers.get(namespace) ?? []) {
      try {
        listener(id);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Reads the change rows other processes wrote since the last look, while anyone watches. */
  private pollChanges(): void {
    if (this.watchTimer || this.closed) return;
    this.watchTimer = setTimeout(() => {
      this.watchTimer = undefined;
      if (this.closed || this.watchers.size === 0) return;
      try {
        const rows = this.prepared('SELECT seq, ns, id FROM changes WHERE seq > ? ORDER BY seq LIMIT 10000').all(
          this.lastSeq,
        ) as Array<{ seq: number; ns: string; id: string }>;
        for (const row of rows) {
          this.lastSeq = row.seq;
          if (this.watchers.has(row.ns)) this.notify(row.ns, row.id);
        }
        this.prepared('DELETE FROM changes WHERE at < ?').run(Date.now() - CHANGE_RETENTION_MS);
      } catch (error) {
        this.onError(error);
      }
      this.pollChanges();
    }, WATCH_POLL_MS).unref();
  }

  private specChanged<T extends Versioned>(namespace: string, spec: IndexSpec<T> | undefined): boolean {
    const signature = JSON.stringify({
      indexes: Object.entries(spec?.indexes ?? {}).map(([name, fn]) => [name, fn.toString()]),
      sortKey: spec?.sortKey?.toString() ?? null,
    });
    const row = this.db.prepare('SELECT signature FROM index_specs WHERE ns = ?').get(namespace) as
      | { signature: string }
      | undefined;
    if (row?.signature === signature) return false;
    this.db
      .prepare(
        'INSERT INTO index_specs (ns, signature) VALUES (?, ?) ON CONFLICT (ns) DO UPDATE SET signature = excluded.signature',
      )
      .run(namespace, signature);
    return true;
  }
}
