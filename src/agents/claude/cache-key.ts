import { canonicalHash } from '../../canonical-json.js';

/**
 * The response-cache key of a request: sha256 (hex) of its canonical JSON, so two requests that
 * differ only in key order or in absent-versus-undefined fields share an entry.
 */
export function requestCacheKey(request: object): string {
  return canonicalHash(request);
}
