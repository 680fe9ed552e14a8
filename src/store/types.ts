import type Keyv from 'keyv';
import type { Clock } from '../clock.js';

/** A record the store can compare-and-swap: an id and a version bumped by every write. */
export interface Versioned {
  id: string;
  version: number;
}

/**
 * Work owed after a committed change (announce a request, show an outcome, a callback, an audit
 * entry, a ladder step, an alert delivery, …). It is recorded in the same atomic write as the change
 * that owes it and run by the store's workers until its handler returns, across restarts and
 * `kill -9`, on whichever instance claims it. Handlers must be safe to run twice.
 */
export interface Effect {
  /** Unique and deterministic (e.g. `announce:<approvalId>`): an effect whose key is already recorded is not recorded again. */
  key: string;
  /** Which handler runs it (`EffectQueue.handle`). */
  kind: string;
  /** What the handler needs; plain JSON. */
  payload: Record<string, unknown>;
  /** Not before this time (epoch ms); default: now. */
  runAt?: number;
}

/** An effect as the queue hands it to its handler. */
export interface StoredEffect extends Effect {
  runAt: number;
  /** When it was first recorded (epoch ms): handlers with a horizon give up from here. */
  createdAt: number;
  /** Runs already tried and failed (0 on the first run). */
  attempts: number;
  /** The last failure's message, if any. */
  lastError: string | null;
}

/** Runs one effect; throwing schedules a retry with backoff (or at `RetryLater.delayMs`). */
export type EffectHandler = (effect: StoredEffect) => Promise<void>;

/** Options of one kind of effect. */
export interface EffectKindOptions {
  /** How many effects of this kind one instance runs at once (default 8; 1 keeps them in order). */
  concurrency?: number;
}

/** Thrown by a handler that cannot run the effect yet (a rate limit): retried after `delayMs`. */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    message = `retry in ${delayMs} ms`,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryLater';
  }
}

/**
 * The store's due work: effects recorded with record writes (or `enqueue`), claimed with a lease by
 * one instance at a time, retried with backoff until their handler returns. SQLite and memory run
 * it in-process; PostgreSQL on pg-boss; Redis on BullMQ.
 */
export interface EffectQueue {
  /** Registers the handler of one kind. Effects of a kind with no handler here wait for an instance that has one. */
  handle(kind: string, handler: EffectHandler, options?: EffectKindOptions): void;
  /** Records effects outside a record write; a key already recorded is skipped. */
  enqueue(effects: Effect[]): Promise<void>;
  /** Starts this instance's workers: everything owed (also by instances that died) gets run. Idempotent. */
  start(): Promise<void>;
  /** Stops claiming work and waits for the handlers running now. */
  stop(): Promise<void>;
  /** Effects recorded and not done yet, optionally of one kind. */
  owed(kind?: string): Promise<number>;
  /** True while this instance's workers run (for /readyz). */
  readonly running: boolean;
}

/**
 * How a namespace's records are found without scanning: named indexes (each record is found under
 * every value its function returns; an array field gives one entry per element) and the order of
 * results (a string sort key such as an ISO time; ties broken by id).
 */
export interface IndexSpec<T> {
  indexes?: Record<string, (record: T) => Array<string | null | undefined>>;
  sortKey?: (record: T) => string;
  /**
   * Bump when an index function or the sort key changes what it returns: a backend whose stored
   * index rows were written under another version (or other index names) rebuilds them.
   */
  version?: number;
}

/** The index that holds every record of a namespace, in sort-key order. */
export const ALL = '*';

/** One page of an indexed query. */
export interface Query {
  /** A declared index, or `ALL`. */
  index: string;
  /** The value looked up in `index` (ignored for `ALL`). */
  value?: string;
  /** By sort key, then id; default ascending. */
  order?: 'asc' | 'desc';
  /** Default 100, at most 1,000. */
  limit?: number;
  /** Only sort keys ≥ `from` and < `to`. */
  from?: string;
  to?: string;
  /** The `next` of the previous page. */
  after?: string;
}

/** Results of a query and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** What `update` asks of its change: the next record, and effects owed by it. */
export interface Changed<T> {
  record: T;
  effects?: Effect[];
}

