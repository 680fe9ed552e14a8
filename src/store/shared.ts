import { NotFoundError, StoreError } from '../errors.js';
import type {
  Changed,
  Effect,
  IndexSpec,
  Page,
  Query,
  RateLimit,
  RateLimitOptions,
  RecordStore,
  Versioned,
  WatchListener,
} from './types.js';
import { ALL } from './types.js';

/** How many times `update` re-reads after losing a compare-and-swap before it gives up. */
const MAX_UPDATE_ATTEMPTS = 50;
/** A page holds at most this many records. */
export const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

/**
 * The one read-change-compare-and-swap loop, for every backend: `change` may return the next
 * record or `{ record, effects }`; an unchanged record (the same object) writes nothing.
 */
export async function updateRecord<T extends Versioned>(
  store: Pick<RecordStore<T>, 'get' | 'replace'>,
  namespace: string,
  id: string,
  change: (current: T) => T | Changed<T>,
): Promise<T> {
  for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
    const current = await store.get(id);
    if (!current) throw new NotFoundError(namespace, id);
    const result = change(current);
    const { record, effects } = isChanged(result) ? result : { record: result, effects: undefined };
    if (record === current && !effects?.length) return current;
    const next = { ...record, version: current.version + 1 };
    if (await store.replace(next, current.version, effects)) return next;
  }
  throw new StoreError(`${namespace} ${id}: too many concurrent writes`);
}

function isChanged<T>(value: T | Changed<T>): value is Changed<T> {
  return typeof value === 'object' && value !== null && 'record' in value && !('version' in value);
}

/** One index row of a record: found under `value` of index `name`, ordered by `sort`. */
export interface IndexEntry {
  name: string;
  value: string;
  sort: string;
}

/** The index rows a record has under `spec` (plus its row in `ALL`), deduplicated. */
export function indexEntries<T extends Versioned>(spec: IndexSpec<T> | undefined, record: T): IndexEntry[] {
  const sort = sortKeyOf(spec, record);
  const entries: IndexEntry[] = [{ name: ALL, value: '', sort }];
  for (const [name, values] of Object.entries(spec?.indexes ?? {})) {
    for (const value of new Set(values(record))) {
      if (typeof value === 'string') entries.push({ name, value, sort });
    }
  }
  return entries;
}

/** The sort key of a record (its id when the spec names none). */
export function sortKeyOf<T extends Versioned>(spec: IndexSpec<T> | undefined, record: T): string {
  return spec?.sortKey ? spec.sortKey(record) : record.id;
}

/** Checks a query against the declared indexes and fills in its defaults. */
export function normalizeQuery<T extends Versioned>(
  namespace: string,
  spec: IndexSpec<T> | undefined,
  query: Query,
): Required<Pick<Query, 'index' | 'order' | 'limit'>> & { value: string; from?: string; to?: string; after?: Cursor } {
  if (query.index !== ALL && !spec?.indexes?.[query.index]) {
    throw new StoreError(`${namespace} has no index ${JSON.stringify(query.index)}`);
  }
  const limit = query.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new StoreError(`Expected \`limit\` to be a whole number from 1 to ${MAX_PAGE}, got ${limit}`);
  }
  return {
    index: query.index,
    value: query.index === ALL ? '' : (query.value ?? ''),
    order: query.order ?? 'asc',
    limit,
    from: query.from,
    to: query.to,
    after: query.after === undefined ? undefined : decodeCursor(query.after),
  };
}

/** Where a page ended: the sort key and id of its last record. */
export interface Cursor {
  sort: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [sort, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof sort === 'string' && typeof id === 'string') return { sort, id };
  } catch {
    // falls through to the error below
  }
  throw new StoreError(`cursor ${JSON.stringify(text.slice(0, 40))} is not one this store gave`);
}

/** A page from records already in query order, fetched with one extra to know whether more follow. */
export function pageOf<T extends Versioned>(spec: IndexSpec<T> | undefined, rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    next: rows.length > limit && last ? encodeCursor({ sort: sortKeyOf(spec, last), id: last.id }) : null,
  };
}

