import type { Pool, PoolClient } from 'pg';
import { StoreError } from '../../errors.js';
import { indexEntries, normalizeQuery, pageOf, specSignature, uniqueEffects, updateRecord } from '../shared.js';
import {
  ALL,
  type Changed,
  type Effect,
  type IndexSpec,
  type Page,
  type Query,
  type RecordStore,
  type Versioned,
} from '../types.js';

/** What a collection needs from its store. */
export interface RecordHost {
  readonly pool: Pool;
  readonly schema: string;
  transaction<R>(fn: (client: PoolClient) => Promise<R>): Promise<R>;
  /** Before a write's transaction (pg-boss queues of the effects' kinds). */
  prepare(effects: Effect[] | undefined): Promise<void>;
  /** Inside a write's transaction: records its effects; returns the NOTIFY to send with it and what to run after commit. */
  written(client: PoolClient, namespace: string, id: string, effects: Effect[]): Promise<Written>;
}

/** A write's NOTIFY (delivered when its transaction commits; null payload: none) and what follows the commit locally. */
export interface Written {
  channel: string;
  payload: string | null;
  after: () => void;
}

/** Rows read at once while rebuilding a namespace's index. */
const REINDEX_BATCH = 500;

/**
 * A record collection in PostgreSQL's `records` table with its index rows in `record_index`,
 * written in one transaction together with the record's effects and its NOTIFY. The compare-and-swap
 * is `UPDATE … WHERE version = $n`: concurrent writers queue on the row lock and the losers match no row.
 */
export class PostgresRecordStore<T extends Versioned> implements RecordStore<T> {
  private readonly t: { records: string; index: string; specs: string };
  private ready: Promise<void> | undefined;

  constructor(
    private readonly host: RecordHost,
    private readonly namespace: string,
    private readonly spec: IndexSpec<T> | undefined,
  ) {
    const s = `"${host.schema}"`;
    this.t = { records: `${s}.records`, index: `${s}.record_index`, specs: `${s}.index_specs` };
  }

  async get(id: string): Promise<T | undefined> {
    await this.prepared();
    const { rows } = await this.run(() =>
      this.host.pool.query<{ body: string }>(`SELECT body FROM ${this.t.records} WHERE ns = $1 AND id = $2`, [
        this.namespace,
        id,
      ]),
    );
    return rows[0] ? (JSON.parse(rows[0].body) as T) : undefined;
  }

  async insert(record: T, effects?: Effect[]): Promise<{ record: T; created: boolean }> {
    await this.prepared();
    const body = JSON.stringify(record);
    const list = uniqueEffects(effects);
    await this.run(() => this.host.prepare(list));
    const after = await this.run(() =>
      this.host.transaction(async (client) => {
        const { rowCount } = await client.query(
          `INSERT INTO ${this.t.records} (ns, id, version, body) VALUES ($1, $2, $3, $4) ON CONFLICT (ns, id) DO NOTHING`,
          [this.namespace, record.id, record.version, body],
        );
        if (!rowCount) return null;
        return this.indexAndNotify(client, record, await this.host.written(client, this.namespace, record.id, list));
      }),
    );
    if (!after) {
      const existing = await this.get(record.id);
      if (!existing) throw new StoreError(`record ${record.id} vanished between insert and read`);
      return { record: existing, created: false };
    }
    after();
    return { record, created: true };
  }

  async replace(record: T, expectedVersion: number, effects?: Effect[]): Promise<boolean> {
    await this.prepared();
    const body = JSON.stringify(record);
    const list = uniqueEffects(effects);
    await this.run(() => this.host.prepare(list));
    const after = await this.run(() =>
      this.host.transaction(async (client) => {
        const { rowCount } = await client.query(
          `UPDATE ${this.t.records} SET version = $1, body = $2, updated_at = now()
           WHERE ns = $3 AND id = $4 AND version = $5`,
          [record.version, body, this.namespace, record.id, expectedVersion],
        );
        if (!rowCount) return null;
        return this.indexAndNotify(client, record, await this.host.written(client, this.namespace, record.id, list));
      }),
    );
    after?.();
    return after !== null;
  }

  update(id: string, change: (current: T) => T | Changed<T>): Promise<T> {
    return updateRecord(this, this.namespace, id, change);
  }

  async delete(id: string): Promise<boolean> {
    await this.prepared();
    const after = await this.run(() =>
      this.host.transaction(async (client) => {
        await client.query(`DELETE FROM ${this.t.index} WHERE ns = $1 AND id = $2`, [this.namespace, id]);
        const { rowCount } = await client.query(`DELETE FROM ${this.t.records} WHERE ns = $1 AND id = $2`, [
          this.namespace,
          id,
        ]);
        if (!rowCount) return null;
        const written = await this.host.written(client, this.namespace, id, []);
        if (written.payload) await client.query('SELECT pg_notify($1, $2)', [written.channel, written.payload]);
        return written.after;
      }),
    );
    after?.();
    return after !== null;
  }

