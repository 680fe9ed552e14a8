import { setTimeout as delay } from 'node:timers/promises';
import { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import pRetry, { AbortError } from 'p-retry';

/** Waits `ms`, rejecting early when `signal` aborts. Tests pass one that only records. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * The default Sleep. The timer keeps the process alive on purpose: a caller is awaiting the retry,
 * and an unref'd wait would let a one-shot process exit in the middle of it.
 */
export const defaultSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal });
};

/** How transient failures are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Wait before the first retry; each next one doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: Sleep;
  /** In [0, 1); takes up to a quarter off each computed wait so callers do not retry in step. */
  random: () => number;
  /** For `Retry-After` given as an HTTP date. */
  now: () => number;
}

/** One retry about to happen, for logging. */
export interface RetryEvent {
  /** The attempt that failed, from 1. */
  attempt: number;
  error: unknown;
  delayMs: number;
}

const JITTER = 0.25;

/**
 * Transient: no response or a timeout, 408, 429 and 5xx (529 overloaded included), unless the API
 * says otherwise with `x-should-retry`. A cancelled call never is.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIConnectionError) return true;
  if (!(error instanceof APIError) || error.status === undefined) return false;
  const hint = error.headers?.get('x-should-retry');
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  return error.status === 408 || error.status === 429 || error.status >= 500;
}

/** The API is overloaded (529): worth trying another model once the retries are spent. */
export function isOverloaded(error: unknown): boolean {
  return error instanceof APIError && (error.status === 529 || error.type === 'overloaded_error');
}

/** The wait asked for by `retry-after-ms` or `retry-after` (seconds or an HTTP date), if any. */
export function retryAfterMs(error: unknown, now: () => number = Date.now): number | undefined {
  if (!(error instanceof APIError) || !error.headers) return undefined;
  const ms = Number.parseFloat(error.headers.get('retry-after-ms') ?? '');
  if (ms >= 0) return ms;
  const header = error.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/**
 * The wait before retry number `retry` (from 1): base × 2^(retry − 1), capped, less up to 25 %
 * jitter, but never shorter than what the response asked for.
 */
export function backoffDelay(retry: number, error: unknown, policy: RetryPolicy): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.round(exponential * (1 - JITTER * policy.random()));
  return Math.max(jittered, Math.ceil(retryAfterMs(error, policy.now) ?? 0));
}

/**
 * Calls `fn` until it succeeds, retrying transient failures under `policy` (p-retry, with the
 * waits done by `policy.sleep` so they honour the signal and tests need not wait). Anything else
 * is thrown at once; a cancelled run rejects with the signal's reason.
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  hooks: { signal?: AbortSignal; onAttempt?: () => void; onRetry?: (event: RetryEvent) => void } = {},
): Promise<T> {
  const { signal } = hooks;
  try {
    return await pRetry(
      async () => {
        hooks.onAttempt?.();
        try {
          return await fn();
        } catch (error) {
          if (signal?.aborted || !isRetryable(error)) {
            throw new AbortError(error instanceof Error ? error : new Error(String(error)));
          }
          throw error;
        }
      },
      {
        retries: policy.retries,
        // p-retry keeps count and decides; the wait itself happens in shouldRetry below.
        minTimeout: 0,
        maxTimeout: 0,
        signal,
        shouldRetry: async ({ error, attemptNumber, retriesConsumed }) => {
          const delayMs = backoffDelay(retriesConsumed + 1, error, policy);
          hooks.onRetry?.({ attempt: attemptNumber, error, delayMs });
          await policy.sleep(delayMs, signal);
          return true;
        },
      },
    );
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}
