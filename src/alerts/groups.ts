import { EventEmitter } from 'node:events';
import { StoreError } from '../errors.js';
import type { Effect, IndexSpec, RecordStore, Versioned } from '../store/types.js';
import type { Occurrence } from './render.js';
import { ALERT_KINDS } from './schema.js';
import type { AlertRecord, Delivery } from './types.js';

/** Which group a dedup key currently counts into, and since when. Stored as `dedup:<key>`. */
interface DedupIndex extends Versioned {
  groupId: string;
  firstSeen: string;
}

const MAX_WRITE_ATTEMPTS = 25;

/** Whether a posted Slack message is behind the group's count (and the last try did not fail for good). */
export function isBehind(record: AlertRecord, delivery: Delivery): boolean {
  return (
    delivery.status === 'sent' &&
    delivery.message !== undefined &&
    (delivery.deliveredCount ?? 0) < record.count &&
    delivery.attempts.at(-1)?.ok !== false
  );
}

/** `pending` while something is left to deliver or a posted counter to update. */
export function stateOf(record: AlertRecord): 'pending' | 'done' | 'undelivered' {
  if (record.state === 'undelivered' && !record.deliveries.some((d) => d.status === 'sent')) return 'undelivered';
  const open = record.deliveries.some((delivery) => delivery.status === 'pending' || isBehind(record, delivery));
  return open ? 'pending' : 'done';
}

/** How alerts are found without scanning (their dedup rows share the namespace and have none of these). */
export const alertIndexes: IndexSpec<AlertRecord> = {
  indexes: { state: (r) => [r.state], taskId: (r) => [r.taskId], kind: (r) => [r.kind] },
  sortKey: (r) => r.lastSeen ?? '',
};

/**
 * Alert groups in the record store. Occurrences of one dedup key within the window count into
 * one group; the key's current group is named by an index record (`dedup:<key>`) in the same
 * collection, claimed by compare-and-swap, so two processes racing on a new key still make one
 * group. Index records carry no `kind`, `state` or `taskId`, so no query for alerts returns them.
 */
export class AlertGroups {
  private readonly index: RecordStore<DedupIndex>;
  /** Occurrences of one key in this process go one at a time: no write races among themselves. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly writes = new EventEmitter().setMaxListeners(0);
  /** Effects a new group owes (its delivery), when the store runs effects. */
  owedByNew: (record: AlertRecord) => Effect[] = () => [];

  constructor(
    private readonly store: RecordStore<AlertRecord>,
    private readonly windowMs: number,
    private readonly newId: () => string,
  ) {
    // Same collection, other shape: the index shares the store so it survives restarts with it.
    this.index = store as unknown as RecordStore<DedupIndex>;
  }

  /**
   * Counts one occurrence: into the key's group when it started less than a window ago, else
   * into a new group built by `create(id, firstSeen)`. `created` says which.
   */
  occur(
    occurrence: Occurrence,
    now: number,
    create: (id: string, firstSeen: string) => Promise<AlertRecord>,
  ): Promise<{ record: AlertRecord; created: boolean }> {
    return this.serialize(occurrence.dedupKey, async () => {
      const indexId = `dedup:${occurrence.dedupKey}`;
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const current = await this.index.get(indexId);
        let target = current;
        if (!current || now - Date.parse(current.firstSeen) >= this.windowMs) {
          const next = {
            id: indexId,
            groupId: this.newId(),
            firstSeen: new Date(now).toISOString(),
            version: (current?.version ?? 0) + 1,
          };
          const claimed = current
            ? await this.index.replace(next, current.version)
            : (await this.index.insert(next)).created;
          if (!claimed) continue;
          target = next;
        }
        if (!target) continue;
        // Whoever claimed the key may not have stored the group yet (or died first): store it.
        if (!(await this.store.get(target.groupId))) {
          const created = await create(target.groupId, target.firstSeen);
          const inserted = await this.store.insert(created, this.owedByNew(created));
          if (inserted.created) return { record: inserted.record, created: true };
        }
        const record = await this.write(target.groupId, (group) => addOccurrence(group, occurrence, now));
        return { record, created: false };
      }
      throw new StoreError(`alert group ${occurrence.dedupKey}: too many concurrent writes`);
    });
  }

  /** The stored group, or undefined. */
  get(id: string): Promise<AlertRecord | undefined> {
    return this.store.get(id);
  }

  /** Read, change, compare-and-swap (again if another writer got in between); keeps `state` true. */
  async write(id: string, change: (record: AlertRecord) => AlertRecord): Promise<AlertRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.store.get(id);
      if (!current) throw new StoreError(`alert ${id} vanished`);
      const changed = change(current);
      const next = { ...changed, state: stateOf(changed), version: current.version + 1 };
      if (await this.store.replace(next, current.version)) {
        this.writes.emit(id, next);
        return next;
      }
    }
    throw new StoreError(`alert ${id}: too many concurrent writes`);
  }

  /** Every group with something left to deliver. */
  /** Calls `listener` after every write of group `id` by this process. Returns the unsubscribe. */
  onWrite(id: string, listener: (record: AlertRecord) => void): () => void {
    this.writes.on(id, listener);
    return () => this.writes.off(id, listener);
  }

  pending(): Promise<AlertRecord[]> {
    return this.store.findBy('state', 'pending');
  }

  /** Stored groups, last seen first. */
  async list(options: { since?: Date | string; taskId?: string; limit?: number } = {}): Promise<AlertRecord[]> {
    const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
    const limit = Math.min(Math.max(1, options.limit ?? 100), 1000);
    if (options.taskId !== undefined) {
      return (await this.store.query({ index: 'taskId', value: options.taskId, order: 'desc', from: since, limit }))
        .items;
    }
    // By kind (the dedup rows sharing the namespace have none): one indexed page per kind, merged.
    const pages = await Promise.all(
      ALERT_KINDS.map((kind) => this.store.query({ index: 'kind', value: kind, order: 'desc', from: since, limit })),
    );
    return pages
      .flatMap((p) => p.items)
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen) || b.firstSeen.localeCompare(a.firstSeen))
      .slice(0, limit);
  }

  private serialize<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const result = previous.then(run, run);
    const tail = result.catch(() => {});
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return result;
  }
}

/** One more occurrence: the count and last-seen time move, and the text shows the latest one. */
function addOccurrence(group: AlertRecord, occurrence: Occurrence, now: number): AlertRecord {
  const lastSeen = new Date(Math.max(now, Date.parse(group.lastSeen))).toISOString();
  return {
    ...group,
    title: occurrence.title,
    message: occurrence.message,
    error: occurrence.error,
    currentCost: occurrence.currentCost,
    budget: occurrence.budget,
    percent: occurrence.percent,
    durationSeconds: occurrence.durationSeconds,
    count: group.count + 1,
    lastSeen,
  };
}
