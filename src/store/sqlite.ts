import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import Keyv from 'keyv';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { systemClock } from '../clock.js';
import { StoreError } from '../errors.js';
import { LocalEffectQueue } from './local-effects.js';
import { checkNamespace } from './namespace.js';
import { rateLimits, specSignature, uniqueEffects, WatchListeners } from './shared.js';
import { SqliteKeyvMap } from './sqlite-keyv.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { type SqliteHost, SqliteRecordStore } from './sqlite-records.js';
import { migrateKeyvTable, SCHEMA } from './sqlite-schema.js';
import type { Effect, IndexSpec, RecordStore, Store, StoreOptions, Versioned, WatchListener } from './types.js';

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
 * Every statement prepared on any SQLite store of this process, kept for its life: better-sqlite3
 * 12 on Node 24 can abort the process (`Assertion failed: (env) != nullptr` in ~Statement) when the
 * collector finalizes a statement, and 13, which fixes it, does not run on Node 20. A store
 * prepares a bounded set (its statements are cached by text), so this holds a few dozen per store;
 * closed connections are kept for the transaction statements better-sqlite3 holds on them, and
 * pragmas go through `exec`, which makes no statement.
 */
const KEPT_STATEMENTS: Database.Statement[] = [];
const KEPT_CONNECTIONS: Database.Database[] = [];

/** How often watchers look for changes other processes made to the file. */
const WATCH_POLL_MS = 200;
/** How long change rows are kept for other processes' watchers. */
const CHANGE_RETENTION_MS = 60_000;

/** The default store: one SQLite file (one connection) holding every namespace, the outbox and Keyv caches. */
export class SqliteStore implements Store, SqliteHost {
  private readonly db: Db;
  private readonly path: string;
  private readonly collections = new Map<string, SqliteRecordStore<Versioned>>();
  private readonly keyvs = new Map<string, Keyv>();
  private readonly statementCache = new Map<string, Database.Statement>();
  private readonly outbox: SqliteOutbox;
  private readonly onError: (error: unknown) => void;
  private readonly watchers: WatchListeners;
  private readonly clock;
  readonly effects: LocalEffectQueue;
  private lastSeq = 0;
  private watchTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(url: string, options: StoreOptions = {}) {
    this.path = sqlitePath(url);
    this.onError = options.onError ?? (() => {});
    this.watchers = new WatchListeners(this.onError);
    this.clock = options.clock ?? systemClock;
    try {
      this.db = new Database(this.path, { timeout: 10_000 });
      const prepare = this.db.prepare.bind(this.db);
      this.db.prepare = ((sql: string) => {
        const statement = prepare(sql);
        KEPT_STATEMENTS.push(statement);
        return statement;
      }) as Db['prepare'];
      if (this.path !== ':memory:') this.db.exec('PRAGMA journal_mode = WAL');
      // In WAL mode NORMAL still survives a process crash (kill -9); it skips the fsync per commit
      // that FULL makes, which only a power loss would need.
      this.db.exec('PRAGMA synchronous = NORMAL');
      this.db.exec(SCHEMA);
      migrateKeyvTable(this.db, (sql) => this.prepared(sql));
    } catch (error) {
      throw new StoreError(`SQLite ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    this.outbox = new SqliteOutbox(this.db);
    this.effects = new LocalEffectQueue(this.outbox, { ...options, clock: this.clock });
    this.lastSeq = (this.prepared('SELECT max(seq) AS seq FROM changes').get() as { seq: number | null }).seq ?? 0;
  }

  records<T extends Versioned>(namespace: string, spec?: IndexSpec<T>): RecordStore<T> {
    let collection = this.collections.get(checkNamespace(namespace));
    if (!collection) {
      const created = new SqliteRecordStore<T>(this, this.db, namespace, spec);
      // Only a declared spec is compared: a caller that declares none (a raw reader) never drops
      // the index rows another declared.
      if (spec && this.specChanged(namespace, spec)) created.reindexAll();
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
    const unwatch = this.watchers.add(namespace, listener);
    this.pollChanges();
    return unwatch;
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

  /** Every process on the file shares the limiter's table, so a limit holds across them. */
  readonly rateLimit = rateLimits(
    (name, { points, durationMs }) =>
      new RateLimiterSQLite({
        // Its statements come from the cache too (it would prepare one per take).
        storeClient: {
          prepare: (sql: string) => this.prepared(sql),
          transaction: <F extends (...args: never[]) => unknown>(fn: F) => this.db.transaction(fn),
        },
        storeType: 'better-sqlite3',
        tableName: 'rate_limits',
        tableCreated: true,
        points,
        duration: durationMs / 1000,
        keyPrefix: name,
      }),
  );

  async ping(): Promise<void> {
    if (this.closed) throw new StoreError('SQLite store is closed');
    this.prepared('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.effects.stop();
    this.closed = true;
    clearTimeout(this.watchTimer);
    this.db.close();
    // Its transaction statements live as long as the connection object (see KEPT_STATEMENTS).
    KEPT_CONNECTIONS.push(this.db);
  }

  /**
   * A prepared statement, cached by its text. Statements are kept rather than prepared anew:
   * better-sqlite3 12 on Node 24 aborts the process when the collector finalizes a statement.
   */
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
    if (this.watchers.has(namespace)) queueMicrotask(() => this.watchers.notify(namespace, id));
    if (effects?.length) this.effects.recorded(effects);
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
          if (this.watchers.has(row.ns)) this.watchers.notify(row.ns, row.id);
        }
        this.prepared('DELETE FROM changes WHERE at < ?').run(Date.now() - CHANGE_RETENTION_MS);
      } catch (error) {
        this.onError(error);
      }
      this.pollChanges();
    }, WATCH_POLL_MS).unref();
  }

  private specChanged<T extends Versioned>(namespace: string, spec: IndexSpec<T> | undefined): boolean {
    const signature = specSignature(spec);
    const row = this.prepared('SELECT signature FROM index_specs WHERE ns = ?').get(namespace) as
      | { signature: string }
      | undefined;
    if (row?.signature === signature) return false;
    this.prepared(
      'INSERT INTO index_specs (ns, signature) VALUES (?, ?) ON CONFLICT (ns) DO UPDATE SET signature = excluded.signature',
    ).run(namespace, signature);
    return true;
  }
}
