import { ValidationError } from './errors.js';

/** One page of a newest-first list; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Where a page ended: the sort time and id of its last item. */
export interface CursorPosition {
  at: string;
  id: string;
}

/** An opaque cursor (base64url JSON): callers hand it back, never read it. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor names, or a ValidationError on `cursor`. */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'string')) {
      return { at: parsed[0] as string, id: parsed[1] as string };
    }
  } catch {
    // Not JSON: reported below like any other unreadable cursor.
  }
  throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this list handed out (use nextCursor)' }]);
}

/** The nearest-rank percentile (`p` of 100) of `values`; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

/** The UTC day (YYYY-MM-DD) of an epoch-ms time. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The last `count` UTC days up to and including the day of `now`, oldest first. */
export function utcDays(now: number, count: number): string[] {
  const today = Date.parse(`${utcDay(now)}T00:00:00.000Z`);
  return Array.from({ length: count }, (_, i) => utcDay(today - (count - 1 - i) * 86_400_000));
}
