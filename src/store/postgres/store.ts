import { hostname } from 'node:os';
import Keyv from 'keyv';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { systemClock } from '../../clock.js';
import { StoreError } from '../../errors.js';
import { checkNamespace } from '../namespace.js';
import { rateLimits, WatchListeners } from '../shared.js';
import type { Effect, IndexSpec, RecordStore, Store, StoreOptions, Versioned, WatchListener } from '../types.js';
import { PgBossEffectQueue } from './effects.js';
import type { Wake } from './jobs.js';
import { PostgresKeyvMap } from './keyv.js';
import { ChangeListener } from './listener.js';
import { PostgresRecordStore, type RecordHost, type Written } from './records.js';
import { channelOf, type PostgresLocation, parsePostgresUrl, schemaSql } from './schema.js';

/** One NOTIFY: from instance `i`, record `d` of namespace `n` changed, and effects `e` became due. */
interface Message {
  i: string;
  n?: string;
  d?: string;
  e?: Wake[];
}

/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7900;
/** After a reconnect, records written since this long before the connection was lost are re-announced (clock skew, long transactions). */
const REPLAY_MARGIN_MS = 5000;
/** At most this many ids re-announced per namespace after a reconnect. */
const REPLAY_LIMIT = 10_000;

/** Where a URL points, without its credentials (for error messages and logs). */
function describe(location: PostgresLocation): string {
  const url = new URL(location.connectionString);
  return `${url.host}${url.pathname} schema ${location.schema}`;
}

/**
 * The store of a cluster: every instance opens the same PostgreSQL schema. Records and their index
 * rows live in real tables, effects are pg-boss jobs sent in the record's transaction, and a
 * dedicated LISTEN connection hears the changes and due effects other instances committed.
 */
export class PostgresStore implements Store, RecordHost {
  readonly effects: PgBossEffectQueue;
  readonly schema: string;
  private readonly boss: PgBoss;
  private readonly collections = new Map<string, PostgresRecordStore<Versioned>>();
  private readonly keyvs = new Map<string, Keyv>();
  private readonly watchers: WatchListeners;
  private readonly channel: string;
  private readonly instance: string;
  private readonly onError: (error: unknown) => void;
  private readonly clock;
  private readonly listener: ChangeListener;
  private closed = false;

