import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth and undefined members left out, so two requests
 * that differ only in key order or in absent-versus-undefined fields give the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const members = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

/** The response-cache key of a request: sha256 (hex) of its canonical JSON. */
export function requestCacheKey(request: object): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}
