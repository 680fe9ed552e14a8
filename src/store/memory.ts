import { EventEmitter } from 'node:events';
import Keyv from 'keyv';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { systemClock } from '../clock.js';
import { LocalEffectQueue, type OutboxTable } from './local-effects.js';
import { checkNamespace } from './namespace.js';
import {
  compareKeys,
  type IndexEntry,
  indexEntries,
  isAfter,
  normalizeQuery,
  pageOf,
  rateLimits,
  uniqueEffects,
  updateRecord,
} from './shared.js';
import {
  ALL,
  type Changed,
  type Effect,
  type IndexSpec,
  type Page,
  type Query,
  type RecordStore,
  type Store,
  type StoredEffect,
  type StoreOptions,
  type Versioned,
  type WatchListener,
} from './types.js';

interface Row {
  json: string;
  entries: IndexEntry[];
}

/** A record collection in a Map: atomic because every operation completes synchronously. */
export class MemoryRecordStore<T extends Versioned> implements RecordStore<T> {
  private readonly rows = new Map<string, Row>();
  /** index name → value → ids */
  private readonly index = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly namespace: string,
    private spec: IndexSpec<T> | undefined,
    private readonly outbox: MemoryOutbox,
    private readonly changed: (id: string) => void,
  ) {}

  async get(id: string): Promise<T | undefined> {
    const row = this.rows.get(id);
    return row === undefined ? undefined : (JSON.parse(row.json) as T);
  }

  async insert(record: T, effects?: Effect[]): Promise<{ record: T; created: boolean }> {
    const existing = this.rows.get(record.id);
    if (existing !== undefined) return { record: JSON.parse(existing.json) as T, created: false };
    this.write(record, effects);
    return { record, created: true };
  }

  async replace(record: T, expectedVersion: number, effects?: Effect[]): Promise<boolean> {
    const existing = this.rows.get(record.id);
    if (existing === undefined || (JSON.parse(existing.json) as T).version !== expectedVersion) return false;
    this.write(record, effects);
    return true;
  }

  update(id: string, change: (current: T) => T | Changed<T>): Promise<T> {
    return updateRecord(this, this.namespace, id, change);
  }

  async delete(id: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row) return false;
    this.unindex(id, row.entries);
    this.rows.delete(id);
    this.changed(id);
    return true;
  }

  async query(query: Query): Promise<Page<T>> {
    const q = normalizeQuery(this.namespace, this.spec, query);
    const ids = q.index === ALL ? [...this.rows.keys()] : [...(this.index.get(q.index)?.get(q.value) ?? [])];
    const matches: Array<{ sort: string; id: string }> = [];
    for (const id of ids) {
      const sort = this.rows.get(id)?.entries[0]?.sort ?? id;
      if (q.from !== undefined && sort < q.from) continue;
      if (q.to !== undefined && sort >= q.to) continue;
      if (!isAfter(q.order, q.after, sort, id)) continue;
      matches.push({ sort, id });
    }
    matches.sort((a, b) => compareKeys(a.sort, a.id, b.sort, b.id) * (q.order === 'asc' ? 1 : -1));
    const rows = matches.slice(0, q.limit + 1).map(({ id }) => JSON.parse(this.rows.get(id)?.json ?? 'null') as T);
    return pageOf(this.spec, rows, q.limit);
  }

  async count(index: string, value = ''): Promise<number> {
    normalizeQuery(this.namespace, this.spec, { index, value });
    return index === ALL ? this.rows.size : (this.index.get(index)?.get(value)?.size ?? 0);
  }

  async findBy(field: keyof T & string, value: string): Promise<T[]> {
    if (this.spec?.indexes?.[field]) {
      return [...(this.index.get(field)?.get(value) ?? [])].map(
        (id) => JSON.parse(this.rows.get(id)?.json ?? 'null') as T,
      );
    }
    const found: T[] = [];
    for (const row of this.rows.values()) {
      const record = JSON.parse(row.json) as T;
      if (record[field] === value) found.push(record);
    }
    return found;
  }

  /** A namespace first opened without indexes gets them from the first caller that declares them. */
  adoptSpec(spec: IndexSpec<T> | undefined): void {
    if (!spec || this.spec) return;
    this.spec = spec;
    for (const [id, row] of this.rows) {
      this.unindex(id, row.entries);
      const record = JSON.parse(row.json) as T;
      row.entries = indexEntries(spec, record);
      this.addIndex(id, row.entries);
    }
  }

  private write(record: T, effects: Effect[] | undefined): void {
    const old = this.rows.get(record.id);
    if (old) this.unindex(record.id, old.entries);
    const entries = indexEntries(this.spec, record);
    this.rows.set(record.id, { json: JSON.stringify(record), entries });
    this.addIndex(record.id, entries);
    this.outbox.insertNow(uniqueEffects(effects));
    this.changed(record.id);
  }

  private addIndex(id: string, entries: IndexEntry[]): void {
    for (const entry of entries) {
      if (entry.name === ALL) continue;
      const values = this.index.get(entry.name) ?? new Map<string, Set<string>>();
      this.index.set(entry.name, values);
      const ids = values.get(entry.value) ?? new Set<string>();
      values.set(entry.value, ids);
      ids.add(id);
    }
  }

  private unindex(id: string, entries: IndexEntry[]): void {
    for (const entry of entries) {
      const ids = this.index.get(entry.name)?.get(entry.value);
      ids?.delete(id);
      if (ids?.size === 0) this.index.get(entry.name)?.delete(entry.value);
    }
  }
}

