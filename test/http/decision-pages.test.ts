import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { type DecisionTokenPayload, newNonce, signDecisionToken } from '../../src/email/links.js';
import { decisionPages } from '../../src/http/decision-pages.js';
import { MemoryStore } from '../../src/store/memory.js';
import { confirmDecision } from '../support/decision-page.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const SECRET = 'decision-page-secret-0123456789';

let server: Server;
let base: string;
let clock: ManualClock;
let gate: ApprovalGate;

beforeEach(async () => {
  clock = new ManualClock();
  const store = new MemoryStore({ clock });
  gate = new ApprovalGate({ store: store, clock, defaultApprovers: ['U0ALICE'] });
  const app = express();
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.use('/decisions', decisionPages({ gate, store, secret: SECRET, publicUrl: base, clock }));
});

afterEach(async () => {
  gate.stop();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function request(overrides: Record<string, unknown> = {}): Promise<ApprovalRecord> {
  const { record } = await gate.submit({
    id: 'launch-42',
    title: 'Launch the spring campaign',
    explanation: 'Budget is above the threshold.\nChannel: search.',
    context: { budget: 50000, campaign: { name: 'Spring', market: 'FR' } },
    requestedBy: 'campaign-agent',
    timeoutSeconds: 3600,
    ...overrides,
  });
  await settle();
  return record;
}

function link(record: ApprovalRecord, action: 'approve' | 'reject', overrides: Partial<DecisionTokenPayload> = {}) {
  const token = signDecisionToken(
    {
      approvalId: record.id,
      action,
      expiresAt: record.expiresAt,
      nonce: newNonce(),
      recipient: 'alice@example.com',
      ...overrides,
    },
    SECRET,
  );
  return `${base}/decisions/${token}`;
}

const confirm = (url: string, reason?: string) => confirmDecision(url, reason);

describe('GET /decisions/:token', () => {
  it('shows the request and a confirm form, and decides nothing (GET, HEAD, a second GET)', async () => {
    const record = await request();
    const url = link(record, 'approve');

    const first = await fetch(url);
    const html = await first.text();

    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    expect(first.headers.get('x-robots-tag')).toBe('noindex');
    expect(html).toContain('Launch the spring campaign');
    expect(html).toContain('Budget is above the threshold.<br>Channel: search.');
    expect(html).toMatch(/campaign\.name<\/th><td[^>]*>Spring</);
    expect(html).toContain('Mon 5 Jan 2026, 10:00 UTC');
    expect(html).toContain('waiting for a decision');
    expect(html).toMatch(/<form method="post">/);
    expect(html).toContain('<textarea id="reason" name="reason"');
    expect(html).toContain('Confirm approval');

    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(url)).status).toBe(200);
    expect(await gate.get(record.id)).toMatchObject({ status: 'pending', decision: null });
  });

  it('asks to confirm a rejection on a reject link', async () => {
    const html = await (await fetch(link(await request(), 'reject'))).text();
    expect(html).toContain('Reject this request?');
    expect(html).toContain('Confirm rejection');
    expect(html).not.toContain('Confirm approval');
  });

  it('escapes what the requester wrote and masks secrets in the context', async () => {
    const record = await request({
      title: '<script>alert("title")</script>',
      explanation: '<img src=x onerror=alert(1)> & more',
      context: {
        note: '<b>bold</b>',
        apiKey: 'sk-ant-api03-abcdefghijklmnop',
        url: 'postgres://admin:hunter2@db/prod',
      },
    });

    const html = await (await fetch(link(record, 'approve'))).text();

    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; more');
    expect(html).not.toContain('abcdefghijklmnop');
    expect(html).not.toContain('hunter2');
  });
});

