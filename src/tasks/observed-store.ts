import { CHECKPOINTS_NAMESPACE } from '../agents/checkpoints.js';
import type { TaskCheckpoint } from '../agents/types.js';
import { updateRecord } from '../store/shared.js';
import type { IndexSpec, RecordStore, Store, Versioned } from '../store/types.js';

/**
 * `store` as the agents of a task service see it: the same data, but every checkpoint they
 * write is also handed to `listener` once stored. This is how the service follows stages as
 * they pass without the runtime knowing about it, and without reading the store in a loop.
 */
export function observeCheckpoints(store: Store, listener: (checkpoint: TaskCheckpoint) => void): Store {
  return {
    records<T extends Versioned>(namespace: string, spec?: IndexSpec<T>): RecordStore<T> {
      const records = store.records<T>(namespace, spec);
      if (namespace !== CHECKPOINTS_NAMESPACE) return records;
      const tell = (record: T) => listener(record as unknown as TaskCheckpoint);
      const observed: RecordStore<T> = {
        get: (id) => records.get(id),
        findBy: (field, value) => records.findBy(field, value),
        query: (query) => records.query(query),
        count: (index, value) => records.count(index, value),
        delete: (id) => records.delete(id),
        update: (id, change) => updateRecord(observed, namespace, id, change),
        async insert(record, effects) {
          const result = await records.insert(record, effects);
          if (result.created) tell(result.record);
          return result;
        },
        async replace(record, expectedVersion, effects) {
          const replaced = await records.replace(record, expectedVersion, effects);
          if (replaced) tell(record);
          return replaced;
        },
      };
      return observed;
    },
    get effects() {
      return store.effects;
    },
    watch: (namespace, listener) => store.watch(namespace, listener),
    rateLimit: (name, options) => store.rateLimit(name, options),
    keyv: (namespace) => store.keyv(namespace),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
