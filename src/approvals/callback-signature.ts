import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApprovalRecord } from './types.js';

export const TIMESTAMP_HEADER = 'X-Gatehouse-Timestamp';
export const SIGNATURE_HEADER = 'X-Gatehouse-Signature';

/** The body of the callback: the approval in the API's shape (SPEC §5: all but the internal version). */
export function callbackBody(record: ApprovalRecord): string {
  const { version: _version, ...approval } = record;
  return JSON.stringify({ event: 'approval.decided', approval });
}

/**
 * The `X-Gatehouse-Signature` of a callback, after Slack's v0 scheme: `v1=` and the hex
 * HMAC-SHA256, keyed with the secret, of `v1:<X-Gatehouse-Timestamp>:<raw body>`.
 */
export function signCallback(body: string, secret: string, timestamp: number | string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * What a receiver checks before trusting a callback: the signature over the raw body (compared
 * in constant time) and a timestamp within `toleranceSeconds` of `now` (ms), against replays.
 */
export function verifyCallbackSignature(check: {
  body: string;
  secret: string;
  timestamp: string | number | null | undefined;
  signature: string | null | undefined;
  now?: number;
  toleranceSeconds?: number;
}): boolean {
  const { body, secret, timestamp, signature, now = Date.now(), toleranceSeconds = 300 } = check;
  if (!signature || !/^\d{1,12}$/.test(String(timestamp))) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signCallback(body, secret, String(timestamp)));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `Retry-After` in seconds or as an HTTP date, in ms from `now`. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (!header?.trim()) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
