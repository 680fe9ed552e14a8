import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/types.js';
import { EmailAlertPort } from '../../src/email/alert-port.js';
import { Mailer } from '../../src/email/mailer.js';
import { escapeHtml } from '../../src/email/templates/html.js';
import { alertRecord as baseRecord } from '../support/alert-record.js';
import { FakeSmtp } from '../support/fake-smtp.js';

const alertRecord = (overrides: Partial<AlertRecord> = {}) =>
  baseRecord({
    message: 'The ad platform refused the launch request.',
    route: { slack: ['C0ALERTS'], email: ['team'] },
    ...overrides,
  });

const team = ['oncall@example.com', 'lead@example.com'];
let fake: FakeSmtp;
let mailer: Mailer;
let port: EmailAlertPort;

beforeEach(async () => {
  fake = await FakeSmtp.start();
  // Tiny delays so retries happen at once.
  mailer = new Mailer({
    smtpUrl: fake.url,
    from: 'Gatehouse <gatehouse@example.com>',
    minTimeoutMs: 5,
    maxTimeoutMs: 20,
  });
  port = new EmailAlertPort({ mailer, publicUrl: 'https://gatehouse.example.com/' });
});

afterEach(async () => {
  mailer.close();
  await fake.close();
});

describe('EmailAlertPort.send', () => {
  it('mails the severity, task, stage and error to every recipient', async () => {
    const result = await port.send(team, alertRecord());

    expect(result).toEqual({ ok: true, attempts: [expect.objectContaining({ ok: true })] });
    const mail = await fake.waitFor();
    expect(mail.to).toEqual(team);
    expect(mail.subject).toBe('[CRITICAL] Task campaign-42 failed at stage launch');
    expect(mail.text).toMatch(/^🔴 CRITICAL · Failure\n\nTask campaign-42 failed at stage launch\n/);
    expect(mail.text).toContain('The ad platform refused the launch request.');
    expect(mail.text).toContain('Task: campaign-42\nStage: launch\n');
    expect(mail.text).toContain('Error:\nError: connect ECONNRESET\n    at launch (campaign.ts:42:7)');
    expect(mail.text).toContain('Gatehouse · https://gatehouse.example.com');
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
    expect(mail.html).toContain('CRITICAL · Failure');
    expect(mail.html).toContain('campaign-42');
    expect(mail.html).toContain('<a href="https://gatehouse.example.com"');
    expect(mail.html).not.toMatch(/<style|<link|class=/);
    expect(mail.text).not.toContain('Slack could not be reached');
  });

  it('counts a storm in the subject and the body', async () => {
    await port.send(team, alertRecord({ count: 200, lastSeen: '2024-05-01T10:02:00.000Z' }));

    const mail = await fake.waitFor();
    expect(mail.subject).toBe('[CRITICAL] Task campaign-42 failed at stage launch (×200)');
    expect(mail.text).toContain(
      'Occurrences: 200 times\nFirst seen: 2024-05-01 10:00:00 UTC\nLast seen: 2024-05-01 10:02:00 UTC',
    );
  });

  it('cuts a long title, never the storm counter, to keep the subject short', async () => {
    await port.send(team, alertRecord({ title: `Task ${'x'.repeat(500)}\nfailed`, count: 1200 }));

    const mail = await fake.waitFor();
    expect(mail.subject.length).toBeLessThanOrEqual(200);
    expect(mail.subject).toMatch(/^\[CRITICAL\] Task x+… \(×1,200\)$/);
  });

  it('shows cost against budget for a cost warning', async () => {
    await port.send(
      team,
      alertRecord({
        kind: 'cost_warning',
        severity: 'warning',
        title: 'Task campaign-42 has used 85% of its budget ($510.00 of $600.00)',
        stage: null,
        error: null,
        currentCost: 510,
        budget: 600,
        percent: 85,
      }),
    );

    const mail = await fake.waitFor();
    expect(mail.subject).toBe('[WARNING] Task campaign-42 has used 85% of its budget ($510.00 of $600.00)');
    expect(mail.text).toContain('Cost: $510.00 of $600.00 · 85%');
    expect(mail.html).toContain('$510.00 of $600.00 · 85%');
  });

  it('shows user text in the HTML as text, never as markup', async () => {
    const hostile = alertRecord({
      title: 'Broke <b>badly</b> & "quoted"',
      error: '<script>alert("x")</script>\n<img src=x onerror=alert(1)>',
    });

    await port.send(team, hostile);

    const mail = await fake.waitFor();
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).toContain('Broke &lt;b&gt;badly&lt;/b&gt; &amp; &quot;quoted&quot;');
    expect(mail.html).not.toMatch(/<script|<img|<b>/);
    expect(mail.text).toContain('<script>alert("x")</script>');
  });

  it('says why it came by e-mail when it is a fallback', async () => {
    await port.send(team, alertRecord(), { fallback: true });

    const mail = await fake.waitFor();
    expect(mail.text).toContain('Sent by e-mail because Slack could not be reached.');
    expect(mail.html).toContain('Sent by e-mail because Slack could not be reached.');
  });

  it('records a refusal (550) as a failed delivery instead of throwing', async () => {
    fake.rejectNext(1, 550, 'Mailbox unavailable');

    const result = await port.send(team, alertRecord());

    expect(result.ok).toBe(false);
    expect(result.attempts).toEqual([expect.objectContaining({ ok: false })]);
    expect(result.error).toMatch(/Mailbox unavailable/);
    expect(fake.messages).toHaveLength(0);
  });

  it('records an empty or malformed recipient list as one failed attempt', async () => {
    const at = new Date('2024-05-01T10:00:01.000Z');
    const clocked = new EmailAlertPort({ mailer, publicUrl: 'https://gatehouse.example.com', now: () => at });

    const none = await clocked.send([], alertRecord());
    const bad = await clocked.send(['not an address'], alertRecord());

    expect(none).toMatchObject({ ok: false, attempts: [{ at: at.toISOString(), ok: false }] });
    expect(none.error).toMatch(/at least one recipient/);
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/e-mail address/);
    expect(fake.messages).toHaveLength(0);
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