/** True when (sort, id) comes after the cursor in the query's order. */
export function isAfter(order: 'asc' | 'desc', cursor: Cursor | undefined, sort: string, id: string): boolean {
  if (!cursor) return true;
  const cmp = compareKeys(sort, id, cursor.sort, cursor.id);
  return order === 'asc' ? cmp > 0 : cmp < 0;
}

/** Orders by sort key, then id, comparing code units (as SQL's BINARY collation and Redis do for ASCII). */
export function compareKeys(sortA: string, idA: string, sortB: string, idB: string): number {
  if (sortA !== sortB) return sortA < sortB ? -1 : 1;
  if (idA !== idB) return idA < idB ? -1 : 1;
  return 0;
}

/** Backoff of a failed effect: `minMs` doubling per attempt, at most `maxMs`, with ±20 % jitter. */
export function backoffMs(attempts: number, retry: { minMs?: number; maxMs?: number } = {}): number {
  const min = retry.minMs ?? 1000;
  const max = retry.maxMs ?? 300_000;
  const base = Math.min(max, min * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The same key twice in one write is one effect (the first wins). */
export function uniqueEffects(effects: Effect[] | undefined): Effect[] {
  if (!effects?.length) return [];
  const seen = new Map<string, Effect>();
  for (const effect of effects) if (!seen.has(effect.key)) seen.set(effect.key, effect);
  return [...seen.values()];
}

/** The answer of a rate-limiter-flexible `consume` (resolved or rejected) as ms to wait: 0 when allowed. */
export async function waitOf(consume: Promise<unknown>): Promise<number> {
  try {
    await consume;
    return 0;
  } catch (rejection) {
    const wait = (rejection as { msBeforeNext?: unknown }).msBeforeNext;
    if (typeof wait === 'number') return Math.max(1, wait);
    throw rejection;
  }
}

/**
 * What identifies a spec across processes and builds: its index names, whether it has a sort key,
 * and its version. Not the functions' source, which differs between the TypeScript sources and
 * the compiled build and would rebuild every index at each switch.
 */
export function specSignature<T extends Versioned>(spec: IndexSpec<T> | undefined): string {
  return JSON.stringify({
    indexes: Object.keys(spec?.indexes ?? {}).sort(),
    sortKey: spec?.sortKey !== undefined,
    version: spec?.version ?? 1,
  });
}

/** Every backend's watchers: listeners by namespace, told of a changed id (a throwing one is reported, never stops the others). */
export class WatchListeners {
  private readonly byNamespace = new Map<string, Set<WatchListener>>();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Adds `listener` for `namespace`; returns the unsubscribe. */
  add(namespace: string, listener: WatchListener): () => void {
    const set = this.byNamespace.get(namespace) ?? new Set<WatchListener>();
    this.byNamespace.set(namespace, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byNamespace.get(namespace) === set) this.byNamespace.delete(namespace);
    };
  }

  /** True while anyone watches `namespace`. */
  has(namespace: string): boolean {
    return this.byNamespace.has(namespace);
  }

  /** Namespaces someone watches. */
  namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }

  get size(): number {
    return this.byNamespace.size;
  }

  notify(namespace: string, id: string): void {
    for (const listener of this.byNamespace.get(namespace) ?? []) {
      try {
        listener(id);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

/**
 * Shared rate limits by name, each made once by `make` (a rate-limiter-flexible limiter on the
 * backend's own connection) and answered as ms to wait.
 */
export function rateLimits(
  make: (name: string, options: RateLimitOptions) => { consume(key: string): Promise<unknown> },
): (name: string, options: RateLimitOptions) => RateLimit {
  const made = new Map<string, { consume(key: string): Promise<unknown> }>();
  return (name, options) => {
    let limiter = made.get(name);
    if (!limiter) {
      limiter = make(name, options);
      made.set(name, limiter);
    }
    const chosen = limiter;
    return { take: (key) => waitOf(chosen.consume(key)) };
  };
}
