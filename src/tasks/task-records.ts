import { StoreError } from '../errors.js';
import type { RecordStore, Store } from '../store/types.js';
import { TASKS_NAMESPACE, type TaskRecord } from './types.js';

const MAX_WRITE_ATTEMPTS = 25;

/** Enough to make a record for a task that has none (one started through the library). */
export interface TaskRecordSeed {
  id: string;
  agent: string;
  startedBy?: string;
  startedAt?: string;
}

/** Task records over the store's atomic records: every change is read, change, compare-and-swap. */
export class TaskRecords {
  private readonly records: RecordStore<TaskRecord>;

  constructor(store: Store) {
    this.records = store.records<TaskRecord>(TASKS_NAMESPACE);
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    return this.records.get(taskId);
  }

  /** Stores `record` as the task's, replacing any left over from a task that never started. */
  async put(record: Omit<TaskRecord, 'version'>): Promise<TaskRecord> {
    const { record: stored, created } = await this.records.insert({ ...record, version: 1 });
    if (created) return stored;
    return this.change(record.id, () => record);
  }

  /** Applies `change` to the stored record (made from `seed` when there is none); retried on a race. */
  async change(
    taskId: string,
    change: (record: TaskRecord) => Omit<TaskRecord, 'version'>,
    seed?: TaskRecordSeed,
  ): Promise<TaskRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.records.get(taskId);
      if (!current) {
        if (!seed) throw new StoreError(`task ${taskId} has no record`);
        const fresh = change(blank(seed));
        const { created, record } = await this.records.insert({ ...fresh, version: 1 });
        if (created) return record;
        continue;
      }
      const next = { ...change(current), version: current.version + 1 };
      if (await this.records.replace(next, current.version)) return next;
    }
    throw new StoreError(`task ${taskId}: too many concurrent writes`);
  }
}

function blank(seed: TaskRecordSeed): TaskRecord {
  return {
    id: seed.id,
    agent: seed.agent,
    startedBy: seed.startedBy ?? 'unknown',
    channel: null,
    message: null,
    durations: {},
    interruptedAt: null,
    createdAt: seed.startedAt ?? new Date(0).toISOString(),
    version: 0,
  };
}
