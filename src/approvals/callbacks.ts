import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { StoreError } from '../errors.js';
import type { RecordStore, Store, Versioned } from '../store/types.js';
import {
  callbackBody,
  parseRetryAfter,
  SIGNATURE_HEADER,
  signCallback,
  TIMESTAMP_HEADER,
} from './callback-signature.js';
import { EFFECT } from './effects.js';
import type { ApprovalGate } from './gate.js';
import type { ApprovalRecord } from './types.js';

/** Namespace (`store.records(…)`) of callback deliveries, one per approval. */
export const CALLBACKS_NAMESPACE = 'callbacks';

/** Waits `ms`, rejecting early when `signal` aborts. Tests pass one that only records. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** One POST to a callback URL. `status` is null when no answer came (refused, timed out). */
export interface CallbackAttempt {
  at: string;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** `pending` until a 2xx (`delivered`) or a permanent refusal or the retry bound (`failed`). */
export type CallbackState = 'pending' | 'delivered' | 'failed';

/** The delivery of one approval's callback, every attempt included. */
export interface CallbackDelivery {
  approvalId: string;
  url: string;
  state: CallbackState;
  delivered: boolean;
  attempts: CallbackAttempt[];
  /** When the next attempt is due while `pending`. */
  nextAttemptAt: string | null;
  createdAt: string;
}

/** As stored: the exact body every attempt sends, and which sender holds the next attempt. */
interface StoredCallback extends CallbackDelivery, Versioned {
  body: string;
  owner: string | null;
}

/** Options of a CallbackSender; `secret` and `store` are required. */
export interface CallbackSenderOptions {
  /** Signs every callback; receivers verify with the same secret. */
  secret: string;
  store: Store;
  fetch?: typeof fetch;
  clock?: Clock;
  logger?: Logger;
  /** Retries after the first attempt. */
  retries?: number;
  /** Wait before the first retry; doubled after each failure up to `maxDelayMs` (also the cap on `Retry-After`). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt, answer included. */
  timeoutMs?: number;
  sleep?: Sleep;
}

/** Slack for a claimed attempt past its timeout before another sender may take it over. */
const CLAIM_GRACE_MS = 5_000;
const MAX_WRITE_ATTEMPTS = 25;

/** A background wait: unref'd, since an interrupted retry resumes at the next `start()`. */
const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal, ref: false });

/** A failed attempt worth another after `delayMs` (a 408, 429, 5xx or no answer). */
class RetryLater extends Error {
  constructor(readonly delayMs: number) {
    super(`callback attempt failed; retrying in ${delayMs} ms`);
  }
}

/** Stops the attempts on purpose: delivered elsewhere, refused for good, or held by another sender. */
class Settled extends Error {}

/**
 * POSTs a signed `approval.decided` callback for every decided approval that names a
 * `callbackUrl`, retrying with exponential backoff (p-retry) until a 2xx, a permanent refusal
 * (a 3xx or 4xx other than 408 and 429) or the retry bound. Every attempt is stored before the
 * next one, so `start()` resumes what a stop or crash cut short, and a sender claims each attempt
 * by compare-and-swap, so processes sharing the store never send the same attempt twice.
 */
export class CallbackSender {
  private readonly secret: string;
  private readonly store: Store;
  private readonly records: RecordStore<StoredCallback>;
  private readonly fetch: typeof fetch;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sleep: Sleep;
  private readonly limits: { retries: number; minDelayMs: number; maxDelayMs: number; timeoutMs: number };
  /** Tells this sender's claims from those of other processes (and of this process before a restart). */
  private readonly instance = randomUUID();
  private readonly running = new Map<string, Promise<void>>();
  private stopping = new AbortController();