interface OutboxRow extends StoredEffect {
  owner: string | null;
  leaseUntil: number;
}

/** The outbox of a MemoryStore. */
class MemoryOutbox implements OutboxTable {
  private readonly rows = new Map<string, OutboxRow>();
  onInsert: (effects: Effect[]) => void = () => {};

  constructor(private readonly now: () => number) {}

  insertNow(effects: Effect[]): void {
    if (effects.length === 0) return;
    const now = this.now();
    for (const effect of effects) {
      if (this.rows.has(effect.key)) continue;
      this.rows.set(effect.key, {
        ...structuredClone(effect),
        runAt: effect.runAt ?? now,
        createdAt: now,
        attempts: 0,
        lastError: null,
        owner: null,
        leaseUntil: 0,
      });
    }
    this.onInsert(effects);
  }

  async insert(effects: Effect[]): Promise<void> {
    this.insertNow(uniqueEffects(effects));
  }

  async claim(kind: string, now: number, limit: number, leaseUntil: number, owner: string): Promise<StoredEffect[]> {
    const due = [...this.rows.values()]
      .filter((row) => row.kind === kind && row.runAt <= now && row.leaseUntil <= now)
      .sort((a, b) => a.runAt - b.runAt || a.createdAt - b.createdAt)
      .slice(0, limit);
    return due.map((row) => {
      row.owner = owner;
      row.leaseUntil = leaseUntil;
      const { owner: _owner, leaseUntil: _lease, ...effect } = row;
      return structuredClone(effect);
    });
  }

  async complete(key: string, owner: string): Promise<void> {
    if (this.rows.get(key)?.owner === owner) this.rows.delete(key);
  }

  async reschedule(key: string, owner: string, runAt: number, error: string, failed: boolean): Promise<void> {
    const row = this.rows.get(key);
    if (!row || row.owner !== owner) return;
    Object.assign(row, {
      runAt,
      owner: null,
      leaseUntil: 0,
      lastError: error,
      attempts: row.attempts + (failed ? 1 : 0),
    });
  }

  async nextDue(kinds: string[], now: number): Promise<number | null> {
    let next: number | null = null;
    for (const row of this.rows.values()) {
      if (!kinds.includes(row.kind) || row.runAt <= now) continue;
      if (next === null || row.runAt < next) next = row.runAt;
    }
    return next;
  }

  async owed(kind?: string): Promise<number> {
    let count = 0;
    for (const row of this.rows.values()) if (kind === undefined || row.kind === kind) count++;
    return count;
  }
}

/** Everything in memory: for tests and benchmarks; nothing survives the process. */
export class MemoryStore implements Store {
  private readonly collections = new Map<string, MemoryRecordStore<Versioned>>();
  private readonly namespaces = new Map<string, Keyv>();
  private readonly changes = new EventEmitter().setMaxListeners(0);
  private readonly outbox: MemoryOutbox;
  readonly effects: LocalEffectQueue;

  constructor(options: StoreOptions = {}) {
    const clock = options.clock ?? systemClock;
    this.outbox = new MemoryOutbox(() => clock.now());
    // Nothing else writes to this outbox, so there is nothing to poll for: local writes wake the queue.
    this.effects = new LocalEffectQueue(this.outbox, { pollMs: Number.POSITIVE_INFINITY, ...options, clock });
    this.outbox.onInsert = (effects) => this.effects.recorded(effects);
  }

  records<T extends Versioned>(namespace: string, spec?: IndexSpec<T>): RecordStore<T> {
    checkNamespace(namespace);
    let collection = this.collections.get(namespace);
    if (!collection) {
      collection = new MemoryRecordStore<T>(namespace, spec, this.outbox, (id) =>
        queueMicrotask(() => this.changes.emit(namespace, id)),
      ) as unknown as MemoryRecordStore<Versioned>;
      this.collections.set(namespace, collection);
    } else {
      (collection as unknown as MemoryRecordStore<T>).adoptSpec(spec);
    }
    return collection as unknown as RecordStore<T>;
  }

  watch(namespace: string, listener: WatchListener): () => void {
    checkNamespace(namespace);
    this.changes.on(namespace, listener);
    return () => this.changes.off(namespace, listener);
  }

  keyv(namespace: string): Keyv {
    checkNamespace(namespace);
    let keyv = this.namespaces.get(namespace);
    if (!keyv) {
      keyv = new Keyv({ namespace });
      this.namespaces.set(namespace, keyv);
    }
    return keyv;
  }

  readonly rateLimit = rateLimits(
    (name, { points, durationMs }) => new RateLimiterMemory({ points, duration: durationMs / 1000, keyPrefix: name }),
  );

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    await this.effects.stop();
    this.namespaces.clear();
  }
}
