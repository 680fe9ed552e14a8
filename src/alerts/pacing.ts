import type { Clock, TimerHandle } from '../clock.js';
import type { Work } from './work.js';

/** What became of one try at an item, as the pacer's `run` reports it. */
export type PaceOutcome =
  /** Sent (or given up for good): the channel's next item goes one interval after this one started. */
  | { type: 'done' }
  /** Nothing was sent (already delivered, held): the next item goes at once. */
  | { type: 'skip' }
  /** Rate limited: the whole channel waits `ms`, then tries this same item again. */
  | { type: 'pause'; ms: number }
  /** Failed for now: this item steps aside for `ms`, then returns to the head; the others go on. */
  | { type: 'retry'; ms: number };

/** How long an item whose `run` threw steps aside before it is tried again. */
const ERROR_RETRY_MS = 5000;

/** An item to post: `key` identifies it (one queue entry per key), `channel` picks its lane. */
export interface PacedItem {
  key: string;
  channel: string;
}

/** Options of a ChannelPacer. */
export interface PacerOptions<T extends PacedItem> {
  clock: Clock;
  /** Least time between two posts to one channel. */
  intervalMs: number;
  run: (item: T) => Promise<PaceOutcome>;
  /** Called when `run` throws; the item steps aside and is tried again a few seconds later. */
  onError?: (error: unknown, item: T) => void;
  work?: Work;
}

interface Lane<T> {
  queue: T[];
  /** Earliest time the next post may start (epoch ms). */
  nextAt: number;
  timer?: TimerHandle;
  /** The item being tried right now. */
  current?: T;
}

/**
 * One FIFO queue per Slack channel, each posting at most one item per interval. Lanes are
 * independent, so a burst in one channel never delays another, and nothing is dropped: a
 * rate-limited lane pauses and retries the same item. Every timer goes through the clock.
 */
export class ChannelPacer<T extends PacedItem> {
  private readonly lanes = new Map<string, Lane<T>>();
  /** Every item not finished yet: queued, running or stepped aside. */
  private readonly items = new Map<string, T>();
  private readonly aside = new Map<string, TimerHandle>();
  private stopped = false;

  constructor(private readonly options: PacerOptions<T>) {}

  /** Queues `item` (at the head with `front`); false when an item with its key is already in. */
  enqueue(item: T, front = false): boolean {
    if (this.stopped || this.items.has(item.key)) return false;
    this.items.set(item.key, item);
    this.options.work?.add();
    const lane = this.lane(item.channel);
    if (front) lane.queue.unshift(item);
    else lane.queue.push(item);
    void this.pump(item.channel);
    return true;
  }

  /** Drops a queued or stepped-aside item; one being posted right now finishes its try. */
  cancel(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    const timer = this.aside.get(key);
    if (timer !== undefined) {
      this.options.clock.clearTimeout(timer);
      this.aside.delete(key);
      this.release(item);
      return;
    }
    const lane = this.lanes.get(item.channel);
    const index = lane?.queue.indexOf(item) ?? -1;
    if (lane && index >= 0 && lane.current !== item) {
      lane.queue.splice(index, 1);
      this.release(item);
    }
  }

  /** Whether an item with this key is queued, being posted or stepped aside. */
  has(key: string): boolean {
    return this.items.has(key);
  }

  /** Items not finished yet. */
  get size(): number {
    return this.items.size;
  }

  /** Accepts items again after `stop()`. */
  start(): void {
    this.stopped = false;
  }

  /** Disarms every timer and forgets the queues (what they held is still pending in the store). */
  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) {
      if (lane.timer !== undefined) this.options.clock.clearTimeout(lane.timer);
    }
    for (const timer of this.aside.values()) this.options.clock.clearTimeout(timer);
    for (const _ of this.items.values()) this.options.work?.done();
    this.lanes.clear();
    this.aside.clear();
    this.items.clear();
  }

  private lane(channel: string): Lane<T> {
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = { queue: [], nextAt: 0 };
      this.lanes.set(channel, lane);
    }
    return lane;
  }

  private release(item: T): void {
    if (this.items.get(item.key) !== item) return;
    this.items.delete(item.key);
    this.options.work?.done();
  }

  private async pump(channel: string): Promise<void> {
    const lane = this.lanes.get(channel);
    if (!lane || this.stopped || lane.current !== undefined || lane.timer !== undefined) return;
    const head = lane.queue[0];
    if (!head) return;
    const { clock } = this.options;
    const wait = lane.nextAt - clock.now();
    if (wait > 0) {
      lane.timer = clock.setTimeout(() => {
        lane.timer = undefined;
        void this.pump(channel);
      }, wait);
      return;
    }
    lane.current = head;
    const started = clock.now();
    let outcome: PaceOutcome;
    try {
      outcome = await this.options.run(head);
    } catch (error) {
      this.options.onError?.(error, head);
      outcome = { type: 'retry', ms: ERROR_RETRY_MS };
    }
    lane.current = undefined;
    if (this.stopped) return;
    const remove = () => {
      const index = lane.queue.indexOf(head);
      if (index >= 0) lane.queue.splice(index, 1);
    };
    switch (outcome.type) {
      case 'done':
        remove();
        // Counted from the answer, not the request: network jitter can then never bring two
        // posts to Slack closer than the interval.
        lane.nextAt = clock.now() + this.options.intervalMs;
        this.release(head);
        break;
      case 'skip':
        remove();
        this.release(head);
        break;
      case 'pause':
        lane.nextAt = clock.now() + outcome.ms;
        break;
      case 'retry':
        remove();
        lane.nextAt = started + this.options.intervalMs;
        this.stepAside(head, outcome.ms);
        break;
    }
    void this.pump(channel);
  }

  private stepAside(item: T, ms: number): void {
    const timer = this.options.clock.setTimeout(() => {
      this.aside.delete(item.key);
      if (this.items.get(item.key) !== item) return;
      this.lane(item.channel).queue.unshift(item);
      void this.pump(item.channel);
    }, ms);
    this.aside.set(item.key, timer);
  }
}
