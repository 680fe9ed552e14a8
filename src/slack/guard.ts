import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import express, { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import { admit, type SlackRoutes } from './payloads.js';

/** Largest Slack request read; Slack's own payloads are far smaller. */
const BODY_LIMIT = '1mb';
/** Slack's window: a signature older, or further in the future, than this is refused. */
const MAX_SKEW_SECONDS = 5 * 60;

/** Options of `slackGuard`. */
export interface SlackGuardOptions {
  signingSecret: string;
  routes: SlackRoutes;
  logger: Logger;
  /** Seconds since the epoch (tests inject it). */
  now?: () => number;
}

/** Whether `signature` is Slack's v0 HMAC of `body` at `timestamp`, within five minutes either way. */
export function validSignature(
  secret: string,
  body: Buffer,
  signature: string | undefined,
  timestamp: string | undefined,
  now: number,
): boolean {
  if (!secret || !signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_SECONDS) return false;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The body as Bolt will parse it: form fields (with `payload` as JSON) or JSON. Throws when unreadable. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  if ((contentType ?? '').split(';')[0]?.trim() === 'application/x-www-form-urlencoded') {
    const fields = parseQuery(raw);
    return typeof fields.payload === 'string' ? JSON.parse(fields.payload) : fields;
  }
  return JSON.parse(raw);
}

/**
 * Stands in front of Bolt at `/slack/events`: reads the body once (Bolt takes it from
 * `req.rawBody`), refuses a bad or stale signature (401, also five minutes in the future), and
 * acknowledges at once (200, empty) whatever Gatehouse does not handle or cannot read, so Bolt
 * never holds a request 3 s nor throws on a hostile shape. Only known routes in a readable shape
 * reach Bolt.
 */
export function slackGuard({
  signingSecret,
  routes,
  logger,
  now = () => Date.now() / 1000,
}: SlackGuardOptions): Router {
  const router = Router();
  const guard: RequestHandler = (req, res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.get('x-slack-signature');
    const timestamp = req.get('x-slack-request-timestamp');
    if (!validSignature(signingSecret, raw, signature, timestamp, Math.floor(now()))) {
      res.status(401).end();
      return;
    }
    let body: unknown;
    try {
      body = parseBody(raw.toString('utf8'), req.get('content-type'));
    } catch {
      res.status(400).end();
      return;
    }
    const verdict = admit(body, routes);
    if (!verdict.pass) {
      logger.debug({ component: 'slack', reason: verdict.reason }, 'slack request acknowledged and dropped');
      res.status(200).end();
      return;
    }
    (req as { rawBody?: Buffer }).rawBody = raw;
    next();
  };
  const unreadable: ErrorRequestHandler = (error: { type?: string; status?: number }, _req, res, _next) => {
    res.status(error?.type === 'entity.too.large' ? 413 : 400).end();
  };
  router.post('/slack/events', express.raw({ type: () => true, limit: BODY_LIMIT }), guard, unreadable);
  return router;
}
