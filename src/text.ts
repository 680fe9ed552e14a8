/** Where to end a cut at `end` so that no surrogate pair is split. */
export function surrogateSafeEnd(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return end > 0 && code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/** Cuts `text` to at most `max` code units, ending in '…' when cut, never inside a surrogate pair. */
export function truncate(text: string, max: number): string {
  const limit = Math.floor(max);
  if (text.length <= limit) return text;
  if (limit <= 0) return '';
  return `${text.slice(0, surrogateSafeEnd(text, limit - 1))}…`;
}
