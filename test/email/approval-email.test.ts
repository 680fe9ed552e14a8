import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { EmailApprovalNotifier, type EmailApprovalNotifierOptions } from '../../src/email/approval-notifier.js';
import { verifyDecisionToken } from '../../src/email/links.js';
import { Mailer } from '../../src/email/mailer.js';
import { approvalEmail } from '../../src/email/templates/approval.js';
import { MemoryStore } from '../../src/store/memory.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { ManualClock } from '../support/manual-clock.js';

const SECRET = 'approval-email-secret-0123456789';
const PUBLIC_URL = 'https://gatehouse.example.com';
const NOW = Date.parse('2026-01-05T09:00:00Z');

function approval(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: 'launch-42',
    status: 'pending',
    title: 'Launch <b>spring</b> campaign & "promo"',
    explanation: 'Budget is above the threshold.\nOps contact: carol.ops@example.com',
    context: {
      budget: 50000,
      campaign: { name: '<script>alert(1)</script>', channels: ['search', 'social'] },
      apiKey: 'sk-ant-api03-abcdefghijklmnopqrstuv',
      database: 'postgres://admin:hunter2@db.internal/prod',
    },
    requestedBy: 'campaign-agent',
    taskId: 'task-7',
    approvers: [],
    channel: null,
    callbackUrl: null,
    timeoutSeconds: 3600,
    createdAt: '2026-01-05T09:00:00.000Z',
    expiresAt: '2026-01-05T10:00:00.000Z',
    decision: null,
    message: null,
    emailedAt: null,
    version: 1,
    ...overrides,
  };
}

let smtp: FakeSmtp;
let mailer: Mailer;

beforeEach(async () => {
  smtp = await FakeSmtp.start();
  mailer = new Mailer({
    smtpUrl: smtp.url,
    from: 'Gatehouse <gatehouse@example.com>',
    minTimeoutMs: 5,
    maxTimeoutMs: 20,
  });
});

afterEach(async () => {
  mailer.close();
  await smtp.close();
});

function notifier(options: Partial<EmailApprovalNotifierOptions> = {}): EmailApprovalNotifier {
  return new EmailApprovalNotifier({
    mailer,
    to: ['alice@example.com', 'bob@example.com'],
    publicUrl: `${PUBLIC_URL}/`,
    secret: SECRET,
    clock: new ManualClock(NOW + 1000),
    ...options,
  });
}

/** The decision links of a message, in order of appearance. */
function linksIn(body: string): string[] {
  return [...body.matchAll(/https:\/\/gatehouse\.example\.com\/decisions\/([A-Za-z0-9_.-]+)/g)].map((m) => m[1] ?? '');
}

