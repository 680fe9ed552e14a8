import { CHECKPOINTS_NAMESPACE } from '../agents/checkpoints.js';
import type { TaskCheckpoint } from '../agents/types.js';
import type { RecordStore, Store, Versioned } from '../store/types.js';

/**
 * `store` as the agents of a task service see it: the same data, but every checkpoint they
 * write is also handed to `listener` once stored. This is how the service follows stages as
 * they pass without the runtime knowing about it, and without reading the store in a loop.
 */
export function observeCheckpoints(store: Store, listener: (checkpoint: TaskCheckpoint) => void): Store {
  return {
    records<T extends Versioned>(namespace: string): RecordStore<T> {
      const records = store.records<T>(namespace);
      if (namespace !== CHECKPOINTS_NAMESPACE) return records;
      const tell = (record: T) => listener(record as unknown as TaskCheckpoint);
      return {
        get: (id) => records.get(id),
        findBy: (field, value) => records.findBy(field, value),
        async insert(record) {
          const result = await records.insert(record);
          if (result.created) tell(result.record);
          return result;
        },
        async replace(record, expectedVersion) {
          const replaced = await records.replace(record, expectedVersion);
          if (replaced) tell(record);
          return replaced;
        },
      };
    },
    keyv: (namespace) => store.keyv(namespace),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
