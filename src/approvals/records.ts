import { NotFoundError, StoreError } from '../errors.js';
import type { RecordStore } from '../store/types.js';
import type { ApprovalRecord } from './types.js';

const MAX_WRITE_ATTEMPTS = 25;

/** The approvals in the store, changed only by compare-and-swap. */
export class ApprovalRecords {
  constructor(readonly store: RecordStore<ApprovalRecord>) {}

  /** The stored approval, or a NotFoundError. */
  async get(id: string): Promise<ApprovalRecord> {
    const record = await this.store.get(id);
    if (!record) throw new NotFoundError('approval', id);
    return record;
  }

  /** Read, change, compare-and-swap; again if another writer got in between. `change` may throw to give up. */
  async write(id: string, change: (record: ApprovalRecord) => ApprovalRecord): Promise<ApprovalRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      const next = { ...change(current), version: current.version + 1 };
      if (await this.store.replace(next, current.version)) return next;
    }
    throw new StoreError(`approval ${id}: too many concurrent writes`);
  }
}
