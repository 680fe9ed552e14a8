import { maskSecrets } from '../mask.js';
import type { AlertRecord, Delivery, DeliveryAttempt } from './types.js';

/** The Slack channel (and thread) a `slack:` or `slack-thread:` target names; null for e-mail targets. */
export function slackTarget(target: string): { channel: string; threadTs?: string } | null {
  const [scheme, channel, threadTs] = target.split(':');
  if (scheme === 'slack' && channel) return { channel };
  if (scheme === 'slack-thread' && channel && threadTs) return { channel, threadTs };
  return null;
}

/** `record` with the delivery to `target` changed by `change`. */
export function withDelivery(record: AlertRecord, target: string, change: (d: Delivery) => Delivery): AlertRecord {
  return { ...record, deliveries: record.deliveries.map((d) => (d.target === target ? change(d) : d)) };
}

/** An error as one masked line, for a delivery attempt. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return maskSecrets(text.split('\n', 1)[0] ?? '').slice(0, 500);
}

/** One delivery attempt at `at` (epoch ms). */
export function attempt(at: number, error?: string, ok = false): DeliveryAttempt {
  return error === undefined ? { at: new Date(at).toISOString(), ok } : { at: new Date(at).toISOString(), ok, error };
}

/** Whether `record` is held (quiet hours) at `now`. */
export function isHeld(record: AlertRecord, now: number): boolean {
  return record.heldUntil ? Date.parse(record.heldUntil) > now : false;
}

/** When the delivery's current run of failures began (epoch ms), or null. */
export function firstFailure(delivery: Delivery): number | null {
  const failures = trailingFailures(delivery);
  const first = delivery.attempts[delivery.attempts.length - failures];
  return failures > 0 && first ? Date.parse(first.at) : null;
}

/** How many of the delivery's last attempts failed in a row. */
export function trailingFailures(delivery: Delivery): number {
  let count = 0;
  for (let i = delivery.attempts.length - 1; i >= 0 && delivery.attempts[i]?.ok === false; i--) count++;
  return count;
}
