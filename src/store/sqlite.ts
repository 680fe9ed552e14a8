import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { StoreError } from '../errors.js';
import { checkNamespace } from './namespace.js';
import type { RecordStore, Store, Versioned } from './types.js';

type Query = (sql: string, ...params: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Keyv writes `{ value, expires }`; records are stored the same way so Keyv can read them. */
const serialize = (data: unknown): string => JSON.stringify(data);
const deserialize = <V>(raw: string) => JSON.parse(raw) as { value?: V; expires?: number };

const TABLE = 'keyv';
const SAFE_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A record collection in Keyv's SQLite table. Keyv has no compare-and-swap, so the atomic
 * operations are single SQL statements on the adapter's own connection: SQLite runs each under
 * its write lock, which makes them atomic across every process sharing the file.
 */
export class SqliteRecordStore<T extends Versioned> implements RecordStore<T> {
  constructor(
    private readonly query: Query,
    private readonly namespace: string,
  ) {}

  private key(id: string): string {
    return `${this.namespace}:${id}`;
  }

  async get(id: string): Promise<T | undefined> {
    const rows = await this.run(`SELECT value FROM ${TABLE} WHERE key = ?`, this.key(id));
    const row = rows[0];
    return row === undefined ? undefined : deserialize<T>(String(row.value)).value;
  }

  async insert(record: T): Promise<{ record: T; created: boolean }> {
    const inserted = await this.run(
      `INSERT INTO ${TABLE} (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key`,
      this.key(record.id),
      serialize({ value: record }),
    );
    if (inserted.length > 0) return { record, created: true };
    const existing = await this.get(record.id);
    if (!existing) throw new StoreError(`record ${record.id} vanished between insert and read`);
    return { record: existing, created: false };
  }

  async replace(record: T, expectedVersion: number): Promise<boolean> {
    const updated = await this.run(
      `UPDATE ${TABLE} SET value = ? WHERE key = ? AND json_extract(value, '$.value.version') = ? RETURNING key`,
      serialize({ value: record }),
      this.key(record.id),
      expectedVersion,
    );
    return updated.length > 0;
  }

  async findBy(field: keyof T & string, value: string): Promise<T[]> {
    if (!SAFE_FIELD.test(field)) throw new StoreError(`cannot search on field ${JSON.stringify(field)}`);
    // instr, not substr with a JS length: SQLite counts code points, JS counts UTF-16 units.
    const rows = await this.run(
      `SELECT value FROM ${TABLE} WHERE instr(key, ?) = 1 AND json_extract(value, '$.value.${field}') = ?`,
      `${this.namespace}:`,
      value,
    );
    return rows.flatMap((row) => {
      const record = deserialize<T>(String(row.value)).value;
      return record ? [record] : [];
    });
  }

  private async run(sql: string, ...params: unknown[]) {
    try {
      return await this.query(sql, ...params);
    } catch (error) {
      throw new StoreError(`SQLite ${this.namespace}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Resolves `sqlite://path` to a file path (creating its directory), or `:memory:`. */
export function sqlitePath(url: string): string {
  const path = url.replace(/^sqlite:\/\//, '');
  if (path === ':memory:') return path;
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return absolute;
}

/** The default store: one SQLite file holding every namespace. */
export class SqliteStore implements Store {
  private readonly adapters = new Map<string, KeyvSqlite>();
  private readonly keyvs = new Map<string, Keyv>();
  private readonly path: string;

  constructor(
    url: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.path = sqlitePath(url);
  }

  private adapter(namespace: string): KeyvSqlite {
    let adapter = this.adapters.get(checkNamespace(namespace));
    if (!adapter) {
      const created = new KeyvSqlite({ uri: `sqlite://${this.path}`, busyTimeout: 10_000 });
      // The adapter clears with `LIKE 'namespace:%'`, where `_` and `%` are wildcards and ASCII
      // is case-insensitive: clearing `a_b` would also empty `axb` and `A_B`.
      created.clear = async () => {
        await (created.query as Query)(`DELETE FROM ${TABLE} WHERE instr(key, ?) = 1`, `${namespace}:`);
      };
      created.on('error', this.onError);
      // In WAL mode NORMAL still survives a process crash (kill -9); it skips the fsync per commit
      // that FULL makes, which only a power loss would need.
      (created.query as Query)('PRAGMA synchronous = NORMAL').catch(this.onError);
      this.adapters.set(namespace, created);
      adapter = created;
    }
    return adapter;
  }

  records<T extends Versioned>(namespace: string): RecordStore<T> {
    const adapter = this.adapter(namespace);
    return new SqliteRecordStore<T>(adapter.query as Query, namespace);
  }

  keyv(namespace: string): Keyv {
    let keyv = this.keyvs.get(namespace);
    if (!keyv) {
      keyv = new Keyv({ store: this.adapter(namespace), namespace, serialize, deserialize });
      keyv.on('error', this.onError);
      this.keyvs.set(namespace, keyv);
    }
    return keyv;
  }

  /** Switches the file to WAL (readers never block the writer) and checks it answers. */
  async init(): Promise<void> {
    const query = this.adapter('_meta').query as Query;
    if (this.path !== ':memory:') await query('PRAGMA journal_mode = WAL');
    await this.ping();
  }

  async ping(): Promise<void> {
    const query = this.adapter('_meta').query as Query;
    await query('SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([...this.adapters.values()].map((adapter) => adapter.disconnect()));
    this.adapters.clear();
    this.keyvs.clear();
  }
}
