import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

let smtp: FakeSmtp;
let g: TestGatehouse;

beforeAll(async () => {
  smtp = await FakeSmtp.start();
  g = await startGatehouse({
    env: {
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'gatehouse@example.com',
      APPROVAL_EMAIL_TO: 'approvers@example.com',
      ALERT_EMAIL_TEAM: 'team@example.com',
      SLACK_ALERTS_CHANNEL: 'C0ALERTS',
      ALERT_EMAIL_FALLBACK_SECONDS: '1',
    },
  });
  await g.slack!.waitFor('auth.test');
});

afterAll(async () => {
  await g.stop();
  await smtp.close();
});

describe('Slack and SMTP down together', () => {
  it('loses no announcement and no alert: both are delivered once they come back', async () => {
    g.slack!.down();
    await smtp.stop();

    await g.gatehouse.gate.submit({ id: 'outage-1', title: 'Rotate keys during the outage' });
    const { alert } = await g.gatehouse.alerts.failure({ taskId: 'nightly', stage: 'sync', error: 'upstream 502' });
    // Both stay owed while neither surface answers.
    await eventually(
      () => g.gatehouse.store.effects.owed(),
      (owed) => owed >= 2,
    );
    expect((await g.gatehouse.gate.get('outage-1')).message).toBeNull();

    g.slack!.up();
    await smtp.restart();

    const announced = await eventually(
      () => g.gatehouse.gate.get('outage-1'),
      (record) => record.message !== null,
      15_000,
    );
    expect(announced.message?.channel).toBe('C0APPROVALS');
    const posts = await eventually(
      async () =>
        g.slack!.callsTo('chat.postMessage').filter((call) => JSON.stringify(call.body).includes('upstream 502')),
      (found) => found.length > 0,
      15_000,
    );
    expect(posts).toHaveLength(1);
    const [stored] = await eventually(
      () => g.gatehouse.alerts.history({ taskId: 'nightly' }),
      ([record]) => record?.deliveries.some((d) => d.status === 'sent') === true,
    );
    expect(stored?.id).toBe(alert.id);
    // Nothing is owed any more but the request's ladder (its reminder and deadline, still ahead).
    await eventually(
      async () => [
        await g.gatehouse.store.effects.owed('alert.deliver'),
        await g.gatehouse.store.effects.owed('approval.announce'),
      ],
      ([alerts, announcements]) => alerts === 0 && announcements === 0,
    );
    // Exactly one announcement message for the request, however many tries it took.
    const announcements = g
      .slack!.callsTo('chat.postMessage')
      .filter((call) => JSON.stringify(call.body).includes('Rotate keys during the outage'));
    expect(announcements).toHaveLength(1);
  });
});
