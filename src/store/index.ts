import { ConfigError } from '../errors.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store, StoreOptions } from './types.js';

export { MemoryStore } from './memory.js';
export { SqliteStore } from './sqlite.js';
export type {
  Changed,
  Effect,
  EffectHandler,
  EffectQueue,
  IndexSpec,
  Page,
  Query,
  RecordStore,
  Store,
  StoredEffect,
  StoreOptions,
  Versioned,
} from './types.js';
export { ALL, RetryLater } from './types.js';

/** A backend that opens `postgres://` or `redis://` URLs, registered by its module. */
export type StoreOpener = (url: string, options: StoreOptions) => Promise<Store>;
const openers = new Map<string, () => Promise<StoreOpener>>();

/** Makes `createStore` open URLs of `scheme` with a backend loaded on first use (drivers stay unloaded otherwise). */
export function registerStoreBackend(scheme: string, load: () => Promise<StoreOpener>): void {
  openers.set(scheme, load);
}

registerStoreBackend('postgres', () => import('./postgres/index.js').then((m) => m.open));
registerStoreBackend('redis', () => import('./redis/index.js').then((m) => m.open));

/**
 * Opens the store named by `STORE_URL`: `sqlite://path` (default), `memory://`, or a registered
 * backend (`postgres://…`, `redis://…`).
 */
export async function createStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const scheme = url.split(':', 1)[0] ?? '';
  switch (scheme) {
    case 'sqlite':
      return new SqliteStore(url, options);
    case 'memory':
      return new MemoryStore(options);
    default: {
      const load = openers.get(scheme === 'postgresql' ? 'postgres' : scheme);
      if (load) return (await load())(url, options);
      throw new ConfigError([
        {
          field: 'STORE_URL',
          message: `unsupported store ${JSON.stringify(scheme)}: use sqlite://path/to/file.sqlite, postgres://… or redis://…`,
        },
      ]);
    }
  }
}
