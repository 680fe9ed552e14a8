import { describe, expect, it } from 'vitest';
import { RateLimitedError, UnreachableError } from '../../src/alerts/ports.js';
import { settle } from '../support/manual-clock.js';
import { deliveryOf, OWNER, setup, TEAM } from './support.js';

describe('Slack failures and e-mail fallback', () => {
  it('retries an unreachable Slack with backoff, then e-mails the alert within 60 s and says so', async () => {
    const { alerts, slack, email, store, clock } = setup();
    slack.fail = () => new UnreachableError('connect ECONNREFUSED');
    const start = clock.now();
    const { alert } = await alerts.completion({ taskId: 'report-7', durationSeconds: 30 });
    await settle();
    await clock.advance(59_999);
    expect(email.sends).toHaveLength(0);
    // Backoff: tries at 0, 1, 3, 7, 15 and 31 s.
    expect(slack.tries.map((t) => (t.at - start) / 1000)).toEqual([0, 1, 3, 7, 15, 31]);

    await clock.advance(1);
    expect(email.sends).toEqual([
      { to: OWNER, alert: expect.objectContaining({ id: alert.id }), fallback: true, at: start + 60_000 },
    ]);
    const slackDelivery = await deliveryOf(store, alert.id, 'slack:C0STATUS');
    expect(slackDelivery?.status).toBe('fallback');
    expect(slackDelivery?.attempts).toHaveLength(6);
    expect(slackDelivery?.attempts.every((a) => !a.ok && a.error === 'connect ECONNREFUSED')).toBe(true);
    expect(await deliveryOf(store, alert.id, 'email:fallback')).toMatchObject({ status: 'sent', deliveredCount: 1 });
    expect((await store.get(alert.id))?.state).toBe('done');

    await clock.advance(120_000);
    expect(slack.tries).toHaveLength(6);
    await alerts.idle();
  });

  it('sends a critical alert to the team by e-mail at once, and again as a fallback when Slack stays down', async () => {
    const { alerts, slack, email, clock } = setup();
    slack.fail = () => new UnreachableError('socket hang up');
    await alerts.failure({ taskId: 't', stage: 's', error: 'boom' });
    await settle();
    expect(email.sends.map((s) => [s.to, s.fallback])).toEqual([[TEAM, false]]);
    await clock.advance(60_000);
    expect(email.sends.map((s) => [s.to, s.fallback])).toEqual([
      [TEAM, false],
      [TEAM, true],
    ]);
  });

  it('counts a rate limit lasting past the bound as unreachable', async () => {
    const { alerts, slack, email, store, clock } = setup();
    slack.fail = () => new RateLimitedError(45_000);
    const { alert } = await alerts.completion({ taskId: 'x', durationSeconds: 1 });
    await settle();
    await clock.advance(60_000);
    expect(slack.tries).toHaveLength(2);
    expect(email.sends.map((s) => s.fallback)).toEqual([true]);
    expect(await deliveryOf(store, alert.id, 'slack:C0STATUS')).toMatchObject({ status: 'fallback' });
    await clock.advance(60_000);
    expect(slack.tries).toHaveLength(2);
  });

  it('falls back at once on a permanent Slack error, marking the delivery failed', async () => {
    const { alerts, slack, email, store } = setup();
    slack.nextErrors.push(new Error('channel_not_found'));
    const { alert } = await alerts.completion({ taskId: 'x', durationSeconds: 1 });
    await settle();
    expect(await deliveryOf(store, alert.id, 'slack:C0STATUS')).toMatchObject({
      status: 'failed',
      attempts: [{ ok: false, error: 'channel_not_found' }],
    });
    expect(email.sends.map((s) => [s.to, s.fallback])).toEqual([[OWNER, true]]);
  });

  it('goes on after Slack comes back: a retried post succeeds and no e-mail is sent', async () => {
    const { alerts, slack, email, store, clock } = setup();
    slack.nextErrors.push(new UnreachableError('timeout'), new UnreachableError('timeout'));
    const { alert } = await alerts.completion({ taskId: 'x', durationSeconds: 1 });
    await settle();
    await clock.advance(3000);
    expect(slack.posts).toHaveLength(1);
    expect((await deliveryOf(store, alert.id, 'slack:C0STATUS'))?.attempts.map((a) => a.ok)).toEqual([
      false,
      false,
      true,
    ]);
    await clock.advance(120_000);
    expect(email.sends).toHaveLength(0);
  });

  it('records a failing e-mail port on the delivery, and loses nothing else', async () => {
    const { alerts, slack, email, store } = setup();
    email.result = () => ({
      ok: false,
      error: 'connect ECONNREFUSED 127.0.0.1:25',
      attempts: [1, 2, 3].map(() => ({ at: '2026-01-05T09:00:00.000Z', ok: false, error: 'connect ECONNREFUSED' })),
    });
    const { alert } = await alerts.failure({ taskId: 't', stage: 's', error: 'boom' });
    await settle();
    const stored = await store.get(alert.id);
    expect(stored?.deliveries.find((d) => d.target === 'email:team')).toMatchObject({ status: 'failed' });
    expect(stored?.deliveries.find((d) => d.target === 'email:team')?.attempts).toHaveLength(3);
    expect(stored?.deliveries.find((d) => d.target === 'slack:C0ALERTS')?.status).toBe('sent');
    expect(slack.posts).toHaveLength(1);
    expect(stored).toMatchObject({ count: 1, state: 'done' });
    expect(await alerts.history()).toHaveLength(1);
  });

  it('records an e-mail port that throws as a failed attempt', async () => {
    const { alerts, email, store } = setup();
    email.send = async () => {
      throw new Error('transport closed');
    };
    const { alert } = await alerts.costWarning({ taskId: 't', currentCost: 90, budget: 100 });
    await settle();
    expect(await deliveryOf(store, alert.id, 'email:owner')).toMatchObject({
      status: 'failed',
      attempts: [{ ok: false, error: 'transport closed' }],
    });
  });

  it('e-mails what was meant for Slack when Slack is off', async () => {
    const { alerts, email, store } = setup({ slack: undefined });
    const { alert } = await alerts.completion({ taskId: 't', durationSeconds: 1 });
    await settle();
    expect(email.sends.map((s) => [s.to, s.fallback])).toEqual([[OWNER, true]]);
    expect((await store.get(alert.id))?.deliveries.map((d) => d.target)).toEqual(['email:fallback']);
  });
});
