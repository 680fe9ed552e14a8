import { StoreError } from '../../errors.js';
import {
  type Cursor,
  indexEntries,
  normalizeQuery,
  pageOf,
  specSignature,
  uniqueEffects,
  updateRecord,
} from '../shared.js';
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
import type { RedisKeys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** What a record collection needs from its store: the connection, keys and what follows a commit. */
export interface RecordHost {
  readonly redis: ScriptedRedis;
  readonly keys: RedisKeys;
  /** The JSON published on the changes channel for a change of `id`. */
  changeMessage(namespace: string, id: string): string;
  /** The outbox arguments of a write: effect count, the triples and their check times. */
  effectArgs(effects: Effect[]): Array<string | number>;
  /** After a commit: local watchers, and jobs for the effects the write recorded. */
  committed(namespace: string, id: string, effects: Effect[], recorded: string[]): Promise<void>;
  /** True when `signature` is not the index spec the namespace's entries were last written with. */
  specChanged(namespace: string, signature: string): Promise<boolean>;
  /** Records that the namespace's entries are now written with `signature`. */
  specWritten(namespace: string, signature: string): Promise<void>;
}

const NUL = '\0';

/**
 * A record collection in Redis: each record a hash (version, body, its index entries), each index
 * value a sorted set of `sort\0id` members at score 0, so ZRANGEBYLEX pages it in sort-key order
 * (ties by id). Index entries are computed here and handed to the Lua scripts that write them.
 */
export class RedisRecordStore<T extends Versioned> implements RecordStore<T> {
  /** Settles once the stored index entries follow this spec (rebuilt first when the spec changed). */
  private indexed: Promise<void> | null = null;

  constructor(
    private readonly host: RecordHost,
    private readonly namespace: string,
    private readonly spec: IndexSpec<T> | undefined,
  ) {}

  async get(id: string): Promise<T | undefined> {
    const body = await this.call(() => this.host.redis.hget(this.key(id), 'b'));
    return body === null ? undefined : (JSON.parse(body) as T);
  }

  async insert(record: T, effects?: Effect[]): Promise<{ record: T; created: boolean }> {
    const owed = uniqueEffects(effects);
    const result = await this.call(() =>
      this.host.redis.ghInsert(...this.writeKeys(record.id), ...this.writeArgs(record), ...this.host.effectArgs(owed)),
    );
    if (result[0] === 0) return { record: JSON.parse(result[1]) as T, created: false };
    await this.host.committed(this.namespace, record.id, owed, result[1]);
    return { record, created: true };
  }

  async replace(record: T, expectedVersion: number, effects?: Effect[]): Promise<boolean> {
    const owed = uniqueEffects(effects);
    const result = await this.call(() =>
      this.host.redis.ghReplace(
        ...this.writeKeys(record.id),
        ...this.writeArgs(record),
        ...this.host.effectArgs(owed),
        String(expectedVersion),
      ),
    );
    if (result[0] === 0) return false;
    await this.host.committed(this.namespace, record.id, owed, result[1]);
    return true;
  }

  update(id: string, change: (current: T) => T | Changed<T>): Promise<T> {
    return updateRecord(this, this.namespace, id, change);
  }

  async delete(id: string): Promise<boolean> {
    const { redis, keys } = this.host;
    const deleted = await this.call(() =>
      redis.ghDelete(this.key(id), keys.changes, this.host.changeMessage(this.namespace, id)),
    );
    if (deleted === 1) await this.host.committed(this.namespace, id, [], []);
    return deleted === 1;
  }

  async query(query: Query): Promise<Page<T>> {
    const q = normalizeQuery(this.namespace, this.spec, query);
    const [min, max] = q.order === 'asc' ? ascending(q.from, q.to, q.after) : descending(q.from, q.to, q.after);
    const bodies = await this.call(() =>
      this.host.redis.ghPage(
        this.host.keys.index(this.namespace, q.index, q.value),
        min,
        max,
        q.limit + 1,
        q.order === 'desc' ? '1' : '0',
        this.host.keys.recordPrefix(this.namespace),
      ),
    );
    return pageOf(
      this.spec,
      bodies.map((body) => JSON.parse(body) as T),
      q.limit,
    );
  }

  async count(index: string, value = ''): Promise<number> {
    const q = normalizeQuery(this.namespace, this.spec, { index, value });
    return this.call(() => this.host.redis.zcard(this.host.keys.index(this.namespace, q.index, q.value)));
  }

  async findBy(field: keyof T & string, value: string): Promise<T[]> {
    const indexed = this.spec?.indexes?.[field] !== undefined;
    const found: T[] = [];
    let after: string | undefined;
    do {
      const page = await this.query(
        indexed ? { index: field, value, limit: 1000, after } : { index: ALL, limit: 1000, after },
      );
      found.push(...(indexed ? page.items : page.items.filter((record) => record[field] === value)));
      after = page.next ?? undefined;
    } while (after);
    return found;
  }

  private key(id: string): string {
    return this.host.keys.record(this.namespace, id);
  }

  private writeKeys(id: string): string[] {
    const { keys } = this.host;
    return [this.key(id), keys.outbox, keys.outboxCheck, keys.outboxOwed, keys.changes];
  }

  /** Version, body, index entries and change message of a record write. */
  private writeArgs(record: T): string[] {
    return [
      String(record.version),
      JSON.stringify(record),
      this.entriesOf(record),
      this.host.changeMessage(this.namespace, record.id),
    ];
  }

  /** The JSON list of [index key, member] a record is found under, as the scripts store it. */
  private entriesOf(record: T): string {
    const entries = indexEntries(this.spec, record).map((entry) => {
      if (entry.sort.includes(NUL)) throw new StoreError(`${this.namespace} ${record.id}: a sort key may not hold NUL`);
      return [this.host.keys.index(this.namespace, entry.name, entry.value), `${entry.sort}${NUL}${record.id}`];
    });
    return JSON.stringify(entries);
  }

  /**
   * Rebuilds every record's index entries when the namespace was last written with another spec
   * (an index added or changed by a new release), so queries never miss older records.
   */
  private reindexOnce(): Promise<void> {
    this.indexed ??= this.reindexIfChanged().catch((error: unknown) => {
      this.indexed = null;
      throw error;
    });
    return this.indexed;
  }

  private async reindexIfChanged(): Promise<void> {
    const signature = specSignature(this.spec);
    if (!(await this.host.specChanged(this.namespace, signature))) return;
    const { redis, keys } = this.host;
    // Every record has a member in the ALL index, so its set names them all without a keyspace scan.
    const all = keys.index(this.namespace, ALL, '');
    let cursor = '0';
    do {
      const [next, flat] = await redis.zscan(all, cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const member = flat[i] ?? '';
        const key = this.key(member.slice(member.indexOf(NUL) + 1));
        const [version, body] = await redis.hmget(key, 'v', 'b');
        if (typeof version !== 'string' || typeof body !== 'string') continue;
        let entries: string;
        try {
          entries = this.entriesOf(JSON.parse(body) as T);
        } catch {
          // A record its spec cannot read stays reachable by id; it never stops the others.
          continue;
        }
        await redis.ghReindex(key, version, entries);
      }
    } while (cursor !== '0');
    await this.host.specWritten(this.namespace, signature);
  }

  private async call<R>(fn: () => Promise<R>): Promise<R> {
    try {
      await this.reindexOnce();
      return await fn();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`Redis ${this.namespace}: ${(error as Error).message}`, { cause: error });
    }
  }
}

const member = (cursor: Cursor) => `${cursor.sort}${NUL}${cursor.id}`;

/** ZRANGEBYLEX bounds of an ascending page: sort keys in [from, to), after the cursor. */
function ascending(from?: string, to?: string, after?: Cursor): [string, string] {
  const min =
    after && (from === undefined || after.sort >= from) ? `(${member(after)}` : from === undefined ? '-' : `[${from}`;
  return [min, to === undefined ? '+' : `(${to}`];
}

/** ZREVRANGEBYLEX bounds of a descending page, as [min, max]. */
function descending(from?: string, to?: string, after?: Cursor): [string, string] {
  const max = after && (to === undefined || after.sort < to) ? `(${member(after)}` : to === undefined ? '+' : `(${to}`;
  return [from === undefined ? '-' : `[${from}`, max];
}
