import { StoreError, ValidationError } from './errors.js';
import type { Page } from './query-kit.js';

/** One ordered source of a merged list: an indexed store query resumed with the store's own cursor. */
export interface ListSource<T> {
  /** Names the source inside the list's cursor (e.g. the status it lists). */
  key: string;
  /** Up to `limit` records after `after` (the store's `next`), in the list's order. */
  page(after: string | undefined, limit: number): Promise<{ items: T[]; next: string | null }>;
}

/** Per source: where to resume (a store cursor), `null` once it is exhausted; absent: from its start. */
type Positions = Record<string, string | null>;

const badCursor = () =>
  new ValidationError([{ field: 'cursor', message: 'is not a cursor this list handed out (use nextCursor)' }]);

function decode(cursor: string, keys: ReadonlySet<string>): Positions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badCursor();
  const positions = parsed as Record<string, unknown>;
  for (const [key, value] of Object.entries(positions)) {
    if (!keys.has(key) || (value !== null && typeof value !== 'string')) throw badCursor();
  }
  return positions as Positions;
}

const encode = (positions: Positions): string => Buffer.from(JSON.stringify(positions), 'utf8').toString('base64url');

/**
 * One page of a list made of a few indexed queries (one per asked status, say), merged in order.
 * Every source reads at most `limit` records, so the cost follows the page, not the history.
 * The cursor holds each source's own store cursor: a source whose records were only partly
 * shown is read again up to the last one shown, to get the store's cursor at that point.
 */
export async function mergedPage<T extends { id: string }>(
  sources: readonly ListSource<T>[],
  compare: (a: T, b: T) => number,
  limit: number,
  cursor?: string,
): Promise<Page<T>> {
  const positions = cursor === undefined ? {} : decode(cursor, new Set(sources.map((s) => s.key)));
  try {
    const active = sources.filter((source) => positions[source.key] !== null);
    const pages = await Promise.all(
      active.map(async (source) => ({ source, ...(await source.page(positions[source.key] ?? undefined, limit)) })),
    );
    const merged = pages
      .flatMap(({ source, items }) => items.map((item) => ({ item, key: source.key })))
      .sort((a, b) => compare(a.item, b.item));
    const shown = merged.slice(0, limit);
    const more = merged.length > limit || pages.some((p) => p.next !== null);
    if (!more) return { items: shown.map((entry) => entry.item), nextCursor: null };
    const next: Positions = { ...positions };
    for (const { source, items, next: storeNext } of pages) {
      const taken = shown.filter((entry) => entry.key === source.key).length;
      if (taken === 0) continue;
      next[source.key] =
        taken === items.length ? storeNext : (await source.page(positions[source.key] ?? undefined, taken)).next;
    }
    return { items: shown.map((entry) => entry.item), nextCursor: encode(next) };
  } catch (error) {
    // A store cursor inside a well-formed list cursor that the store does not take: tampered with.
    if (error instanceof StoreError && cursor !== undefined && error.message.startsWith('cursor ')) throw badCursor();
    throw error;
  }
}
