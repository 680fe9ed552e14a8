import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { isLoopback } from '../http/auth.js';

/** Who uses the web app: a Slack user, an e-mail address mapped to one, or the local operator. */
export interface Principal {
  kind: 'local' | 'slack' | 'email';
  /** The Slack user id approver lists name; null for the local operator. */
  userId: string | null;
  name: string;
  email: string | null;
}

/** Whoever opens the app from this machine when the API has no token (the first `npm start`). */
export const LOCAL_OPERATOR: Principal = { kind: 'local', userId: null, name: 'local operator', email: null };

/** What decisions from the local operator are recorded as. */
export const LOCAL_OPERATOR_ID = 'local-operator';

export const SESSION_COOKIE = 'gatehouse_session';
export const CSRF_COOKIE = 'gatehouse_csrf';
/** The hidden form field every POST carries. */
export const CSRF_FIELD = '_csrf';

/** How long a session lasts. */
export const SESSION_HOURS = 12;

/** The signed session cookie's content: short keys, as it travels with every request. */
interface SessionCookie {
  k: 'slack' | 'email';
  u: string;
  n: string;
  e: string | null;
  /** Expiry, epoch ms: checked here, not trusted to the browser's Max-Age. */
  x: number;
}

/** Options of the session middleware. */
export interface SessionOptions {
  /** The API's token; without one, loopback visitors are the local operator. */
  apiToken: string | undefined;
  /** Cookies only over HTTPS (PUBLIC_URL is https). */
  secure: boolean;
  now: () => number;
}

/** What the session middleware found, for the pages. */
export interface Visit {
  principal: Principal | null;
  /** The CSRF token forms must carry. */
  csrf: string;
}

/** The visit the session middleware stored on this response. */
export function visitOf(res: Response): Visit {
  return res.locals.visit as Visit;
}

/** A request from this machine, not relayed by a proxy (a proxy on this machine relays from loopback too). */
export function isLocalRequest(req: Request): boolean {
  const relayed = req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined;
  return isLoopback(req.socket.remoteAddress) && !relayed;
}

const cookieBase = (secure: boolean) => ({ httpOnly: true, sameSite: 'lax' as const, secure, path: '/', signed: true });

function readSession(value: unknown, now: number): Principal | null {
  if (!value || typeof value !== 'object') return null;
  const cookie = value as Partial<SessionCookie>;
  if (typeof cookie.x !== 'number' || cookie.x <= now || typeof cookie.u !== 'string' || typeof cookie.n !== 'string') {
    return null;
  }
  if (cookie.k !== 'slack' && cookie.k !== 'email') return null;
  return { kind: cookie.k, userId: cookie.u, name: cookie.n, email: typeof cookie.e === 'string' ? cookie.e : null };
}

/**
 * Reads the signed session and CSRF cookies (cookie-parser must run first, with the secret):
 * `visitOf(res)` then tells who is here and the CSRF token. A missing CSRF cookie is issued.
 */
export function sessions(options: SessionOptions): RequestHandler {
  return (req, res, next) => {
    const signed = (req.signedCookies ?? {}) as Record<string, unknown>;
    let principal = readSession(signed[SESSION_COOKIE], options.now());
    if (!principal && options.apiToken === undefined && isLocalRequest(req)) principal = LOCAL_OPERATOR;
    let csrf = typeof signed[CSRF_COOKIE] === 'string' ? (signed[CSRF_COOKIE] as string) : '';
    if (!csrf) csrf = issueCsrf(res, options.secure);
    res.locals.visit = { principal, csrf } satisfies Visit;
    next();
  };
}

/** A fresh CSRF token in its cookie (at sign-in too, so a token from before does not carry over). */
export function issueCsrf(res: Response, secure: boolean): string {
  const token = randomBytes(24).toString('base64url');
  res.cookie(CSRF_COOKIE, token, cookieBase(secure));
  return token;
}

/** Refuses (403) a POST whose form token does not match its CSRF cookie; compared in constant time. */
export const requireCsrf: RequestHandler = (req, res, next) => {
  if (req.method !== 'POST') return next();
  const expected = Buffer.from(visitOf(res).csrf);
  const sent = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected)) return next();
  res
    .status(403)
    .type('text/plain')
    .send('The form was refused: its CSRF token is missing or wrong. Reload the page and try again.');
};

/** Signs `principal` in for SESSION_HOURS: a signed, HttpOnly, SameSite=Lax cookie with an expiry. */
export function startSession(
  res: Response,
  principal: Omit<Principal, 'kind' | 'userId'> & { kind: 'slack' | 'email'; userId: string },
  options: Pick<SessionOptions, 'secure' | 'now'>,
): void {
  const maxAge = SESSION_HOURS * 3600 * 1000;
  const cookie: SessionCookie = {
    k: principal.kind,
    u: principal.userId,
    n: principal.name,
    e: principal.email,
    x: options.now() + maxAge,
  };
  res.cookie(SESSION_COOKIE, cookie, { ...cookieBase(options.secure), maxAge });
  issueCsrf(res, options.secure);
}

/** Signs out: the session cookie is cleared. */
export function endSession(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { ...cookieBase(secure), signed: undefined });
}