  async query(query: Query): Promise<Page<T>> {
    const q = normalizeQuery(this.namespace, this.spec, query);
    await this.prepared();
    const params: unknown[] = [this.namespace, q.index, q.value];
    const where = ['i.ns = $1', 'i.name = $2', 'i.value = $3'];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (q.from !== undefined) where.push(`i.sort >= ${param(q.from)}`);
    if (q.to !== undefined) where.push(`i.sort < ${param(q.to)}`);
    if (q.after) {
      where.push(`(i.sort, i.id) ${q.order === 'asc' ? '>' : '<'} (${param(q.after.sort)}, ${param(q.after.id)})`);
    }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT r.body FROM ${this.t.index} i JOIN ${this.t.records} r ON r.ns = i.ns AND r.id = i.id
      WHERE ${where.join(' AND ')} ORDER BY i.sort ${dir}, i.id ${dir} LIMIT ${param(q.limit + 1)}`;
    const { rows } = await this.run(() => this.host.pool.query<{ body: string }>(sql, params));
    return pageOf(
      this.spec,
      rows.map((row) => JSON.parse(row.body) as T),
      q.limit,
    );
  }

  async count(index: string, value = ''): Promise<number> {
    normalizeQuery(this.namespace, this.spec, { index, value });
    await this.prepared();
    const { rows } = await this.run(() =>
      index === ALL
        ? this.host.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.t.records} WHERE ns = $1`, [
            this.namespace,
          ])
        : this.host.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${this.t.index} WHERE ns = $1 AND name = $2 AND value = $3`,
            [this.namespace, index, value],
          ),
    );
    return rows[0]?.n ?? 0;
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
    await this.prepared();
    const { rows } = await this.run(() =>
      this.host.pool.query<{ body: string }>(`SELECT body FROM ${this.t.records} WHERE ns = $1`, [this.namespace]),
    );
    return rows.map((row) => JSON.parse(row.body) as T).filter((record) => record[field] === value);
  }

  /**
   * One statement for what follows a record write in its transaction: drops the index rows the record
   * no longer has, adds the new ones, and queues the write's NOTIFY.
   */
  private async indexAndNotify(client: PoolClient, record: T, written: Written): Promise<() => void> {
    const [names, values, sorts] = this.columns([record]);
    await client.query(
      `WITH entries AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS e(name, value, sort)),
       gone AS (
         DELETE FROM ${this.t.index} x WHERE x.ns = $1 AND x.id = $2 AND NOT EXISTS (
           SELECT 1 FROM entries e WHERE e.name = x.name AND e.value = x.value AND e.sort = x.sort)
       ),
       added AS (
         INSERT INTO ${this.t.index} (ns, name, value, sort, id) SELECT $1, e.name, e.value, e.sort, $2 FROM entries e
         ON CONFLICT DO NOTHING
       )
       SELECT pg_notify($6, $7) WHERE $7::text IS NOT NULL`,
      [this.namespace, record.id, names, values, sorts, written.channel, written.payload],
    );
    return written.after;
  }

  /** Adds the index rows of `records` (which have none yet). */
  private async reindex(client: PoolClient, records: T[]): Promise<void> {
    await client.query(
      `INSERT INTO ${this.t.index} (ns, name, value, sort, id)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
      [this.namespace, ...this.columns(records)],
    );
  }

  /** The index rows of `records` as columns (name, value, sort, id) for `unnest`. */
  private columns(records: T[]): [string[], string[], string[], string[]] {
    const columns: [string[], string[], string[], string[]] = [[], [], [], []];
    for (const record of records) {
      for (const entry of indexEntries(this.spec, record)) {
        columns[0].push(entry.name);
        columns[1].push(entry.value);
        columns[2].push(entry.sort);
        columns[3].push(record.id);
      }
    }
    return columns;
  }

  /** Once per collection: rebuilds the namespace's index rows when its spec differs from the stored one. */
  private prepared(): Promise<void> {
    if (!this.ready) {
      this.ready = this.run(() => this.checkSpec());
      // A failed check (database down) is tried again by the next call instead of failing forever.
      this.ready.catch(() => {
        this.ready = undefined;
      });
    }
    return this.ready;
  }

  private async checkSpec(): Promise<void> {
    const signature = specSignature(this.spec);
    const { rows } = await this.host.pool.query<{ signature: string }>(
      `SELECT signature FROM ${this.t.specs} WHERE ns = $1`,
      [this.namespace],
    );
    if (rows[0]?.signature === signature) return;
    await this.host.transaction(async (client) => {
      // Instances opening a namespace with a new spec at once rebuild it one after the other.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `gatehouse:${this.host.schema}:${this.namespace}`,
      ]);
      const again = await client.query<{ signature: string }>(`SELECT signature FROM ${this.t.specs} WHERE ns = $1`, [
        this.namespace,
      ]);
      if (again.rows[0]?.signature === signature) return;
      await client.query(`DELETE FROM ${this.t.index} WHERE ns = $1`, [this.namespace]);
      let last = '';
      for (;;) {
        const page = await client.query<{ id: string; body: string }>(
          `SELECT id, body FROM ${this.t.records} WHERE ns = $1 AND id > $2 ORDER BY id LIMIT ${REINDEX_BATCH}`,
          [this.namespace, last],
        );
        const readable: T[] = [];
        for (const row of page.rows) {
          try {
            const record = JSON.parse(row.body) as T;
            indexEntries(this.spec, record);
            readable.push(record);
          } catch {
            // A record its spec cannot read stays reachable by id; it never stops the others.
          }
        }
        if (readable.length) await this.reindex(client, readable);
        const tail = page.rows[page.rows.length - 1];
        if (!tail || page.rows.length < REINDEX_BATCH) break;
        last = tail.id;
      }
      await client.query(
        `INSERT INTO ${this.t.specs} (ns, signature) VALUES ($1, $2)
         ON CONFLICT (ns) DO UPDATE SET signature = excluded.signature`,
        [this.namespace, signature],
      );
    });
  }

  private async run<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`PostgreSQL ${this.namespace}: ${(error as Error).message}`, { cause: error });
    }
  }
}
