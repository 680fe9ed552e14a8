import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/** Name of the cookie a page's form token is bound to. */
const COOKIE = 'gatehouse_form';
/** Name of the hidden field that carries the form token. */
export const FORM_TOKEN_FIELD = 'form_token';

/**
 * Whether a form POST comes from a page of this Gatehouse: `Sec-Fetch-Site` (sent by browsers)
 * must be `same-origin`, and `Origin`, when sent, must be Gatehouse's own (its `PUBLIC_URL` or the
 * host the request was made to). Clients that send neither (curl) still need the form token.
 */
export function fromOwnPage(req: Request, publicUrl: string): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.get('origin');
  if (origin === undefined) return true;
  const own = new Set([safeOrigin(publicUrl), `${req.protocol}://${req.get('host') ?? ''}`]);
  return own.has(origin);
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function sign(secret: string, bindTo: string, nonce: string): string {
  return createHmac('sha256', secret).update(`form:${bindTo}:${nonce}`).digest('base64url');
}

/**
 * Sets a fresh HttpOnly, SameSite=Strict cookie under `path` and returns the token the page's
 * form must send back: an HMAC of the cookie and `bindTo` (the link), so a form posted from
 * elsewhere, which carries neither, is refused.
 */
export function issueFormToken(
  res: Response,
  options: { secret: string; bindTo: string; path: string; secure: boolean },
): string {
  const nonce = randomBytes(18).toString('base64url');
  const attributes = [`Path=${options.path}`, 'HttpOnly', 'SameSite=Strict', 'Max-Age=86400'];
  if (options.secure) attributes.push('Secure');
  res.append('Set-Cookie', `${COOKIE}=${nonce}; ${attributes.join('; ')}`);
  return sign(options.secret, options.bindTo, nonce);
}

/** Whether the POST carries the cookie and the matching form token issued by `issueFormToken`. */
export function validFormToken(req: Request, secret: string, bindTo: string, sent: unknown): boolean {
  if (typeof sent !== 'string' || sent === '') return false;
  const nonce = (req.get('cookie') ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === COOKIE)?.[1];
  if (!nonce) return false;
  const expected = Buffer.from(sign(secret, bindTo, nonce));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
