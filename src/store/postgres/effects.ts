import pRetry from 'p-retry';
import type { Pool, PoolClient } from 'pg';
import type PgBoss from 'pg-boss';
import type { Clock } from '../../clock.js';
import { backoffMs } from '../shared.js';
import {
  type Effect,
  type EffectHandler,
  type EffectKindOptions,
  type EffectQueue,
  RetryLater,
  type StoredEffect,
  type StoreOptions,
} from '../types.js';
import { isDeadlock, type JobData, jobId, jobOptions, onClient, type Wake } from './jobs.js';
import { WakeTimers } from './wake-timers.js';

/** What the queue needs from its store: transactions on the shared pool, and NOTIFY inside them. */
export interface EffectWriter {
  transaction<R>(fn: (client: PoolClient) => Promise<R>): Promise<R>;
  /** Inside a transaction: tells the other instances which effects became due (delivered on commit). */
  announce(client: PoolClient, wakes: Wake[]): Promise<void>;
}

interface Kind {
  handler: EffectHandler;
  concurrency: number;
  worker?: Promise<string>;
  workerId?: string;
}

const DEFAULT_CONCURRENCY = 8;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Effects on pg-boss, one queue per kind. An effect's key is recorded in `effect_keys` in the same
 * transaction as the change that owes it, and only a newly recorded key sends its job (id from the
 * key), so a key is enqueued once even after pg-boss archived its completed job. A failed run
 * completes its job and sends the next run (`runs + 1`, at the backoff or `RetryLater` delay) in one
 * transaction; pg-boss's own retry covers a run whose worker died: the job expires after the lease
 * (`expireInSeconds`), pg-boss's maintenance fails it, and any instance's worker takes the retry.
 * Workers poll every `pollMs` (pg-boss's floor is 0.5 s) and are woken earlier by NOTIFY and by
 * timers at the run times this instance heard of. So an effect starts a few ms after its run time when
 * this instance wrote it or heard its NOTIFY; within one polling interval when it did not (written while
 * its LISTEN connection was down, or before it started); and one whose worker died after the lease,
 * pg-boss's maintenance round (at most half the lease, 1–60 s), the 1 s retry delay and one poll.
 * Run times and leases are the database's clock (`StoreOptions.clock` only stamps `createdAt` and
 * default run times), and a handler still running at the end of its lease is failed by pg-boss and
 * may then run twice — as with every backend, handlers are idempotent.
 */
export class PgBossEffectQueue implements EffectQueue {
  private readonly kinds = new Map<string, Kind>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly timers = new WakeTimers();
  private readonly clock: Clock;
  private readonly retry: StoreOptions['retry'];
  private readonly onError: (error: unknown) => void;
  private readonly pollSeconds: number;
  private readonly jobOptions: PgBoss.SendOptions;
  private started = false;
  private stopped = false;

  constructor(
    private readonly boss: PgBoss,
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly writer: EffectWriter,
    options: StoreOptions & { clock: Clock },
  ) {
    this.clock = options.clock;
    this.retry = options.retry;
    this.onError = options.onError ?? (() => {});
    this.pollSeconds = Math.max(0.5, (options.pollMs ?? 1000) / 1000);
    this.jobOptions = jobOptions(options.leaseMs ?? 60_000);
  }

  get running(): boolean {
    return this.started && !this.stopped;
  }

  handle(kind: string, handler: EffectHandler, options: EffectKindOptions = {}): void {
    const existing = this.kinds.get(kind);
    if (existing) {
      existing.handler = handler;
      return;
    }
    this.kinds.set(kind, { handler, concurrency: options.concurrency ?? DEFAULT_CONCURRENCY });
    if (this.running) this.startWorker(kind).catch(this.onError);
  }

