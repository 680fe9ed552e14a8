import { hostname } from 'node:os';
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { backoffMs } from './shared.js';
import {
  type Effect,
  type EffectHandler,
  type EffectKindOptions,
  type EffectQueue,
  RetryLater,
  type StoredEffect,
  type StoreOptions,
} from './types.js';

/** The outbox as a backend keeps it (a table in SQLite, a Map in memory); every call is atomic. */
export interface OutboxTable {
  /** Records effects not recorded yet (by key), due at their `runAt`. */
  insert(effects: Effect[], now: number): Promise<void>;
  /** Leases up to `limit` effects of `kind` that are due and not leased by a live claim. */
  claim(kind: string, now: number, limit: number, leaseUntil: number, owner: string): Promise<StoredEffect[]>;
  /** Removes a done effect, if `owner` still holds its lease. */
  complete(key: string, owner: string): Promise<void>;
  /** Releases the lease and sets the next run; `failed` counts an attempt and keeps the error. */
  reschedule(key: string, owner: string, runAt: number, error: string, failed: boolean): Promise<void>;
  /** The earliest run time after `now` of the given kinds' effects, if any. */
  nextDue(kinds: string[], now: number): Promise<number | null>;
  owed(kind?: string): Promise<number>;
}

interface Kind {
  handler: EffectHandler;
  concurrency: number;
  running: number;
}

const DEFAULT_CONCURRENCY = 8;
/** Node's timers overflow past 2^31-1 ms (about 24.8 days); a longer wait ends early and re-arms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Effects run in this process from the backend's outbox: claimed with a lease (so several processes
 * on one SQLite file never run one effect at once, and a dead process's claims expire), retried with
 * backoff, woken by local writes and by a timer at the next run time, and polled now and then for
 * work other processes recorded.
 */
export class LocalEffectQueue implements EffectQueue {
  private readonly kinds = new Map<string, Kind>();
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly owner: string;
  private readonly retry: StoreOptions['retry'];
  private readonly onError: (error: unknown) => void;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private pollTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | null = null;
  private again = false;
  /** Kinds that may have work due: one look per kind that changed, not per kind registered. */
  private readonly dirty = new Set<string>();
  private allDirty = true;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly table: OutboxTable,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.owner = options.instance ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.retry = options.retry;
    this.onError = options.onError ?? (() => {});
  }

  get running(): boolean {
    return this.state === 'running';
  }

  handle(kind: string, handler: EffectHandler, options: EffectKindOptions = {}): void {
    this.kinds.set(kind, { handler, concurrency: options.concurrency ?? DEFAULT_CONCURRENCY, running: 0 });
    // In-process backends start with their first handler, so a bare gate in a test works unstarted.
    if (this.state === 'idle') void this.start();
    else this.wake();
  }

  async enqueue(effects: Effect[]): Promise<void> {
    if (effects.length === 0) return;
    await this.table.insert(effects, this.clock.now());
    this.recorded(effects);
  }

  /** Starts the workers; resolves once the first look for due work has armed the next timer. */
  async start(): Promise<void> {
    this.state = 'running';
    this.wake();
    await this.pumping;
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    await this.pumping;
    await Promise.allSettled([...this.inFlight]);
  }

  owed(kind?: string): Promise<number> {
    return this.table.owed(kind);
  }

  /**
   * A local write recorded `effects`: the timer is armed for the earliest at once (so a manual clock
   * moved right after the write still fires it), and due work is looked for on the next tick.
   */
  recorded(effects: Effect[]): void {
    if (effects.length === 0 || !this.running) return;
    const now = this.clock.now();
    const later = effects.map((effect) => effect.runAt ?? now).filter((at) => at > now);
    if (later.length > 0) this.arm(Math.min(...later));
    const due = effects.filter((effect) => (effect.runAt ?? now) <= now).map((effect) => effect.kind);
    if (due.length > 0) queueMicrotask(() => this.wake(due));
  }

  /**
   * Looks for due work (after a local write recorded effects, a handler finished, or a timer
   * fired): of `kinds` only, or of every kind. Wakes during a look are merged into one more look.
   */
  wake(kinds?: string[]): void {
    if (!this.running) return;
    if (kinds) for (const kind of kinds) this.dirty.add(kind);
    else this.allDirty = true;
    this.look();
  }

  private look(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch(this.onError)
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.look();
        }
      });
  }

  private async pump(): Promise<void> {
    const now = this.clock.now();
    const full = this.allDirty;
    const names = full ? [...this.kinds.keys()] : [...this.dirty].filter((name) => this.kinds.has(name));
    this.allDirty = false;
    this.dirty.clear();
    for (const name of names) {
      const kind = this.kinds.get(name) as Kind;
      const free = kind.concurrency - kind.running;
      // A kind at its concurrency is looked at again when one of its handlers finishes.
      if (free <= 0) continue;
      const claimed = await this.table.claim(name, now, free, now + this.leaseMs, this.owner);
      for (const effect of claimed) this.run(kind, effect);
    }
    if (full) {
      const next = await this.table.nextDue([...this.kinds.keys()], now);
      if (next !== null) this.arm(next);
    }
    this.poll();
  }

  /**
   * Looks again after `pollMs` of real time, for work other processes recorded. Real time, not the
   * injected clock: it stands for other processes' writes, which a test's manual clock knows nothing of.
   */
  private poll(): void {
    if (this.pollTimer || !this.running || !Number.isFinite(this.pollMs)) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.wake();
    }, this.pollMs).unref();
  }

  private arm(at: number): void {
    if (!this.running || at === Number.POSITIVE_INFINITY) return;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.wake();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now())),
    );
  }

  private run(kind: Kind, effect: StoredEffect): void {
    kind.running++;
    const done = (async () => {
      try {
        await kind.handler(effect);
        await this.table.complete(effect.key, this.owner);
      } catch (error) {
        const later = error instanceof RetryLater;
        const delay = later ? error.delayMs : backoffMs(effect.attempts + 1, this.retry);
        const message = error instanceof Error ? error.message : String(error);
        const at = this.clock.now() + delay;
        await this.table.reschedule(effect.key, this.owner, at, message.slice(0, 2000), !later).catch(this.onError);
        this.arm(at);
      } finally {
        kind.running--;
      }
    })();
    this.inFlight.add(done);
    void done.finally(() => {
      this.inFlight.delete(done);
      this.wake([effect.kind]);
    });
  }
}
