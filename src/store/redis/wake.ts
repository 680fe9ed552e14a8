import { Job, type Queue } from 'bullmq';

/** Jobs due within this long get a local timer; later ones rely on BullMQ's delay alone. */
const HORIZON_MS = 60_000;

/**
 * Promotes delayed jobs at their run time from the instance that delayed them. A BullMQ worker
 * meets a delayed job when its blocking read on Redis times out, and Redis checks such timeouts
 * only `hz` times a second (10 by default), so a delayed job starts up to about 100 ms late; a local
 * timer that promotes the job at its time cuts that to a few ms. BullMQ's delay stays the backstop,
 * for jobs delayed by an instance that died or beyond the horizon.
 */
export class DelayedWake {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  /** Promotes job `id` of `queue` at `at` (epoch ms), if it is due within the horizon. */
  arm(queue: Queue, id: string | undefined, at: number): void {
    const wait = at - Date.now();
    if (this.stopped || id === undefined || wait <= 0 || wait > HORIZON_MS) return;
    // One ms after, so the job never runs before its time by rounding.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void promote(queue, id);
    }, wait + 1);
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

async function promote(queue: Queue, id: string): Promise<void> {
  try {
    await (await Job.fromId(queue, id))?.promote();
  } catch {
    // Not delayed any more (running, done, removed, or BullMQ got there first): nothing to wake.
  }
}
