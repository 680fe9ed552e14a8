import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { RecordStore, Store, Versioned } from '../store/types.js';

interface InstanceRecord extends Versioned {
  host: string;
  pid: number;
  startedAt: string;
  lastSeen: string;
}

/** Who runs tasks, as the task service needs to know it: this instance, and whether another is alive. */
export interface InstanceLeases {
  /** This instance's id, stamped on the tasks it runs. */
  readonly id: string;
  /** True while `id` heartbeats within its lease. */
  isAlive(id: string): Promise<boolean>;
}

/**
 * Instances on a shared store, each heartbeating a record every third of its lease: task recovery
 * takes over only the tasks of instances whose lease ran out, never those of a live one.
 */
export class StoreInstanceLeases implements InstanceLeases {
  readonly id: string;
  private readonly records: RecordStore<InstanceRecord>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    store: Store,
    private readonly clock: Clock,
    private readonly leaseMs: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.records = store.records<InstanceRecord>('instances');
    this.id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  }

  async isAlive(id: string): Promise<boolean> {
    if (id === this.id) return true;
    const record = await this.records.get(id);
    return record !== undefined && Date.parse(record.lastSeen) + this.leaseMs > this.clock.now();
  }

  /** Writes the first heartbeat, then one every third of the lease (real time, unref'd). */
  async start(): Promise<void> {
    const now = new Date(this.clock.now()).toISOString();
    await this.records.insert({
      id: this.id,
      version: 1,
      host: hostname(),
      pid: process.pid,
      startedAt: now,
      lastSeen: now,
    });
    this.timer = setInterval(
      () => {
        this.records
          .update(this.id, (r) => ({ ...r, lastSeen: new Date(this.clock.now()).toISOString() }))
          .catch(this.onError);
      },
      Math.max(250, this.leaseMs / 3),
    ).unref();
  }

  /** Stops heartbeating and removes this instance's record (its tasks are left for recovery). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.records.delete(this.id).catch(this.onError);
  }
}