  /** Connects, creates the schema and its tables if missing, installs pg-boss there and starts LISTENing. */
  static async open(url: string, options: StoreOptions = {}): Promise<PostgresStore> {
    const location = parsePostgresUrl(url);
    const pool = new pg.Pool({ connectionString: location.connectionString, application_name: 'gatehouse' });
    const store = new PostgresStore(location, pool, options);
    try {
      await store.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gatehouse:schema:${location.schema}`]);
        await client.query(schemaSql(location.schema));
      });
      await store.boss.start();
      await store.listener.start();
    } catch (error) {
      await store.boss.stop({ graceful: false, close: false }).catch(() => {});
      await store.listener.close();
      await pool.end().catch(() => {});
      throw new StoreError(`PostgreSQL ${describe(location)}: ${(error as Error).message}`, { cause: error });
    }
    return store;
  }

  private constructor(
    location: PostgresLocation,
    readonly pool: pg.Pool,
    options: StoreOptions,
  ) {
    this.schema = location.schema;
    this.channel = channelOf(location.schema);
    this.onError = options.onError ?? (() => {});
    this.watchers = new WatchListeners(this.onError);
    this.clock = options.clock ?? systemClock;
    this.instance = options.instance ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    pool.on('error', this.onError);
    const leaseSeconds = Math.max(1, Math.ceil((options.leaseMs ?? 60_000) / 1000));
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => this.execute(text, values) },
      schema: location.schema,
      // Cron and its clock-skew monitor are not used; maintenance fails expired leases so others retry them.
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(leaseSeconds / 2))),
    });
    this.boss.on('error', this.onError);
    this.effects = new PgBossEffectQueue(this.boss, pool, location.schema, this, { ...options, clock: this.clock });
    this.listener = new ChangeListener(
      {
        connectionString: location.connectionString,
        application_name: `gatehouse listen ${location.schema}`.slice(0, 63),
      },
      this.channel,
      {
        message: (payload) => this.heard(payload),
        reconnected: (lostAt) => this.replay(lostAt).catch(this.onError),
        error: this.onError,
      },
    );
  }

  records<T extends Versioned>(namespace: string, spec?: IndexSpec<T>): RecordStore<T> {
    let collection = this.collections.get(checkNamespace(namespace));
    if (!collection) {
      collection = new PostgresRecordStore<T>(this, namespace, spec) as unknown as PostgresRecordStore<Versioned>;
      this.collections.set(namespace, collection);
    }
    return collection as unknown as RecordStore<T>;
  }

  watch(namespace: string, listener: WatchListener): () => void {
    return this.watchers.add(checkNamespace(namespace), listener);
  }

  /** One row per key in this schema's table (created with the others): every instance shares it. */
  readonly rateLimit = rateLimits(
    (name, { points, durationMs }) =>
      new RateLimiterPostgres({
        storeClient: this.pool,
        schemaName: this.schema,
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: name,
        points,
        duration: durationMs / 1000,
      }),
  );

  keyv(namespace: string): Keyv {
    let keyv = this.keyvs.get(checkNamespace(namespace));
    if (!keyv) {
      keyv = new Keyv({
        store: new PostgresKeyvMap(this.pool, this.schema, namespace),
        namespace,
        useKeyPrefix: false,
      });
      keyv.on('error', this.onError);
      this.keyvs.set(namespace, keyv);
    }
    return keyv;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreError('PostgreSQL store is closed');
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw new StoreError(`PostgreSQL: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.effects.stop();
    await this.listener.close();
    await this.pool.end();
  }

  async transaction<R>(fn: (client: pg.PoolClient) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  prepare(effects: Effect[] | undefined): Promise<void> {
    return this.effects.prepare(effects);
  }

  async written(client: pg.PoolClient, namespace: string, id: string, effects: Effect[]): Promise<Written> {
    const wakes = await this.effects.record(client, effects, this.clock.now());
    return {
      channel: this.channel,
      payload: this.payloadOf({ i: this.instance, n: namespace, d: id, e: wakes }),
      after: () => {
        if (this.watchers.has(namespace)) queueMicrotask(() => this.watchers.notify(namespace, id));
        this.effects.wake(wakes);
      },
    };
  }

  async announce(client: pg.PoolClient, wakes: Wake[]): Promise<void> {
    const payload = wakes.length ? this.payloadOf({ i: this.instance, e: wakes }) : null;
    if (payload) await client.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
  }

  /** A NOTIFY payload, or null when even its shortest form is too long to send. */
  private payloadOf(message: Message): string | null {
    let payload = JSON.stringify(message);
    // Too long: first the effect wake-ups go (workers poll), then the record (watchers re-read now and then).
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) payload = JSON.stringify({ ...message, e: undefined });
    return Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES ? null : payload;
  }

  /** A NOTIFY from any instance; a payload this version cannot read is reported, never thrown into pg's event loop. */
  private heard(payload: string): void {
    try {
      const message = JSON.parse(payload) as Message;
      // This instance told its own watchers and workers when it committed.
      if (message.i === this.instance) return;
      if (typeof message.n === 'string' && typeof message.d === 'string' && this.watchers.has(message.n)) {
        this.watchers.notify(message.n, message.d);
      }
      if (Array.isArray(message.e)) {
        this.effects.wake(message.e.filter((wake) => typeof wake?.[0] === 'string' && Number.isFinite(wake[1])));
      }
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * After the LISTEN connection came back: notifications sent while it was down are lost, so every
   * worker looks for work now and every watcher hears of each record of its namespace written since
   * shortly before the loss (deletions in between are not replayed; waiters re-read now and then).
   */
  private async replay(lostAt: number): Promise<void> {
    this.effects.wakeAll();
    for (const namespace of this.watchers.namespaces()) {
      const { rows } = await this.pool.query<{ id: string }>(
        `SELECT id FROM "${this.schema}".records WHERE ns = $1 AND updated_at >= to_timestamp($2::float8 / 1000)
         ORDER BY updated_at LIMIT ${REPLAY_LIMIT}`,
        [namespace, lostAt - REPLAY_MARGIN_MS],
      );
      for (const row of rows) this.watchers.notify(namespace, row.id);
    }
  }

  /** pg-boss's SQL on our pool; a multi-statement text that failed inside BEGIN is rolled back before the connection is reused. */
  private async execute(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      return await client.query(text, values);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
