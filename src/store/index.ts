import { ConfigError } from '../errors.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export { MemoryStore } from './memory.js';
export { SqliteStore } from './sqlite.js';
export type { RecordStore, Store, Versioned } from './types.js';

/**
 * Opens the store named by `STORE_URL`: `sqlite://path` (default) or `memory://`.
 * Redis and PostgreSQL are planned and refused with a clear message until they ship.
 */
export async function createStore(url: string, onError?: (error: unknown) => void): Promise<Store> {
  const scheme = url.split(':', 1)[0];
  switch (scheme) {
    case 'sqlite': {
      const store = new SqliteStore(url, onError);
      await store.init();
      return store;
    }
    case 'memory':
      return new MemoryStore();
    default:
      throw new ConfigError([
        {
          field: 'STORE_URL',
          message: `unsupported store ${JSON.stringify(scheme)}: use sqlite://path/to/file.sqlite (redis:// and postgres:// are not available yet)`,
        },
      ]);
  }
}
