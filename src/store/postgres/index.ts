import type { Store, StoreOptions } from '../types.js';
import { PostgresStore } from './store.js';

export { PostgresStore } from './store.js';

/** Opens `postgres://…` / `postgresql://…` (`?schema=name`, default `public`); loaded only when such a URL is used. */
export function open(url: string, options: StoreOptions): Promise<Store> {
  return PostgresStore.open(url, options);
}
