import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { confirmDecision } from '../support/decision-page.js';
import { eventually } from '../support/eventually.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload } from '../support/slack-requests.js';

let smtp: FakeSmtp;
let g: TestGatehouse;

beforeAll(async () => {
  smtp = await FakeSmtp.start();
  g = await startGatehouse({
    env: {
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'gatehouse@example.com',
      APPROVAL_EMAIL_TO: 'approvers@example.com',
      PUBLIC_URL: 'http://gatehouse.test',
    },
  });
  // Bolt checks its token once at start; let that finish before Slack goes down.
  await g.slack!.waitFor('auth.test');
});
afterAll(async () => {
  await g.stop();
  await smtp.close();
});

/** The confirm link for `action` in an approval e-mail, pointed at the running test server. */
function linkIn(text: string, action: 'approve' | 'reject'): string {
  const links = [...text.matchAll(/http:\/\/gatehouse\.test(\/decisions\/[A-Za-z0-9_.-]+)/g)].map((m) => m[1]);
  expect(links.length).toBeGreaterThanOrEqual(2);
  const [approve, reject] = links;
  return `${g.url}${action === 'approve' ? approve : reject}`;
}

describe('approvals when Slack is down', () => {
  it('e-mails the request; opening the link decides nothing; confirming decides once, via e-mail', async () => {
    g.slack!.down();
    const waiting = g.gatehouse.gate.requireApproval({ id: 'down-1', title: 'Rotate production keys' });
    const mail = await smtp.waitFor((m) => m.subject.includes('Rotate production keys'));
    g.slack!.up();
    expect(mail.to).toEqual(['approvers@example.com']);
    expect(mail.subject).toContain('[Approval needed]');
    const stored = await eventually(
      () => g.gatehouse.gate.get('down-1'),
      (r) => r.emailedAt !== null,
    );
    expect(stored.message).toBeNull();

    const approve = linkIn(mail.text, 'approve');
    const page = await fetch(approve);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Rotate production keys');
    await fetch(approve, { method: 'HEAD' });
    expect((await g.gatehouse.gate.get('down-1')).status).toBe('pending');

    const confirm = await confirmDecision(approve, 'checked with security');
    expect(confirm.status).toBe(200);
    expect(await waiting).toMatchObject({ status: 'approved', via: 'email', feedback: 'checked with security' });

    const reused = await fetch(approve, { method: 'POST', body: new URLSearchParams({}) });
    expect(reused.status).toBe(409);
    expect((await g.gatehouse.gate.get('down-1')).decision?.feedback).toBe('checked with security');
    // The outcome goes to the approvers by e-mail too; the next test counts from after it.
    await smtp.waitFor((m) => m.subject.includes('[Approved] Rotate production keys'));
  });

  it('posts to Slack as usual when it is up, and e-mails nobody', async () => {
    const before = smtp.messages.length;
    await g.gatehouse.gate.submit({ id: 'up-1', title: 'Normal day' });
    await eventually(
      () => g.gatehouse.gate.get('up-1'),
      (r) => r.message !== null,
    );
    const res = await g.slackPost(
      blockActionsPayload({ actionId: ActionId.Approve, value: 'up-1', userId: 'U0ALICE' }),
    );
    expect(res.status).toBe(200);
    await eventually(
      () => g.gatehouse.gate.get('up-1'),
      (r) => r.status === 'approved',
    );
    expect(smtp.messages.slice(before).map((m) => m.subject)).toEqual([]);
  });
});

describe('approvers’ own addresses', () => {
  it('also e-mails the approvers whose addresses Slack told while it was up', async () => {
    await g.gatehouse.gate.submit({ id: 'learn-1', title: 'Learn addresses', approvers: ['U0CAROL'] });
    await g.slack!.waitFor('users.info', (c) => c.body.user === 'U0CAROL');
    await eventually(
      async () => (await g.gatehouse.store.keyv('approver-emails').get('U0CAROL')) ?? null,
      (v) => v !== null,
    );

    g.slack!.down();
    try {
      await g.gatehouse.gate.submit({ id: 'down-2', title: 'Pay the invoice', approvers: ['U0CAROL'] });
      await eventually(
        async () => smtp.messages.filter((m) => m.subject.includes('Pay the invoice')).flatMap((m) => m.to),
        (to) => to.length >= 2,
      );
      const to = smtp.messages.filter((m) => m.subject.includes('Pay the invoice')).flatMap((m) => m.to);
      expect(to.sort()).toEqual(['U0CAROL@example.com', 'approvers@example.com']);
    } finally {
      g.slack!.up();
    }
  });
});

describe('approvals by e-mail only, across a restart', () => {
  it('does not e-mail a request again when the next process starts', async () => {
    const mail = await FakeSmtp.start();
    const env = {
      SMTP_URL: mail.url,
      EMAIL_FROM: 'gatehouse@example.com',
      APPROVAL_EMAIL_TO: 'approvers@example.com',
      PUBLIC_URL: 'http://gatehouse.test',
    };
    const first = await startGatehouse({ slack: false, env });
    try {
      await first.gatehouse.gate.submit({ id: 'mail-only', title: 'Close the books' });
      await eventually(
        () => first.gatehouse.gate.get('mail-only'),
        (r) => r.emailedAt !== null,
      );
      await first.gatehouse.stop();
      const second = await startGatehouse({ slack: false, env, sqliteFile: first.sqliteFile });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await second.stop();
      expect(mail.messages.filter((m) => m.subject.includes('Close the books'))).toHaveLength(1);
    } finally {
      await mail.close();
    }
  });
});