/**
 * A collection of versioned records with atomic writes. Every backend (memory, SQLite, PostgreSQL,
 * Redis) passes the same contract suite (`test/store/contract.ts`).
 */
export interface RecordStore<T extends Versioned> {
  /** The record with this id, or undefined. */
  get(id: string): Promise<T | undefined>;
  /**
   * Stores `record` unless one with its id exists; returns what is stored and whether this call
   * created it. `effects` are recorded in the same atomic write, and only when it created the record.
   */
  insert(record: T, effects?: Effect[]): Promise<{ record: T; created: boolean }>;
  /**
   * Replaces the stored record only if its version is still `expectedVersion` (false when someone
   * else wrote first); `effects` are recorded in the same atomic write, only when it replaced.
   */
  replace(record: T, expectedVersion: number, effects?: Effect[]): Promise<boolean>;
  /**
   * The one read-change-compare-and-swap loop: `change` gets the current record and returns the
   * next (its version is bumped here) or `{ record, effects }`; it runs again when another writer
   * got in between, and may throw to give up. Returning the current record unchanged writes nothing.
   * Throws NotFoundError for a missing id.
   */
  update(id: string, change: (current: T) => T | Changed<T>): Promise<T>;
  /** Removes a record (retention); true when it existed. */
  delete(id: string): Promise<boolean>;
  /** One page of an indexed query. */
  query(query: Query): Promise<Page<T>>;
  /** How many records an index holds under `value` (or in all, for `ALL`). */
  count(index: string, value?: string): Promise<number>;
  /**
   * Every record whose `field` equals `value`: through the index of that name when one is declared,
   * otherwise by scanning the namespace (only for small namespaces).
   */
  findBy(field: keyof T & string, value: string): Promise<T[]>;
}

/** Called with the id of a record of a watched namespace after any instance committed a change to it. */
export type WatchListener = (id: string) => void;

/** A limit shared by every instance on the store: at most `points` takes per `durationMs` for one key. */
export interface RateLimit {
  /** Takes a point for `key`: 0 when allowed now, otherwise how many ms to wait before trying again. */
  take(key: string): Promise<number>;
}

/** Options of a shared rate limit. */
export interface RateLimitOptions {
  points: number;
  durationMs: number;
}

/** The storage Gatehouse runs on: record collections, their effects, change notification and Keyv caches. */
export interface Store {
  /**
   * A collection of versioned records under `namespace` (non-empty, no `:`; others throw StoreError).
   * `spec` declares its indexes; give the same spec every time a namespace is opened.
   */
  records<T extends Versioned>(namespace: string, spec?: IndexSpec<T>): RecordStore<T>;
  /** The due work of this store (see EffectQueue). */
  readonly effects: EffectQueue;
  /**
   * Calls `listener` after changes to records of `namespace`, made by this or any other instance
   * (best effort: a notification may be dropped across instances, so waiters also re-read now and
   * then). Returns the unsubscribe.
   */
  watch(namespace: string, listener: WatchListener): () => void;
  /** A plain key-value namespace (caches, used links); same naming rule as `records`. */
  keyv(namespace: string): Keyv;
  /** A rate limit named `name`, shared by every instance on this store (Slack pacing per channel). */
  rateLimit(name: string, options: RateLimitOptions): RateLimit;
  /** Cheap liveness check. */
  ping(): Promise<void>;
  /** Stops the workers and closes every connection. */
  close(): Promise<void>;
}

/** What every backend accepts besides its URL. */
export interface StoreOptions {
  /** Errors that have no caller to reach (a Keyv error, a failed worker loop). */
  onError?: (error: unknown) => void;
  /** Time for effects' run times, leases and backoff (tests pass a manual clock). */
  clock?: Clock;
  /** Backoff of failed effects: first retry after `minMs`, doubling up to `maxMs`. Default 1 s … 5 min. */
  retry?: { minMs?: number; maxMs?: number };
  /** How long a claimed effect is leased before another instance may take it over. Default 60 s. */
  leaseMs?: number;
  /** How often an idle worker looks for work other instances recorded. Default 1 s. */
  pollMs?: number;
  /** Instance name for leases and logs (default host:pid). */
  instance?: string;
}