describe('EmailApprovalNotifier.requested', () => {
  it('e-mails each approver the request with links of their own to the confirm pages', async () => {
    const announcement = await notifier().requested(approval());

    expect(announcement).toEqual({ emailedAt: '2026-01-05T09:00:01.000Z' });
    expect(smtp.messages).toHaveLength(2);
    for (const recipient of ['alice@example.com', 'bob@example.com']) {
      const mail = await smtp.waitFor((m) => m.to.includes(recipient));
      expect(mail.to).toEqual([recipient]);
      expect(mail.subject).toBe('[Approval needed] Launch <b>spring</b> campaign & "promo"');

      const [approve, reject] = linksIn(mail.text);
      expect(linksIn(mail.html)).toEqual([approve, reject]);
      expect(mail.text).toContain(`Approve… (opens a page where you confirm):\n${PUBLIC_URL}/decisions/${approve}`);
      expect(mail.html).toMatch(new RegExp(`<a href="${PUBLIC_URL}/decisions/${approve}"[^>]*>Approve…</a>`));
      expect(mail.html).toMatch(new RegExp(`<a href="${PUBLIC_URL}/decisions/${reject}"[^>]*>Reject…</a>`));
      const expected = { approvalId: 'launch-42', expiresAt: '2026-01-05T10:00:00.000Z', recipient };
      expect(verifyDecisionToken(approve ?? '', SECRET, NOW)).toMatchObject({
        ok: true,
        payload: { ...expected, action: 'approve' },
      });
      expect(verifyDecisionToken(reject ?? '', SECRET, NOW)).toMatchObject({
        ok: true,
        payload: { ...expected, action: 'reject' },
      });
    }
    const [alice, bob] = smtp.messages.map((mail) => linksIn(mail.text)[0]);
    expect(alice).not.toBe(bob);
  });

  it('shows the request readably, secrets masked and HTML escaped', async () => {
    await notifier({ to: ['alice@example.com'] }).requested(approval());
    const mail = await smtp.waitFor();

    expect(mail.text).toContain('Budget is above the threshold.');
    expect(mail.text).toContain('  budget: 50000');
    expect(mail.text).toContain('  campaign.channels: search, social');
    expect(mail.text).toContain('Requested by: campaign-agent');
    expect(mail.text).toContain('Decide by: Mon 5 Jan 2026, 10:00 UTC');
    for (const body of [mail.text, mail.html]) {
      expect(body).not.toContain('abcdefghijklmnopqrstuv');
      expect(body).not.toContain('hunter2');
      expect(body).not.toContain('carol.ops@');
    }
    expect(mail.text).toContain('apiKey: ***');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('Launch &lt;b&gt;spring&lt;/b&gt; campaign &amp; &quot;promo&quot;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>spring');
    expect(mail.html).toContain('Budget is above the threshold.<br>');
    expect(mail.html).toContain('Decide by:</strong> Mon 5 Jan 2026, 10:00 UTC');
  });

  it('throws when no e-mail could be delivered, so nothing is recorded as e-mailed', async () => {
    smtp.rejectNext(2, 550, 'Mailbox unavailable');
    await expect(notifier().requested(approval())).rejects.toThrow(/could not e-mail approval launch-42.*550/);
  });

  it('counts the request as e-mailed when one approver got it', async () => {
    smtp.rejectNext(1, 550, 'Mailbox unavailable');
    expect(await notifier().requested(approval())).toEqual({ emailedAt: '2026-01-05T09:00:01.000Z' });
    expect(smtp.messages).toHaveLength(1);
  });

  it('refuses to be built without recipients', () => {
    expect(() => notifier({ to: [] })).toThrow('Expected `to` to hold at least one address');
  });
});

describe('EmailApprovalNotifier.decided', () => {
  const decided = (overrides: Partial<ApprovalRecord> = {}) =>
    approval({
      status: 'rejected',
      emailedAt: '2026-01-05T09:00:01.000Z',
      decision: {
        decidedBy: 'U0ALICE',
        decidedAt: '2026-01-05T09:05:00.000Z',
        via: 'slack',
        feedback: 'Not with token=abc123secret in the context',
        modifications: null,
      },
      ...overrides,
    });

  it('tells the approvers the outcome of a request they were e-mailed about, once', async () => {
    const email = notifier({ outcomes: new MemoryStore().records('email-outcomes') });

    await email.decided(decided());
    await email.decided(decided());
    // Twice at once (two instances running the outcome): still one e-mail.
    await Promise.allSettled([email.decided(decided({ id: 'other' })), email.decided(decided({ id: 'other' }))]);

    expect(smtp.messages).toHaveLength(2);
    const mail = await smtp.waitFor();
    expect(mail.to).toEqual(['alice@example.com', 'bob@example.com']);
    expect(mail.subject).toBe('[Rejected] Launch <b>spring</b> campaign & "promo"');
    expect(mail.text).toContain('Rejected by U0ALICE in Slack on Mon 5 Jan 2026, 09:05 UTC.');
    expect(mail.text).toContain('The links in the request e-mail no longer work.');
    expect(mail.text).not.toContain('abc123secret');
    expect(linksIn(mail.text)).toEqual([]);
  });

  it('sends nothing for a request that was never e-mailed', async () => {
    await notifier().decided(decided({ emailedAt: null }));
    expect(smtp.messages).toHaveLength(0);
  });
});

describe('approvalEmail', () => {
  it('keeps a huge context readable: fifty rows, long values cut, the rest counted', () => {
    const context = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`field${i}`, 'v'.repeat(2000)]));
    const { text, html } = approvalEmail(approval({ context }), {
      approveUrl: `${PUBLIC_URL}/decisions/a`,
      rejectUrl: `${PUBLIC_URL}/decisions/r`,
      publicUrl: PUBLIC_URL,
    });

    expect(text).toContain('  field49: ');
    expect(text).not.toContain('field50');
    expect(text).toContain('…: 30 more fields not shown');
    expect(text).toContain(`${'v'.repeat(499)}…`);
    expect(text).not.toContain('v'.repeat(500));
    expect(html.length).toBeLessThan(60_000);
  });
});
