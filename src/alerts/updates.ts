import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import { describeError, withDelivery } from './attempts.js';
import { type AlertGroups, isBehind } from './groups.js';
import { type AlertSlackPort, RateLimitedError, UnreachableError } from './ports.js';
import type { AlertRecord } from './types.js';
import type { Work } from './work.js';

/** Options of CounterUpdates. */
export interface CounterUpdatesOptions {
  groups: AlertGroups;
  slack: AlertSlackPort;
  clock: Clock;
  logger: Logger;
  work: Work;
  /** Least time between two updates of one message. */
  intervalMs: number;
  /**
   * Least time between any two updates, all messages together: chat.update is rate-limited per
   * workspace (about 50 a minute), so a storm over many messages shares one budget.
   */
  spacingMs: number;
  /** Transient update failures are retried this long, then given up (the post itself stands). */
  giveUpMs: number;
}

interface MessageState {
  /** When the message was last written (posted or updated); the next update waits an interval from it. */
  last: number;
  timer?: TimerHandle;
  running: boolean;
  /** The count moved while an update was armed or running: another one must follow. */
  dirty: boolean;
  failingSince?: number;
}

/** Past this many tracked messages, those idle for an interval are forgotten. */
const SWEEP_ABOVE = 1000;

/**
 * Keeps the storm counter of posted alert messages true: at most one update per message per
 * interval however fast the count moves, and always a last one showing the final count.
 */
export class CounterUpdates {
  private readonly messages = new Map<string, MessageState>();
  private stopped = false;
  /** The earliest time the next update of any message may go. */
  private nextSlot = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: CounterUpdatesOptions) {}

  /** Notes that the message of `target` was just posted: its first update waits an interval. */
  posted(id: string, target: string): void {
    this.state(`${id}|${target}`).last = this.options.clock.now();
  }

  /** Schedules an update of every posted message of `record` that is behind its count. */
  request(record: AlertRecord): void {
    for (const delivery of record.deliveries) {
      if (isBehind(record, delivery)) this.schedule(record.id, delivery.target);
    }
  }

  /** Schedules updates again after `stop()`. */
  start(): void {
    this.stopped = false;
  }

  /** Disarms every armed update. */
  stop(): void {
    this.stopped = true;
    for (const state of this.messages.values()) {
      if (state.timer === undefined) continue;
      this.options.clock.clearTimeout(state.timer);
      state.timer = undefined;
      this.options.work.done();
    }
  }

  private state(key: string): MessageState {
    let state = this.messages.get(key);
    if (!state) {
      if (this.messages.size > SWEEP_ABOVE) this.sweep();
      state = { last: Number.NEGATIVE_INFINITY, running: false, dirty: false };
      this.messages.set(key, state);
    }
    return state;
  }

  private schedule(id: string, target: string): void {
    if (this.stopped) return;
    const { clock, work, intervalMs } = this.options;
    const state = this.state(`${id}|${target}`);
    if (state.timer !== undefined || state.running) {
      state.dirty = true;
      return;
    }
    work.add();
    // Each scheduled update takes the next free slot of the shared budget.
    const at = Math.max(state.last + intervalMs, this.nextSlot, clock.now());
    this.nextSlot = at + this.options.spacingMs;
    state.timer = clock.setTimeout(() => {
      state.timer = undefined;
      void this.run(id, target, state).finally(() => work.done());
    }, at - clock.now());
  }

  private async run(id: string, target: string, state: MessageState): Promise<void> {
    const { groups, slack, clock, logger, intervalMs, giveUpMs } = this.options;
    state.running = true;
    state.dirty = false;
    try {
      const record = await groups.get(id);
      const delivery = record?.deliveries.find((d) => d.target === target);
      if (!record || !delivery?.message || !isBehind(record, delivery)) return;
      try {
        await slack.update(delivery.message, record);
        state.last = clock.now();
        state.failingSince = undefined;
        const written = await groups.write(id, (current) =>
          withDelivery(current, target, (d) => ({
            ...d,
            deliveredCount: Math.max(d.deliveredCount ?? 0, record.count),
          })),
        );
        const now = written.deliveries.find((d) => d.target === target);
        if (now && isBehind(written, now)) state.dirty = true;
      } catch (error) {
        const now = clock.now();
        const transient = error instanceof RateLimitedError || error instanceof UnreachableError;
        state.failingSince ??= now;
        if (transient && now - state.failingSince < giveUpMs) {
          const wait = error instanceof RateLimitedError ? error.retryAfterMs : intervalMs;
          state.last = now + wait - intervalMs;
          // Slack said the whole workspace must wait: so do all the other messages.
          if (error instanceof RateLimitedError) this.nextSlot = Math.max(this.nextSlot, now + wait);
          state.dirty = true;
          logger.warn({ err: error, alertId: id, target }, 'alert counter update failed; will retry');
          return;
        }
        // Given up: the failed try is recorded, which stops further updates of this message.
        const attempt = { at: new Date(now).toISOString(), ok: false, error: `update: ${describeError(error)}` };
        await groups.write(id, (current) =>
          withDelivery(current, target, (d) => ({ ...d, attempts: [...d.attempts, attempt] })),
        );
        logger.error({ err: error, alertId: id, target }, 'alert counter update given up');
      }
    } finally {
      state.running = false;
      if (state.dirty) this.schedule(id, target);
    }
  }

  private sweep(): void {
    const now = this.options.clock.now();
    for (const [key, state] of this.messages) {
      const quiet = state.timer === undefined && !state.running && state.last + this.options.intervalMs <= now;
      if (quiet) this.messages.delete(key);
    }
  }
}
