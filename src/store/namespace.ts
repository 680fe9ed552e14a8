import { StoreError } from '../errors.js';

/**
 * Refuses namespaces that would make keys ambiguous. Keys are `namespace:id` (Keyv's format), so
 * with a `:` in a namespace `a` + `b:x` and `a:b` + `x` would share one key, and an empty one
 * leaves Keyv's keys unprefixed.
 */
export function checkNamespace(namespace: string): string {
  if (namespace === '' || namespace.includes(':')) {
    throw new StoreError(`namespace ${JSON.stringify(namespace)} must be non-empty and contain no ":"`);
  }
  return namespace;
}
