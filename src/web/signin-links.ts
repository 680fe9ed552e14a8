import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** What a sign-in link carries, signed: who it signs in and until when. */
export interface SignInLink {
  email: string;
  userId: string;
  name: string;
  /** Expiry, epoch ms. */
  expiresAt: number;
  /** Random; recorded when the link is used, so it works once. */
  nonce: string;
}

/** How long an e-mailed sign-in link works. */
export const LINK_MINUTES = 15;

const payloadSchema = z.strictObject({
  email: z.string().min(3),
  userId: z.string().min(1),
  name: z.string(),
  expiresAt: z.number(),
  nonce: z.string().min(16),
});

const mac = (body: string, secret: string) => createHmac('sha256', secret).update(`signin.${body}`).digest('base64url');

/** A new link for `who`, valid LINK_MINUTES from `now`. */
export function newSignInLink(who: Omit<SignInLink, 'expiresAt' | 'nonce'>, now: number): SignInLink {
  return { ...who, expiresAt: now + LINK_MINUTES * 60_000, nonce: randomBytes(18).toString('base64url') };
}

/** `<base64url JSON>.<HMAC-SHA256>`; the key is separated from other uses by the `signin.` prefix. */
export function signSignInLink(link: SignInLink, secret: string): string {
  const body = Buffer.from(JSON.stringify(link), 'utf8').toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

/** The link a token carries, or why not: a wrong signature, a past expiry, or not a token at all. */
export function verifySignInLink(
  token: string,
  secret: string,
  now: number,
): { ok: true; link: SignInLink } | { ok: false; reason: 'malformed' | 'forged' | 'expired' } {
  const match = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match?.[1] || !match[2]) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(match[1], secret));
  const given = Buffer.from(match[2]);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'forged' };
  let parsed: ReturnType<typeof payloadSchema.safeParse>;
  try {
    parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8')));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  if (parsed.data.expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, link: parsed.data };
}
