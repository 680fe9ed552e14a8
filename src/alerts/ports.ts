import type { MessageRef } from '../approvals/types.js';
import type { AlertRecord, DeliveryAttempt, Severity } from './types.js';

/** Slack refused for now: too many requests. Wait `retryAfterMs` before the next post to that channel. */
export class RateLimitedError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate limited: retry after ${retryAfterMs} ms`);
    this.name = 'RateLimitedError';
  }
}

/** Slack could not be reached (connection refused or reset, timeout, HTTP 5xx): worth retrying, then falling back. */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/**
 * How alerts reach Slack. Implementations make ONE attempt per call (no retry queues of their
 * own): the AlertManager paces, retries and falls back. They throw RateLimitedError or
 * UnreachableError for transient failures; anything else is permanent (e.g. channel_not_found).
 */
export interface AlertSlackPort {
  /** Posts the alert to `channel`, in the thread of `threadTs` when given (as well as the channel). */
  post(channel: string, alert: AlertRecord, options?: { threadTs?: string }): Promise<MessageRef>;
  /** Rewrites a posted alert in place (storm counter). */
  update(message: MessageRef, alert: AlertRecord): Promise<void>;
  /** Posts a channel's storm digest (without it, storms post every group one by one). */
  postDigest?(channel: string, digest: DigestView): Promise<MessageRef>;
  /** Rewrites a posted storm digest in place. */
  updateDigest?(message: MessageRef, digest: DigestView): Promise<void>;
}

/** What a storm digest shows (`digestText` renders it). */
export interface DigestView {
  channel: string;
  /** Distinct alert groups it stands for. */
  groups: number;
  /** Occurrences they counted. */
  occurrences: number;
  /** Since the storm started, rounded up. */
  minutes: number;
  /** Every group is a failure. */
  failing: boolean;
  /** The groups with the highest counts. */
  top: Array<{ title: string; count: number; severity: Severity }>;
  historyUrl?: string;
}

/** How alerts reach e-mail. Retries transient SMTP failures itself and never throws for delivery failures. */
export interface AlertEmailPort {
  send(
    to: string[],
    alert: AlertRecord,
    options?: { fallback?: boolean },
  ): Promise<{ ok: boolean; attempts: DeliveryAttempt[]; error?: string }>;
}

/** Finds the Slack message of a task's approval, so follow-ups can go in its thread. */
export type TaskThreadLookup = (taskId: string) => Promise<MessageRef | null>;
