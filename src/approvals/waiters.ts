import type { Clock, TimerHandle } from '../clock.js';
import type { ApprovalRecord } from './types.js';

/** How often waiters re-read their approvals, in case a cross-instance notification was dropped. */
export const BACKSTOP_MS = 5000;

type Listener = (record: ApprovalRecord) => void;

/**
 * Who waits for which approval in this process. Woken with the decided record by a local commit
 * at once, by the store's change notification for decisions made on other instances, and by a
 * backstop re-read every few seconds; each listener is called once.
 */
export class Waiters {
  private readonly byId = new Map<string, Set<Listener>>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly read: (ids: string[]) => Promise<ApprovalRecord[]>,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Calls `listener` once with the record when it is decided. Subscribe before reading. Returns the unsubscribe. */
  add(id: string, listener: Listener): () => void {
    const set = this.byId.get(id) ?? new Set<Listener>();
    this.byId.set(id, set);
    set.add(listener);
    this.arm();
    return () => this.remove(id, listener);
  }

  /** Number of approvals someone waits for here. */
  get size(): number {
    return this.byId.size;
  }

  /** A decided record: every waiter of its id is answered. */
  decided(record: ApprovalRecord): void {
    if (record.status === 'pending') return;
    const set = this.byId.get(record.id);
    if (!set) return;
    this.byId.delete(record.id);
    for (const listener of set) listener(record);
  }

  /** An approval changed somewhere: re-read it if anyone here waits for it. */
  changed(id: string): void {
    if (!this.byId.has(id)) return;
    this.read([id]).then((records) => {
      for (const record of records) this.decided(record);
    }, this.onError);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private remove(id: string, listener: Listener): void {
    const set = this.byId.get(id);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.byId.delete(id);
  }

  private arm(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.byId.size === 0) return;
      this.read([...this.byId.keys()])
        .then((records) => {
          for (const record of records) this.decided(record);
        }, this.onError)
        .finally(() => {
          if (this.byId.size > 0) this.arm();
        });
    }, BACKSTOP_MS);
  }
}
