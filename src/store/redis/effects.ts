import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { backoffMs, uniqueEffects } from '../shared.js';
import {
  type Effect,
  type EffectHandler,
  type EffectKindOptions,
  type EffectQueue,
  RetryLater,
  type StoredEffect,
  type StoreOptions,
} from '../types.js';
import { jobId, queueName, type RedisKeys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';
import { DelayedWake } from './wake.js';

/** How the reconciler looks for owed effects whose BullMQ job is missing. */
export interface ReconcileOptions {
  /** How often each started instance looks (default 5 s). */
  everyMs?: number;
  /** How long after its run time an effect must still be owed before its job is checked (default 15 s). */
  graceMs?: number;
}

/** What the outbox hash holds for each owed effect. */
interface OutboxEntry {
  key: string;
  kind: string;
  payload: Record<string, unknown>;
  runAt: number;
  createdAt: number;
}

interface Kind {
  handler: EffectHandler;
  concurrency: number;
}

const DEFAULT_CONCURRENCY = 8;
/** Effects are retried until they succeed: BullMQ needs a number, so a very large one. */
const ATTEMPTS = 1_000_000_000;
/** A stalled job (its worker died) always goes back to wait rather than failing. */
const MAX_STALLED = 1_000_000;
/** After a check found a job, the effect is looked at again this many grace periods later. */
const RECHECK_GRACES = 4;
const RECONCILE_BATCH = 500;

/**
 * Effects on BullMQ, one queue per kind (so a kind nobody handles here waits for an instance that
 * does, and each kind has its own concurrency). The outbox in Redis is the truth: the Lua write
 * records an effect there, a job is added after the commit with the effect key as its id (BullMQ
 * ignores a second add of a live id), the handler runs under BullMQ's lock (renewed while it runs;
 * a dead worker's job is moved back by the stalled checker), and the outbox entry is removed when
 * the handler returns. The reconciler re-adds jobs for owed effects whose job is missing (a crash
 * between the commit and the add, or a job removed by hand).
 */
export class BullEffectQueue implements EffectQueue {
  private readonly kinds = new Map<string, Kind>();
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly everyMs: number;
  private readonly graceMs: number;
  private readonly leaseMs: number;
  private readonly retry: StoreOptions['retry'];
  private readonly onError: (error: unknown) => void;
  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | null = null;
  private readonly wake = new DelayedWake();

  constructor(
    private readonly redis: ScriptedRedis,
    /** The workers' connection (no per-request retry limit, as BullMQ needs); each worker duplicates it for blocking reads. */
    private readonly bull: Redis,
    private readonly keys: RedisKeys,
    options: StoreOptions & { reconcile?: ReconcileOptions } = {},
  ) {
    this.everyMs = options.reconcile?.everyMs ?? 5000;
    this.graceMs = options.reconcile?.graceMs ?? 15_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.retry = options.retry;
    this.onError = options.onError ?? (() => {});
  }

  get running(): boolean {
    return this.started && !this.stopped;
  }

  handle(kind: string, handler: EffectHandler, options: EffectKindOptions = {}): void {
    this.kinds.set(kind, { handler, concurrency: options.concurrency ?? DEFAULT_CONCURRENCY });
    if (this.running) this.startWorker(kind);
  }

  async enqueue(effects: Effect[]): Promise<void> {
    const owed = uniqueEffects(effects);
    if (owed.length === 0) return;
    const { keys } = this;
    const recorded = await this.redis.ghEnqueue(
      keys.outbox,
      keys.outboxCheck,
      keys.outboxOwed,
      ...this.effectArgs(owed),
    );
    await this.addJobs(owed, recorded);
  }

  /**
   * The outbox arguments of a Lua write: the count, (key, kind, JSON) per effect and when the
   * reconciler first checks it. Computing job ids here makes a key BullMQ cannot take fail before the commit.
   */
  effectArgs(effects: Effect[]): Array<string | number> {
    const now = Date.now();
    const entries: OutboxEntry[] = effects.map((effect) => {
      jobId(effect.key);
      return {
        key: effect.key,
        kind: effect.kind,
        payload: effect.payload,
        runAt: effect.runAt ?? now,
        createdAt: now,
      };
    });
    return [
      entries.length,
      ...entries.flatMap((entry) => [entry.key, entry.kind, JSON.stringify(entry)]),
      ...entries.map((entry) => Math.max(entry.runAt, now) + this.graceMs),
    ];
  }

  /** After a commit: a job for each effect the write recorded (not for keys already owed). */
  async addJobs(effects: Effect[], recorded: string[]): Promise<void> {
    if (recorded.length === 0) return;
    const now = Date.now();
    const fresh = new Set(recorded);
    const byKind = new Map<string, Effect[]>();
    for (const effect of effects) {
      if (!fresh.has(effect.key)) continue;
      byKind.set(effect.kind, [...(byKind.get(effect.kind) ?? []), effect]);
    }
    try {
      await Promise.all(
        [...byKind].map(([kind, owed]) =>
          this.queue(kind)
            .addBulk(owed.map((effect) => this.job(effect.kind, effect.key, effect.runAt ?? now)))
            .then(() => {
              for (const effect of owed) this.wake.arm(this.queue(kind), jobId(effect.key), effect.runAt ?? now);
            }),
        ),
      );
    } catch (error) {
      // The effects are owed in the outbox; the reconciler adds their jobs once Redis answers again.
      this.onError(error);
    }
  }

  async start(): Promise<void> {
    if (this.stopped || this.started) return;
    this.started = true;
    // Resolves once every worker's connections are up, so `running` means they take work.
    await Promise.all([...this.kinds.keys()].map((kind) => this.startWorker(kind).waitUntilReady()));
    await this.reconcile();
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake.stop();
    await this.reconciling;
    await Promise.all([...this.workers.values()].map((worker) => worker.close()));
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  async owed(kind?: string): Promise<number> {
    if (kind !== undefined) return Number((await this.redis.hget(this.keys.outboxOwed, kind)) ?? 0);
    return this.redis.hlen(this.keys.outbox);
  }

  /** Re-adds jobs for effects owed past their grace period whose job is gone; cheap when there are none. */
  async reconcile(): Promise<void> {
    if (this.reconciling) return this.reconciling;
    this.reconciling = this.reconcileDue()
      .catch(this.onError)
      .finally(() => {
        this.reconciling = null;
      });
    return this.reconciling;
  }

  private async reconcileDue(): Promise<void> {
    const { keys } = this;
    for (;;) {
      const now = Date.now();
      const due = await this.redis.zrangebyscore(keys.outboxCheck, '-inf', now, 'LIMIT', 0, RECONCILE_BATCH);
      if (due.length === 0) return;
      const entries = (await this.redis.hmget(keys.outbox, ...due)).map((json) =>
        json === null ? null : (JSON.parse(json) as OutboxEntry),
      );
      const exists = this.redis.pipeline();
      for (const entry of entries) {
        if (entry) exists.exists(`${keys.bull}:${queueName(entry.kind)}:${jobId(entry.key)}`);
      }
      const found = ((await exists.exec()) ?? []).map(([, n]) => n === 1);
      const missing = entries.filter((entry): entry is OutboxEntry => entry !== null).filter((_, i) => !found[i]);
      for (const entry of missing) {
        await this.queue(entry.kind).add(
          entry.kind,
          { key: entry.key },
          this.job(entry.kind, entry.key, entry.runAt).opts,
        );
      }
      // XX: an effect completed meanwhile stays removed.
      const next = now + this.graceMs * RECHECK_GRACES;
      await this.redis.zadd(keys.outboxCheck, 'XX', ...due.flatMap((key) => [next, key]));
      if (due.length < RECONCILE_BATCH) return;
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.reconcile().finally(() => this.schedule());
    }, this.everyMs);
    this.timer.unref();
  }

  private job(kind: string, key: string, runAt: number) {
    return {
      name: kind,
      data: { key },
      opts: {
        jobId: jobId(key),
        delay: Math.max(0, runAt - Date.now()),
        attempts: ATTEMPTS,
        backoff: { type: 'gatehouse' },
        removeOnComplete: true,
        // A job that failed for good is removed, so the reconciler adds it again.
        removeOnFail: true,
      },
    };
  }

  private queue(kind: string): Queue {
    let queue = this.queues.get(kind);
    if (!queue) {
      // Adds go over the store's connection, which fails a command after a few retries instead of
      // holding a write while Redis is away (the reconciler adds the job later).
      queue = new Queue(queueName(kind), { connection: this.redis, prefix: this.keys.bull });
      queue.on('error', this.onError);
      this.queues.set(kind, queue);
    }
    return queue;
  }

  private startWorker(kind: string): Worker {
    const existing = this.workers.get(kind);
    const concurrency = this.kinds.get(kind)?.concurrency ?? DEFAULT_CONCURRENCY;
    if (existing) {
      existing.concurrency = concurrency;
      return existing;
    }
    const worker = new Worker(queueName(kind), (job, token) => this.process(kind, job, token), {
      connection: this.bull,
      prefix: this.keys.bull,
      concurrency,
      lockDuration: this.leaseMs,
      stalledInterval: this.leaseMs,
      maxStalledCount: MAX_STALLED,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, _error?: Error, job?: { id?: string }) => {
          const delay = backoffMs(attemptsMade, this.retry);
          this.wake.arm(this.queue(kind), job?.id, Date.now() + delay);
          return delay;
        },
      },
    });
    worker.on('error', this.onError);
    this.workers.set(kind, worker);
    return worker;
  }

  private async process(kind: string, job: Job<{ key: string }>, token: string | undefined): Promise<void> {
    const { keys } = this;
    const json = await this.redis.hget(keys.outbox, job.data.key);
    // Done by an earlier run whose job outlived the outbox entry (a crash after complete, a re-add).
    if (json === null) return;
    const entry = JSON.parse(json) as OutboxEntry;
    const handler = this.kinds.get(kind)?.handler;
    if (!handler) throw new Error(`no handler for effects of kind ${kind}`);
    const effect: StoredEffect = { ...entry, attempts: job.attemptsMade, lastError: job.failedReason || null };
    try {
      await handler(effect);
    } catch (error) {
      if (!(error instanceof RetryLater)) throw error;
      await job.moveToDelayed(Date.now() + error.delayMs, token);
      this.wake.arm(this.queue(kind), job.id, Date.now() + error.delayMs);
      throw new DelayedError();
    }
    await this.redis.ghComplete(keys.outbox, keys.outboxCheck, keys.outboxOwed, entry.key, entry.kind);
  }
}
