import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type Keyv from 'keyv';
import { z } from 'zod';
import type { Store } from '../store/types.js';

/** What a decision link asks for. */
export type DecisionAction = 'approve' | 'reject';

/** What a decision link carries, signed. */
export interface DecisionTokenPayload {
  approvalId: string;
  action: DecisionAction;
  /** ISO 8601; the approval's own deadline, so a link never outlives its request. */
  expiresAt: string;
  /** Random and unique per link; recorded once the link is used. */
  nonce: string;
  /** The address the link was e-mailed to; names who decided. */
  recipient?: string;
}

/** Why a token was refused: not a token at all, a wrong signature, or past its request's deadline. */
export type DecisionTokenFailure = 'forged' | 'expired' | 'malformed';

/** The outcome of `verifyDecisionToken`. */
export type DecisionTokenCheck =
  | { ok: true; payload: DecisionTokenPayload }
  | { ok: false; reason: DecisionTokenFailure };

/** Namespace (`store.keyv(…)`) where used nonces are recorded. */
export const DECISION_LINKS_NAMESPACE = 'decision-links';

/** Longest token accepted: an approval id is at most 200 characters, a whole payload far less than this. */
const MAX_TOKEN_LENGTH = 2048;
const TOKEN_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

const payloadSchema = z.strictObject({
  approvalId: z.string().min(1),
  action: z.enum(['approve', 'reject']),
  expiresAt: z.iso.datetime(),
  nonce: z.string().min(16),
  recipient: z.string().min(1).optional(),
});

/**
 * Signs a decision link: `<base64url JSON payload>.<base64url HMAC-SHA256 of the first part>`.
 * The payload is readable by whoever holds the link; it holds nothing secret.
 */
export function signDecisionToken(payload: DecisionTokenPayload, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

/**
 * Checks a token's signature (in constant time), then its shape and its deadline. A token whose
 * signature does not match is `forged` whatever it holds; one that is not `payload.signature` in
 * base64url at all is `malformed`.
 */
export function verifyDecisionToken(
  token: string,
  secret: string,
  now: Date | number = Date.now(),
): DecisionTokenCheck {
  const parts = token.length <= MAX_TOKEN_LENGTH ? TOKEN_SHAPE.exec(token) : null;
  if (!parts) return { ok: false, reason: 'malformed' };
  const [, body = '', signature = ''] = parts;
  // Compared as text, so a signature in a non-canonical base64url spelling does not pass either.
  const expected = Buffer.from(mac(body, secret), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = payloadSchema.safeParse(decoded);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const at = typeof now === 'number' ? now : now.getTime();
  if (at >= Date.parse(parsed.data.expiresAt)) return { ok: false, reason: 'expired' };
  return { ok: true, payload: parsed.data };
}

/** A fresh link nonce: 128 random bits. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** A base URL, or a function giving it: known only once the server listens, when it picked its port. */
export type PublicUrl = string | (() => string);

/** The base URL now, without a trailing slash. */
export function resolvePublicUrl(url: PublicUrl): string {
  return (typeof url === 'function' ? url() : url).replace(/\/+$/, '');
}

/** The confirm page a decision link leads to: `${publicUrl}/decisions/<token>`. */
export function decisionUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/decisions/${token}`;
}

/** When and for what a link was used. */
export interface UsedLink {
  usedAt: string;
  approvalId: string;
  action: DecisionAction;
}

/**
 * The used nonces of decision links, in a Keyv namespace, each kept until its link expires anyway.
 * Keyv has no set-if-absent, so claims are serialised per nonce inside the process; across
 * processes the approval's own compare-and-swap still lets exactly one decision through.
 */
export class UsedLinks {
  private readonly inFlight = new Set<string>();

  constructor(private readonly keyv: Keyv) {}

  /** How a link was used, if it was. */
  async get(nonce: string): Promise<UsedLink | undefined> {
    return (await this.keyv.get<UsedLink>(nonce)) ?? undefined;
  }

  /** Records the link as used; false when it already was (or another request is claiming it right now). */
  async claim(payload: DecisionTokenPayload, now: number): Promise<boolean> {
    if (this.inFlight.has(payload.nonce)) return false;
    this.inFlight.add(payload.nonce);
    try {
      if (await this.keyv.has(payload.nonce)) return false;
      const used: UsedLink = {
        usedAt: new Date(now).toISOString(),
        approvalId: payload.approvalId,
        action: payload.action,
      };
      await this.keyv.set(payload.nonce, used, Math.max(1, Date.parse(payload.expiresAt) - now));
      return true;
    } finally {
      this.inFlight.delete(payload.nonce);
    }
  }

  /** Makes a claimed link usable again (the decision failed for a reason that was not the link's). */
  async release(nonce: string): Promise<void> {
    await this.keyv.delete(nonce);
  }
}

/** The parts of the configuration a link secret may be derived from (a `Config` fits). */
export interface LinkSecretSources {
  apiToken?: string | undefined;
  slack?: { signingSecret?: string | undefined } | null;
}

/** Namespace and key of the random link secret kept in the store when no configured secret exists. */
export const SECRETS_NAMESPACE = 'secrets';
const STORED_SECRET_KEY = 'decision-link-secret';
const DERIVATION_LABEL = 'gatehouse/decision-links/v1';

/**
 * The key decision links are signed with. Derived from `GATEHOUSE_API_TOKEN` (else
 * `SLACK_SIGNING_SECRET`) by HMAC with a fixed label: every instance computes the same key with no
 * shared state, and rotating that secret revokes every outstanding link. Whoever holds either
 * secret can already decide through the API or forge Slack clicks, so links grant nothing more.
 * With neither set, a random key is created once and kept in the store, so links survive a restart.
 */
export async function resolveLinkSecret(store: Pick<Store, 'keyv'>, config: LinkSecretSources): Promise<string> {
  const base = config.apiToken ?? config.slack?.signingSecret;
  if (base) return createHmac('sha256', base).update(DERIVATION_LABEL).digest('base64url');
  const secrets = store.keyv(SECRETS_NAMESPACE);
  const existing = await secrets.get<string>(STORED_SECRET_KEY);
  if (typeof existing === 'string' && existing !== '') return existing;
  await secrets.set(STORED_SECRET_KEY, randomBytes(32).toString('base64url'));
  // Read back, so a process racing another at first start adopts the write that landed last. Several
  // processes sharing a store should set GATEHOUSE_API_TOKEN (the API needs it anyway).
  const stored = await secrets.get<string>(STORED_SECRET_KEY);
  if (typeof stored !== 'string' || stored === '') throw new Error('the store did not keep the decision link secret');
  return stored;
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
