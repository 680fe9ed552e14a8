import type { ApprovalEvent } from '../approvals/events.js';
import type { ApprovalGate } from '../approvals/gate.js';

/** Someone holding a request open for one approval: a long-poll or an event stream. */
export interface Watcher {
  /** An event of the watched approval. */
  event(event: ApprovalEvent): void;
  /** The server is stopping: answer now. Called once, after which the watcher is already removed. */
  shutdown(): void;
}

/**
 * Every open long-poll and event stream of a router, by approval id, with one gate subscription
 * and one shutdown listener for all of them. A request holds only its entry here (no abort
 * controller, signal or timer chain of its own), so an open wait costs little and a finished one
 * leaves nothing behind. The gate subscription is held only while someone watches.
 */
export class ApprovalWatchers {
  private readonly byId = new Map<string, Set<Watcher>>();
  /** Per watched id: the gate's wake-up for a decision made on any instance, and whether it came. */
  private readonly decisions = new Map<string, { off: () => void; delivered: boolean }>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly gate: Pick<ApprovalGate, 'onEvent' | 'onceDecided'>,
    shutdown?: AbortSignal,
  ) {
    if (shutdown?.aborted) this.stopped = true;
    else shutdown?.addEventListener('abort', () => this.stop(), { once: true });
  }

  /** True once the server is stopping: a new request is answered at once. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Open watchers, all approvals together. */
  get size(): number {
    let n = 0;
    for (const set of this.byId.values()) n += set.size;
    return n;
  }

  /** Watches approval `id`; returns the function that stops watching (safe to call twice). */
  watch(id: string, watcher: Watcher): () => void {
    let set = this.byId.get(id);
    if (!set) {
      set = new Set();
      this.byId.set(id, set);
    }
    set.add(watcher);
    this.unsubscribe ??= this.gate.onEvent((event) => this.deliver(event));
    if (!this.decisions.has(id)) {
      // Events of this process come through onEvent; a decision made on another instance only
      // through the store's change notification, which onceDecided listens to.
      const off = this.gate.onceDecided(id, (record) =>
        this.deliver({
          type: 'decided',
          approvalId: id,
          at: record.decision?.decidedAt ?? new Date().toISOString(),
          actor: record.decision?.decidedBy ?? null,
          data: { status: record.status, via: record.decision?.via ?? null },
          record,
        }),
      );
      this.decisions.set(id, { off, delivered: false });
    }
    return () => this.remove(id, watcher);
  }

  private deliver(event: ApprovalEvent): void {
    const set = this.byId.get(event.approvalId);
    if (!set) return;
    if (event.type === 'decided') {
      // The same decision may arrive both ways: watchers hear it once.
      const decision = this.decisions.get(event.approvalId);
      if (decision?.delivered) return;
      if (decision) decision.delivered = true;
    }
    // A copy: a watcher that answers removes itself while the loop runs.
    for (const watcher of [...set]) watcher.event(event);
  }

  private remove(id: string, watcher: Watcher): void {
    const set = this.byId.get(id);
    if (!set?.delete(watcher)) return;
    if (set.size === 0) {
      this.byId.delete(id);
      this.decisions.get(id)?.off();
      this.decisions.delete(id);
    }
    if (this.byId.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  private stop(): void {
    this.stopped = true;
    const all = [...this.byId.values()].flatMap((set) => [...set]);
    this.byId.clear();
    for (const { off } of this.decisions.values()) off();
    this.decisions.clear();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const watcher of all) watcher.shutdown();
  }
}
