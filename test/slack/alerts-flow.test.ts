import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { FakeSlack } from '../support/fake-slack.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { ManualClock } from '../support/manual-clock.js';

let slack: FakeSlack;
let smtp: FakeSmtp;
let clock: ManualClock;
let g: TestGatehouse;

beforeAll(async () => {
  slack = await FakeSlack.start();
  smtp = await FakeSmtp.start();
});
afterAll(async () => {
  await slack.close();
  await smtp.close();
});
beforeEach(async () => {
  slack.reset();
  smtp.messages.length = 0;
  clock = new ManualClock(Date.now());
  g = await startGatehouse({
    fakeSlack: slack,
    clock,
    env: {
      SLACK_ALERTS_CHANNEL: 'C0ALERTS',
      SLACK_MONITORING_CHANNEL: 'C0MONITOR',
      SLACK_STATUS_CHANNEL: 'C0STATUS',
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'gatehouse@example.com',
      ALERT_EMAIL_TEAM: 'team@example.com',
      ALERT_EMAIL_OWNER: 'owner@example.com',
    },
  });
});
afterEach(async () => {
  await g.stop();
});

const alert = (body: Record<string, unknown>) => g.api('/api/v1/alerts', { json: body });
/** Moves the manual clock in steps, giving the loopback I/O each step starts a moment of real time. */
async function run(ms: number, step = 250) {
  for (let t = 0; t < ms; t += step) {
    await clock.advance(Math.min(step, ms - t));
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}
const postsTo = (channel: string) => slack.callsTo('chat.postMessage').filter((c) => c.body.channel === channel);

describe('alerts through the API', () => {
  it('routes a failure to #alerts and the team, masking secrets', async () => {
    const res = await alert({
      kind: 'failure',
      taskId: 'campaign-42',
      stage: 'launch',
      error: 'Error: 401 from ads API with key sk-ant-api03-SECRETSECRETSECRETSECRET',
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({
      severity: 'critical',
      routedTo: { slack: ['C0ALERTS'], email: ['team@example.com'] },
    });
    const post = await slack.waitFor('chat.postMessage', (c) => c.body.channel === 'C0ALERTS');
    const mail = await smtp.waitFor();
    expect(mail.to).toEqual(['team@example.com']);
    expect(mail.subject).toMatch(/CRITICAL/);
    for (const text of [JSON.stringify(post.body), mail.text, mail.html]) {
      expect(text).toContain('campaign-42');
      expect(text).not.toContain('SECRETSECRET');
    }
  });

  it('routes a cost warning past 80 % to #monitoring and the owner, and suppresses one below', async () => {
    const below = await (await alert({ kind: 'cost_warning', taskId: 't1', currentCost: 50, budget: 100 })).json();
    expect(below.suppressed).toBeTruthy();
    const above = await alert({ kind: 'cost_warning', taskId: 't1', currentCost: 85, budget: 100 });
    expect((await above.json()).routedTo).toEqual({ slack: ['C0MONITOR'], email: ['owner@example.com'] });
    const post = await slack.waitFor('chat.postMessage', (c) => c.body.channel === 'C0MONITOR');
    expect(JSON.stringify(post.body)).toContain('85');
    expect((await smtp.waitFor()).to).toEqual(['owner@example.com']);
  });

  it('routes a completion to #status without e-mail', async () => {
    await alert({ kind: 'completion', taskId: 't2', durationSeconds: 192 });
    await slack.waitFor('chat.postMessage', (c) => c.body.channel === 'C0STATUS');
    await g.gatehouse.alerts.idle();
    expect(smtp.messages).toHaveLength(0);
  });

  it('answers 400 naming wrong fields, and 401 without the token', async () => {
    const res = await alert({ kind: 'explosion', budget: 'lots' });
    expect(res.status).toBe(400);
    const fields = (await res.json()).issues.map((i: { field: string }) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['kind', 'budget']));
    expect((await fetch(`${g.url}/api/v1/alerts`, { method: 'POST' })).status).toBe(401);
  });

  it('groups 200 identical failures into one message whose counter ends at 200', async () => {
    const failure = { kind: 'failure', taskId: 'storm', stage: 'fetch', error: 'ECONNRESET' };
    const answers = await Promise.all(Array.from({ length: 200 }, () => alert(failure)));
    expect(answers.every((r) => r.status === 202)).toBe(true);
    await run(12_000, 1_000);
    await g.gatehouse.alerts.idle();
    expect(postsTo('C0ALERTS')).toHaveLength(1);
    const ts = (await g.gatehouse.alerts.history({ taskId: 'storm' }))[0]?.deliveries.find((d) => d.message)?.message
      ?.ts;
    const updates = slack.callsTo('chat.update').filter((c) => c.body.ts === ts);
    expect(updates.length).toBeGreaterThan(0);
    expect(JSON.stringify(updates.at(-1)?.body)).toMatch(/200 times/);
    const [group] = await g.gatehouse.alerts.history({ taskId: 'storm' });
    expect(group?.count).toBe(200);
    expect(smtp.messages.filter((m) => m.subject.includes('storm'))).toHaveLength(1);
  });

  it('paces distinct alerts to one channel at about one a second, without delaying another channel', async () => {
    for (let i = 0; i < 5; i++) await alert({ kind: 'failure', taskId: `pace-${i}`, stage: 's' });
    await alert({ kind: 'completion', taskId: 'other-channel' });
    await run(250);
    expect(postsTo('C0ALERTS')).toHaveLength(1);
    expect(postsTo('C0STATUS')).toHaveLength(1);
    await run(2_000);
    expect(postsTo('C0ALERTS')).toHaveLength(3);
    await run(3_000);
    expect(postsTo('C0ALERTS')).toHaveLength(5);
  });

  it('honours a 429 Retry-After before posting again', async () => {
    slack.failNext('chat.postMessage', 1, {
      status: 429,
      headers: { 'retry-after': '5' },
      body: { ok: false, error: 'ratelimited' },
    });
    await alert({ kind: 'failure', taskId: 'limited', stage: 's' });
    await run(4_500);
    expect(postsTo('C0ALERTS')).toHaveLength(1); // only the refused try
    await run(1_000);
    expect(postsTo('C0ALERTS')).toHaveLength(2);
  });

  it('e-mails an alert within 60 s when Slack is down, and the record says so', async () => {
    slack.down();
    await alert({ kind: 'completion', taskId: 'offline', durationSeconds: 5 });
    await run(61_000, 1_000);
    const mail = await smtp.waitFor((m) => m.subject.includes('offline'));
    expect(mail.to).toEqual(['owner@example.com']);
    expect(mail.text).toMatch(/Slack could not be reached/);
    const record = await eventually(
      async () => (await g.gatehouse.alerts.history({ taskId: 'offline' }))[0],
      (r) => r?.deliveries.find((d) => d.target === 'email:fallback')?.status === 'sent',
    );
    const slackDelivery = record?.deliveries.find((d) => d.target.startsWith('slack:'));
    expect(slackDelivery?.status).toBe('fallback');
    expect(slackDelivery?.attempts.length).toBeGreaterThan(1);
  });

  it('records an e-mail that SMTP refused as failed, after retrying, and still posts to Slack', async () => {
    await smtp.stop();
    try {
      await alert({ kind: 'failure', taskId: 'smtp-down', stage: 's' });
      await slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.body).includes('smtp-down'));
      const record = await eventually(
        async () => (await g.gatehouse.alerts.history({ taskId: 'smtp-down' }))[0],
        (r) => r?.deliveries.find((d) => d.target.startsWith('email:'))?.status === 'failed',
      );
      const email = record?.deliveries.find((d) => d.target.startsWith('email:'));
      expect(email?.attempts).toHaveLength(3);
    } finally {
      await smtp.restart();
    }
  });
});
