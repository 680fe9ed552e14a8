/** Timers fire this much after a slot's end, so the database's `start_after < now()` already holds. */
const WAKE_MARGIN_MS = 5;
const SLOT_MS = 10;
/** At most this many timers per instance; later run times are found by polling. */
const MAX_TIMERS = 10_000;

/**
 * Wake-up timers at effects' run times: one per kind and 10 ms slot, firing at the slot's end (every
 * run time in it is due by then), unref'd so they never hold the process open.
 */
export class WakeTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** Calls `fire` once the slot holding `runAt` has passed (a no-op when that slot already has a timer). */
  at(kind: string, runAt: number, fire: () => void): void {
    const end = Math.ceil(runAt / SLOT_MS) * SLOT_MS;
    const slot = `${kind}\n${end}`;
    if (this.timers.has(slot) || this.timers.size >= MAX_TIMERS) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(slot);
        fire();
      },
      end - Date.now() + WAKE_MARGIN_MS,
    );
    timer.unref();
    this.timers.set(slot, timer);
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