  constructor({
    secret,
    store,
    fetch = (input, init) => globalThis.fetch(input, init),
    clock = systemClock,
    logger = pino({ level: 'silent' }),
    retries = 8,
    minDelayMs = 1000,
    maxDelayMs = 5 * 60_000,
    timeoutMs = 10_000,
    sleep = defaultSleep,
  }: CallbackSenderOptions) {
    if (typeof secret !== 'string' || secret === '') throw new TypeError('Expected `secret` to be a non-empty string.');
    for (const [name, value] of Object.entries({ retries, minDelayMs, maxDelayMs, timeoutMs })) {
      if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
        throw new TypeError(`Expected \`${name}\` to be a non-negative number.`);
      }
    }
    this.secret = secret;
    this.store = store;
    this.records = store.records<StoredCallback>(CALLBACKS_NAMESPACE, {
      indexes: { state: (r) => [r.state], approvalId: (r) => [r.approvalId] },
      sortKey: (r) => r.createdAt,
    });
    this.fetch = fetch;
    this.clock = clock;
    this.logger = logger;
    this.sleep = sleep;
    this.limits = { retries, minDelayMs, maxDelayMs, timeoutMs };
  }

  /** Sends the callback owed by every decided approval of the gate's store (its `callback` effects). */
  attach(gate: Pick<ApprovalGate, 'records'>): void {
    this.store.effects.handle(EFFECT.callback, async (effect) => {
      const record = await gate.records.get(String(effect.payload.approvalId));
      if (record) await this.send(record);
    });
  }

  /** Stores the callback of a decided approval (once per approval) and starts delivering it. */
  async send(record: ApprovalRecord): Promise<void> {
    if (!record.callbackUrl || record.status === 'pending') return;
    const at = new Date(this.clock.now()).toISOString();
    const valid = URL.canParse(record.callbackUrl) && /^https?:$/.test(new URL(record.callbackUrl).protocol);
    const { created } = await this.records.insert({
      id: record.id,
      version: 1,
      approvalId: record.id,
      url: record.callbackUrl,
      body: callbackBody(record),
      state: valid ? 'pending' : 'failed',
      delivered: false,
      attempts: valid ? [] : [{ at, status: null, error: 'not an http(s) URL', durationMs: 0 }],
      nextAttemptAt: valid ? at : null,
      owner: this.instance,
      createdAt: at,
    });
    // Also when it was recorded before: the effect runs again after a crash, on any instance.
    if (valid && (created || (await this.records.get(record.id))?.state === 'pending')) await this.deliver(record.id);
  }

  /** Resumes every callback still pending in the store (after a restart, or another process's crash). */
  async start(): Promise<{ resumed: number }> {
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    const pending = await this.records.findBy('state', 'pending');
    for (const record of pending) void this.deliver(record.id);
    if (pending.length > 0) this.logger.info({ callbacks: pending.length }, 'resuming undelivered callbacks');
    return { resumed: pending.length };
  }

  /** Interrupts waits and requests in flight; what is undelivered stays pending for the next start. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  /** Resolves once no delivery of this sender is under way (tests, stop). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** The callback deliveries of one approval with every attempt (for the audit view). */
  async deliveries(approvalId: string): Promise<CallbackDelivery[]> {
    const found = await this.records.findBy('approvalId', approvalId);
    return found.map(({ id: _id, version: _version, body: _body, owner: _owner, ...delivery }) => delivery);
  }

  /** The wait after `failures` failed attempts: minDelay × 2^(failures − 1), capped, never shorter than `Retry-After` asks. */
  backoffMs(failures: number, retryAfterMs = 0): number {
    const exponential = Math.min(this.limits.maxDelayMs, this.limits.minDelayMs * 2 ** Math.max(0, failures - 1));
    return Math.max(exponential, Math.min(retryAfterMs, this.limits.maxDelayMs));
  }

  private deliver(id: string): Promise<void> {
    const existing = this.running.get(id);
    if (existing) return existing;
    const signal = this.stopping.signal;
    const run = this.run(id, signal)
      .catch((error: unknown) => {
        if (!(error instanceof Settled) && !signal.aborted) {
          this.logger.error({ err: error, approvalId: id }, 'callback delivery stopped');
        }
      })
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
    return run;
  }

  private async run(id: string, signal: AbortSignal): Promise<void> {
    const record = await this.records.get(id);
    if (record?.state !== 'pending') return;
    const wait = record.nextAttemptAt ? Date.parse(record.nextAttemptAt) - this.clock.now() : 0;
    if (wait > 0) await this.sleep(wait, signal);
    await pRetry(() => this.attempt(id, signal), {
      // Attempts already stored count too: the bound holds across restarts.
      retries: Math.max(0, this.limits.retries - record.attempts.length),
      // p-retry counts and decides; the wait happens in shouldRetry through the injected sleep.
      minTimeout: 0,
      maxTimeout: 0,
      signal,
      shouldRetry: async ({ error }) => {
        if (!(error instanceof RetryLater)) return false;
        await this.sleep(error.delayMs, signal);
        return true;
      },
    });
  }

  /** One claimed, signed POST, stored with its outcome and the next step before anything else happens. */
  private async attempt(id: string, signal: AbortSignal): Promise<void> {
    const claimed = await this.update(id, (current) => {
      const due = !current.nextAttemptAt || Date.parse(current.nextAttemptAt) <= this.clock.now();
      if (current.state !== 'pending' || (current.owner !== this.instance && !due)) return null;
      const until = new Date(this.clock.now() + this.limits.timeoutMs + CLAIM_GRACE_MS).toISOString();
      return { ...current, owner: this.instance, nextAttemptAt: until };
    });
    if (!claimed) throw new AbortError(new Settled('delivered, refused, or taken over by another sender'));
    const { attempt, retryAfterMs } = await this.post(claimed, signal);
    if (signal.aborted) {
      // Cut short by stop(): not counted, and due again at once for whoever starts next.
      await this.update(id, (current) => ({ ...current, nextAttemptAt: attempt.at })).catch(() => {});
      throw new AbortError(new Settled('stopped'));
    }
    const { status, error } = attempt;
    const ok = status !== null && status >= 200 && status < 300;
    const permanent = status !== null && status < 500 && status !== 408 && status !== 429;
    const number = claimed.attempts.length + 1;
    const state: CallbackState = ok ? 'delivered' : permanent || number > this.limits.retries ? 'failed' : 'pending';
    const delayMs = this.backoffMs(number, retryAfterMs);
    const nextAttemptAt = state === 'pending' ? new Date(this.clock.now() + delayMs).toISOString() : null;
    const attempts = [...claimed.attempts, attempt];
    await this.update(id, (current) => ({ ...current, attempts, state, delivered: ok, nextAttemptAt }));

    const log = { approvalId: id, target: describeTarget(claimed.url), attempt: number, status, error };
    if (ok) return this.logger.info(log, 'callback delivered');
    if (state === 'failed') {
      this.logger.warn(log, permanent ? 'callback refused' : 'callback gave up');
      throw new AbortError(new Settled(error ?? 'failed'));
    }
    this.logger.warn({ ...log, retryInMs: delayMs }, 'callback failed; will retry');
    throw new RetryLater(delayMs);
  }

  private async post(record: StoredCallback, signal: AbortSignal) {
    const at = new Date(this.clock.now()).toISOString();
    const timestamp = Math.floor(this.clock.now() / 1000);
    const started = performance.now();
    const done = (status: number | null, error: string | null, retryAfterMs?: number) => ({
      attempt: { at, status, error, durationMs: Math.round(performance.now() - started) },
      retryAfterMs,
    });
    try {
      const response = await this.fetch(record.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Gatehouse-Callback/1',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signCallback(record.body, this.secret, timestamp),
        },
        body: record.body,
        // A redirected POST would turn into a GET elsewhere: the receiver must give the final URL.
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.limits.timeoutMs)]),
      });
      await response.body?.cancel().catch(() => {});
      const { status } = response;
      if (status >= 200 && status < 300) return done(status, null);
      const redirect = status < 400 ? ' (redirects are not followed)' : '';
      return done(
        status,
        `HTTP ${status}${redirect}`,
        parseRetryAfter(response.headers.get('retry-after'), Date.parse(at)),
      );
    } catch (error) {
      const { name, message, cause } = error as { name?: string; message?: string; cause?: { code?: string } };
      if (name === 'TimeoutError') return done(null, `no answer within ${this.limits.timeoutMs} ms`);
      return done(null, `${message ?? String(error)}${cause?.code ? ` (${cause.code})` : ''}`.slice(0, 300));
    }
  }

  /** Read, change, compare-and-swap; again if another writer got in between. `change` returns null to leave it. */
  private async update(
    id: string,
    change: (record: StoredCallback) => StoredCallback | null,
  ): Promise<StoredCallback | null> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.records.get(id);
      const next = current && change(current);
      if (!current || !next) return null;
      const written = { ...next, version: current.version + 1 };
      if (await this.records.replace(written, current.version)) return written;
    }
    throw new StoreError(`callback ${id}: too many concurrent writes`);
  }
}

/** Origin and path only: a query string may carry the receiver's own token. */
function describeTarget(url: string): string {
  return URL.canParse(url) ? `${new URL(url).origin}${new URL(url).pathname}` : 'invalid URL';
}
