import type { Clock, TimerHandle } from '../clock.js';

/** Node's timers overflow past 2^31-1 ms (about 24.8 days); longer waits are armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One timer per pending approval, armed from the stored deadline (so a restart re-arms it from
 * the same instant). A deadline already past fires on the next tick.
 */
export class Deadlines {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (id: string) => void,
  ) {}

  /** Arms (or re-arms) the deadline of `id` at `at` (epoch ms). */
  arm(id: string, at: number): void {
    this.disarm(id);
    const delay = Math.max(0, at - this.clock.now());
    const step = Math.min(delay, MAX_TIMER_MS);
    this.timers.set(
      id,
      this.clock.setTimeout(() => {
        this.timers.delete(id);
        if (step < delay) this.arm(id, at);
        else this.onExpire(id);
      }, step),
    );
  }

  disarm(id: string): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.timers.delete(id);
  }

  get size(): number {
    return this.timers.size;
  }

  clear(): void {
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
  }
}
