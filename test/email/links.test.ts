import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type DecisionTokenPayload,
  decisionUrl,
  newNonce,
  resolveLinkSecret,
  SECRETS_NAMESPACE,
  signDecisionToken,
  UsedLinks,
  verifyDecisionToken,
} from '../../src/email/links.js';
import { MemoryStore } from '../../src/store/memory.js';

const SECRET = 'link-secret-for-tests-0123456789';
const NOW = Date.parse('2026-01-05T09:00:00Z');

function payload(overrides: Partial<DecisionTokenPayload> = {}): DecisionTokenPayload {
  return {
    approvalId: 'launch-42',
    action: 'approve',
    expiresAt: '2026-01-05T10:00:00.000Z',
    nonce: 'n0nce-n0nce-n0nce-1',
    recipient: 'alice@example.com',
    ...overrides,
  };
}

/** Replaces one character of `text` at `index` with another base64url character. */
function flip(text: string, index: number): string {
  const char = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + char + text.slice(index + 1);
}

describe('decision tokens', () => {
  it('round-trips the payload, URL-safe', () => {
    const token = signDecisionToken(payload(), SECRET);

    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyDecisionToken(token, SECRET, NOW)).toEqual({ ok: true, payload: payload() });
    expect(verifyDecisionToken(token, SECRET, new Date(NOW))).toEqual({ ok: true, payload: payload() });
    expect(decisionUrl('https://gatehouse.example.com/', token)).toBe(
      `https://gatehouse.example.com/decisions/${token}`,
    );
  });

  it('calls a token with a changed payload forged, even a well-formed one', () => {
    const token = signDecisionToken(payload(), SECRET);
    const [, signature] = token.split('.');
    const rejectInstead = Buffer.from(JSON.stringify(payload({ action: 'reject' }))).toString('base64url');

    expect(verifyDecisionToken(`${rejectInstead}.${signature}`, SECRET, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyDecisionToken(flip(token, 3), SECRET, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it('calls a token with a changed or cut signature forged', () => {
    const token = signDecisionToken(payload(), SECRET);

    // The last character of a 32-byte base64url signature carries two unused bits: changing
    // them must still fail, so the signature is compared as text, not as decoded bytes.
    expect(verifyDecisionToken(flip(token, token.length - 1), SECRET, NOW)).toMatchObject({ reason: 'forged' });
    expect(verifyDecisionToken(flip(token, token.length - 10), SECRET, NOW)).toMatchObject({ reason: 'forged' });
    expect(verifyDecisionToken(token.slice(0, -1), SECRET, NOW)).toMatchObject({ reason: 'forged' });
    expect(verifyDecisionToken(token, 'another-secret-0123456789abcdef', NOW)).toMatchObject({ reason: 'forged' });
  });

  it('expires at the deadline of the request, not a moment later', () => {
    const token = signDecisionToken(payload(), SECRET);
    const deadline = Date.parse(payload().expiresAt);

    expect(verifyDecisionToken(token, SECRET, deadline - 1)).toMatchObject({ ok: true });
    expect(verifyDecisionToken(token, SECRET, deadline)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyDecisionToken(token, SECRET, deadline + 86_400_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    ['empty', ''],
    ['no signature part', 'eyJhIjoxfQ'],
    ['an empty part', 'eyJhIjoxfQ.'],
    ['three parts', 'a.b.c'],
    ['characters outside base64url', 'eyJh+IjoxfQ.abc/def='],
    ['a huge token', `${'A'.repeat(5000)}.${'B'.repeat(43)}`],
  ])('calls %s malformed', (_label, token) => {
    expect(verifyDecisionToken(token, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('calls a correctly signed token that holds no decision malformed', () => {
    const signed = (value: unknown) => {
      const body = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
      return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
    };

    expect(verifyDecisionToken(signed({ ...payload(), action: 'delete' }), SECRET, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyDecisionToken(signed({ ...payload(), expiresAt: 'tomorrow' }), SECRET, NOW)).toMatchObject({
      reason: 'malformed',
    });
    expect(verifyDecisionToken(signed('not json'), SECRET, NOW)).toMatchObject({ reason: 'malformed' });
    expect(verifyDecisionToken(signed(payload()), SECRET, NOW)).toMatchObject({ ok: true });
  });

  it('makes a different nonce every time', () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    expect(nonces.size).toBe(100);
    expect([...nonces][0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('UsedLinks', () => {
  it('lets a link be claimed once, also when two claims race', async () => {
    const used = new UsedLinks(new MemoryStore().keyv('decision-links'));

    const claims = await Promise.all([used.claim(payload(), NOW), used.claim(payload(), NOW)]);

    expect(claims.sort()).toEqual([false, true]);
    expect(await used.claim(payload(), NOW)).toBe(false);
    expect(await used.get(payload().nonce)).toEqual({
      usedAt: '2026-01-05T09:00:00.000Z',
      approvalId: 'launch-42',
      action: 'approve',
    });
    expect(await used.claim(payload({ nonce: 'another-nonce-0002' }), NOW)).toBe(true);
  });

  it('makes a released link usable again', async () => {
    const used = new UsedLinks(new MemoryStore().keyv('decision-links'));
    await used.claim(payload(), NOW);
    await used.release(payload().nonce);
    expect(await used.claim(payload(), NOW)).toBe(true);
  });
});

describe('resolveLinkSecret', () => {
  it('derives the same key from the API token in every process, without storing it', async () => {
    const config = { apiToken: 'api-token-0123456789abcdef', slack: { signingSecret: 'slack-signing-0123' } };
    const first = new MemoryStore();

    const secret = await resolveLinkSecret(first, config);

    expect(secret).toBe(await resolveLinkSecret(new MemoryStore(), config));
    expect(secret).not.toContain(config.apiToken);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await first.keyv(SECRETS_NAMESPACE).get('decision-link-secret')).toBeUndefined();
    expect(await resolveLinkSecret(first, { ...config, apiToken: 'another-token-0123456789' })).not.toBe(secret);
  });

  it('falls back to the Slack signing secret', async () => {
    const fromSlack = await resolveLinkSecret(new MemoryStore(), { slack: { signingSecret: 'slack-signing-0123' } });
    const again = await resolveLinkSecret(new MemoryStore(), {
      apiToken: undefined,
      slack: { signingSecret: 'slack-signing-0123' },
    });
    expect(fromSlack).toBe(again);
    expect(fromSlack).not.toBe(
      await resolveLinkSecret(new MemoryStore(), { slack: { signingSecret: 'other-signing' } }),
    );
  });

  it('with neither secret, creates a random key once and keeps it in the store', async () => {
    const store = new MemoryStore();

    const secret = await resolveLinkSecret(store, { slack: null });

    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await resolveLinkSecret(store, {})).toBe(secret);
    expect(await resolveLinkSecret(new MemoryStore(), {})).not.toBe(secret);
  });
});