describe('POST /decisions/:token', () => {
  it('decides once, via e-mail, with the reason, and wakes the waiter', async () => {
    const record = await request();
    const waiting = gate.waitForDecision(record.id);
    const url = link(record, 'approve');

    const response = await confirm(url, '  Within budget, go.  ');
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(html).toContain('Approved by alice@example.com by e-mail');
    expect(html).toContain('Within budget, go.');
    const decided = await waiting;
    expect(decided).toMatchObject({
      status: 'approved',
      decision: {
        decidedBy: 'email:alice@example.com',
        via: 'email',
        feedback: 'Within budget, go.',
        decidedAt: '2026-01-05T09:00:00.000Z',
      },
    });

    const again = await confirm(url, 'changed my mind');
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('This link was already used');
    expect(await gate.get(record.id)).toEqual(decided);
    const reopened = await fetch(url);
    expect(reopened.status).toBe(409);
    expect(await reopened.text()).not.toContain('<form');
  });

  it('records a rejection without a reason as no feedback', async () => {
    const record = await request();
    expect((await confirm(link(record, 'reject'), '   ')).status).toBe(200);
    expect(await gate.get(record.id)).toMatchObject({ status: 'rejected', decision: { via: 'email', feedback: null } });
  });

  it('lets exactly one of two racing confirmations of the same link through', async () => {
    const record = await request();
    const url = link(record, 'approve');

    const statuses = await Promise.all(
      [confirm(url, 'first'), confirm(url, 'second')].map(async (r) => (await r).status),
    );

    expect(statuses.sort()).toEqual([200, 409]);
    expect(await gate.get(record.id)).toMatchObject({ status: 'approved' });
  });

  it('answers 409 naming who decided when the approval was decided elsewhere first', async () => {
    const record = await request();
    await clock.advance(90_000);
    await gate.decide(record.id, { decision: 'reject', decidedBy: 'U0ALICE', via: 'slack', feedback: 'not now' });
    const decided = await gate.get(record.id);

    const response = await confirm(link(record, 'approve'), 'approve it');
    const html = await response.text();

    expect(response.status).toBe(409);
    expect(html).toContain('This request was already decided');
    expect(html).toContain('Rejected by U0ALICE in Slack on Mon 5 Jan 2026, 09:01 UTC.');
    expect(html).toContain('not now');
    expect(await gate.get(record.id)).toEqual(decided);
  });

  it('answers 409 to the reject link once the approve link decided', async () => {
    const record = await request();
    await confirm(link(record, 'approve'));

    const response = await confirm(link(record, 'reject', { recipient: 'bob@example.com' }));

    expect(response.status).toBe(409);
    expect(await response.text()).toContain('Approved by alice@example.com by e-mail');
    expect(await gate.get(record.id)).toMatchObject({ status: 'approved' });
  });

  it('refuses a reason over the size limit with a 413 page and decides nothing', async () => {
    const record = await request();
    const response = await confirm(link(record, 'approve'), 'x'.repeat(20_000));
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('The reason is too long');
    expect(await gate.get(record.id)).toMatchObject({ status: 'pending' });
  });
});

describe('links that do not work', () => {
  it('answers 410 to an expired link, on GET and POST', async () => {
    const record = await request();
    const url = link(record, 'approve');
    await clock.advance(3600_000);

    for (const response of [await fetch(url), await confirm(url)]) {
      expect(response.status).toBe(410);
      expect(await response.text()).toContain('This decision link has expired');
    }
    expect(await gate.get(record.id)).toMatchObject({ status: 'timeout' });
  });

  it('answers 403 to a forged link and 400 to a malformed one', async () => {
    const record = await request();
    const genuine = link(record, 'approve');
    const forged = signDecisionToken(
      { approvalId: record.id, action: 'approve', expiresAt: record.expiresAt, nonce: newNonce() },
      'another-gatehouse-secret-0123',
    );

    for (const url of [`${base}/decisions/${forged}`, genuine.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      const response = await confirm(url);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('This decision link is not valid');
    }
    const malformed = await fetch(`${base}/decisions/not-a-token`);
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('This is not a complete decision link');
    expect(malformed.headers.get('cache-control')).toBe('no-store');
    expect(await gate.get(record.id)).toMatchObject({ status: 'pending' });
  });

  it('answers 404 to a genuine link for an approval this Gatehouse does not hold', async () => {
    const response = await confirm(
      link({ id: 'gone-1', expiresAt: '2026-01-05T10:00:00.000Z' } as ApprovalRecord, 'approve'),
    );
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('Unknown approval request');
  });
});

describe('the confirm form', () => {
  it('refuses a POST from another site (Origin or Sec-Fetch-Site), and the link still works', async () => {
    const record = await request();
    const url = link(record, 'approve');
    const elsewhere: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    for (const headers of elsewhere) {
      const response = await confirmDecision(url, 'from elsewhere', headers);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('nothing was decided');
    }
    expect((await gate.get(record.id)).status).toBe('pending');
    expect((await confirmDecision(url, 'ok', { origin: base, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('refuses a POST without the form token of its page, or with another page’s cookie', async () => {
    const record = await request();
    const url = link(record, 'approve');
    const bare = await fetch(url, { method: 'POST', body: new URLSearchParams({ reason: 'no token' }) });
    expect(bare.status).toBe(403);
    const page = await fetch(url);
    const token = /name="form_token" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const noCookie = await fetch(url, { method: 'POST', body: new URLSearchParams({ form_token: token }) });
    expect(noCookie.status).toBe(403);
    const other = await fetch(link(record, 'approve'));
    const otherCookie = (other.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const mixed = await fetch(url, {
      method: 'POST',
      headers: { cookie: otherCookie },
      body: new URLSearchParams({ form_token: token }),
    });
    expect(mixed.status).toBe(403);
    expect((await gate.get(record.id)).status).toBe('pending');
    expect(page.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
  });

  it('answers 400, not 500, to an address that cannot be decoded', async () => {
    for (const path of ['/decisions/%ff', '/decisions/%E0%A4%A']) {
      expect((await fetch(`${base}${path}`)).status).toBe(400);
      expect((await fetch(`${base}${path}`, { method: 'POST' })).status).toBe(400);
    }
  });
});