  async enqueue(effects: Effect[]): Promise<void> {
    if (effects.length === 0) return;
    await this.prepare(effects);
    const wakes = await this.writer.transaction(async (client) => {
      const recorded = await this.record(client, effects, this.clock.now());
      await this.writer.announce(client, recorded);
      return recorded;
    });
    this.wake(wakes);
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    this.started = true;
    await Promise.all([...this.kinds.keys()].map((kind) => this.startWorker(kind)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clear();
    // Waits for the handlers running now; pg-boss fails what is still active at the timeout, to be retried.
    await this.boss.stop({ graceful: true, wait: true, close: false, timeout: STOP_TIMEOUT_MS });
  }

  async owed(kind?: string): Promise<number> {
    const notDone = `(state < 'completed' OR state = 'failed')`;
    // pg-boss counts one queue at a time; this counts the owed jobs of every kind in one query.
    const { rows } = await this.pool.query<{ n: number }>(
      kind === undefined
        ? `SELECT count(*)::int AS n FROM ${this.schema}.job WHERE ${notDone}`
        : `SELECT count(*)::int AS n FROM ${this.schema}.job WHERE name = $1 AND ${notDone}`,
      kind === undefined ? [] : [kind],
    );
    return rows[0]?.n ?? 0;
  }

  /** Before a write's transaction: the queues of its effects' kinds exist (pg-boss sends to no missing queue). */
  async prepare(effects: Effect[] | undefined): Promise<void> {
    if (!effects?.length) return;
    await Promise.all([...new Set(effects.map((effect) => effect.kind))].map((kind) => this.ensureQueue(kind)));
  }

  /** Inside a write's transaction: records the keys not recorded yet and sends their first jobs. */
  async record(client: PoolClient, effects: Effect[], now: number): Promise<Wake[]> {
    if (effects.length === 0) return [];
    const { rows } = await client.query<{ key: string }>(
      `INSERT INTO "${this.schema}".effect_keys (key, kind) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [effects.map((effect) => effect.key), effects.map((effect) => effect.kind)],
    );
    const fresh = new Set(rows.map((row) => row.key));
    const wakes: Wake[] = [];
    for (const effect of effects) {
      if (!fresh.has(effect.key)) continue;
      const runAt = effect.runAt ?? now;
      const data: JobData = {
        key: effect.key,
        payload: effect.payload,
        runAt,
        createdAt: now,
        attempts: 0,
        lastError: null,
        runs: 0,
      };
      await this.send(client, effect.kind, data);
      wakes.push([effect.kind, runAt]);
    }
    return wakes;
  }

  /** Wakes this instance's workers of the given kinds at their run times (after a commit or a NOTIFY). */
  wake(wakes: Wake[]): void {
    if (!this.running) return;
    for (const [kind, runAt] of wakes) {
      const entry = this.kinds.get(kind);
      if (!entry) continue;
      if (runAt <= Date.now()) {
        this.notify(entry);
        continue;
      }
      this.timers.at(kind, runAt, () => {
        if (this.running) this.notify(entry);
      });
    }
  }

  /** Wakes every worker (after the LISTEN connection came back: wake-ups may have been missed). */
  wakeAll(): void {
    if (!this.running) return;
    for (const entry of this.kinds.values()) this.notify(entry);
  }

  private notify(entry: Kind): void {
    if (entry.workerId) this.boss.notifyWorker(entry.workerId);
  }

  private async send(client: PoolClient, kind: string, data: JobData): Promise<void> {
    await this.boss.send(kind, data, {
      ...this.jobOptions,
      id: jobId(data.key, data.runs),
      startAfter: new Date(data.runAt),
      db: onClient(client),
    });
  }

  private ensureQueue(kind: string): Promise<void> {
    let created = this.queues.get(kind);
    if (!created) {
      created = pRetry(
        async () => {
          if (await this.boss.getQueue(kind)) return;
          await this.boss.createQueue(kind, { name: kind, policy: 'standard' });
        },
        {
          // Two instances creating queues at once deadlock inside pg-boss's DDL; the one PostgreSQL aborted tries again,
          // after a random pause so that instances booting together fall out of step.
          retries: 10,
          minTimeout: 20,
          maxTimeout: 1000,
          randomize: true,
          shouldRetry: ({ error }) => isDeadlock(error),
        },
      );
      created.catch(() => this.queues.delete(kind));
      this.queues.set(kind, created);
    }
    return created;
  }

  private startWorker(kind: string): Promise<void> {
    const entry = this.kinds.get(kind);
    if (!entry || !this.running) return Promise.resolve();
    if (!entry.worker) {
      entry.worker = this.ensureQueue(kind).then(() =>
        this.boss.work<JobData>(
          kind,
          { batchSize: entry.concurrency, pollingIntervalSeconds: this.pollSeconds },
          async (jobs) => {
            await Promise.all(jobs.map((job) => this.run(kind, job)));
            // pg-boss waits a polling interval even after a full batch; more may be due (a backlog after a crash).
            if (jobs.length > 0) this.notify(entry);
          },
        ),
      );
      entry.worker.then(
        (id) => {
          entry.workerId = id;
        },
        () => {
          entry.worker = undefined;
        },
      );
    }
    return entry.worker.then(() => {});
  }

  private async run(kind: string, job: PgBoss.Job<JobData>): Promise<void> {
    const data = job.data;
    const handler = this.kinds.get(kind)?.handler;
    if (!handler) return;
    const effect: StoredEffect = {
      key: data.key,
      kind,
      payload: data.payload,
      runAt: data.runAt,
      createdAt: data.createdAt,
      attempts: data.attempts,
      lastError: data.lastError,
    };
    try {
      await handler(effect);
    } catch (error) {
      await this.reschedule(kind, job, error);
      return;
    }
    // Completed one by one, so a done effect does not wait for (and re-run with) the rest of its batch.
    await this.boss.complete(kind, job.id).catch(this.onError);
  }

  /** Completes the failed run and sends the next one in one transaction, unless the lease was lost meanwhile. */
  private async reschedule(kind: string, job: PgBoss.Job<JobData>, error: unknown): Promise<void> {
    const later = error instanceof RetryLater;
    const delay = later ? error.delayMs : backoffMs(job.data.attempts + 1, this.retry);
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
    const next: JobData = {
      ...job.data,
      runAt: this.clock.now() + delay,
      attempts: job.data.attempts + (later ? 0 : 1),
      lastError: message,
      runs: job.data.runs + 1,
    };
    try {
      const moved = await this.writer.transaction(async (client) => {
        // pg-boss's typings say void; the JS returns how many jobs it completed.
        const done = (await this.boss.complete(
          kind,
          job.id,
          { retriedAs: jobId(next.key, next.runs) },
          {
            db: onClient(client),
          },
        )) as unknown as { affected: number };
        if (done.affected !== 1) return false;
        await this.send(client, kind, next);
        await this.writer.announce(client, [[kind, next.runAt]]);
        return true;
      });
      if (moved) this.wake([[kind, next.runAt]]);
    } catch (failure) {
      this.onError(failure);
      // Could not record the retry: pg-boss retries this run itself (after `retryDelay`).
      await this.boss.fail(kind, job.id, { message }).catch(this.onError);
    }
  }
}
