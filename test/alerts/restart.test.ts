import { describe, expect, it } from 'vitest';
import { alertIndexes } from '../../src/alerts/groups.js';
import { UnreachableError } from '../../src/alerts/ports.js';
import type { AlertRecord } from '../../src/alerts/types.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock, settle } from '../support/manual-clock.js';
import { deliveryOf, setup } from './support.js';

/** A stored alert whose process died before delivering it. */
function pendingRecord(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'left-behind',
    kind: 'failure',
    severity: 'critical',
    dedupKey: 'failure:campaign-42:launch',
    taskId: 'campaign-42',
    stage: 'launch',
    title: 'Task campaign-42 failed at stage launch',
    message: 'boom',
    error: 'boom',
    currentCost: null,
    budget: null,
    percent: null,
    durationSeconds: null,
    count: 1,
    firstSeen: '2026-01-05T08:59:00.000Z',
    lastSeen: '2026-01-05T08:59:00.000Z',
    route: { slack: ['C0ALERTS'], email: ['team@example.com'] },
    deliveries: [
      { target: 'slack:C0ALERTS', status: 'pending', attempts: [] },
      { target: 'email:team', status: 'pending', attempts: [] },
    ],
    state: 'pending',
    heldUntil: null,
    version: 1,
    ...overrides,
  };
}

describe('restart', () => {
  it('delivers a stored alert with pending deliveries when a new manager starts', async () => {
    const store = new MemoryStore().records<AlertRecord>('alerts', alertIndexes);
    await store.insert(pendingRecord());
    const { alerts, slack, email } = setup({ store });
    expect(await alerts.start()).toEqual({ pending: 1 });
    await settle();
    expect(slack.posts.map((p) => [p.channel, p.alert.id])).toEqual([['C0ALERTS', 'left-behind']]);
    expect(email.sends.map((s) => s.alert.id)).toEqual(['left-behind']);
    expect(await store.get('left-behind')).toMatchObject({ state: 'done' });
    await alerts.idle();
  });

  it('picks up where a killed manager stopped: queued posts, retries and due counter updates', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore().records<AlertRecord>('alerts', alertIndexes);
    const before = setup({ store, clock });
    before.slack.fail = (channel) => (channel === 'C0MONITOR' ? new UnreachableError('down') : undefined);
    const posted = await before.alerts.failure({ taskId: 't', stage: 's', error: 'x' });
    const queued = await before.alerts.failure({ taskId: 'u', stage: 's', error: 'x' });
    const retrying = await before.alerts.costWarning({ taskId: 'v', currentCost: 90, budget: 100 });
    await settle();
    await before.alerts.failure({ taskId: 't', stage: 's', error: 'x' });
    // The process dies: timers gone, nothing flushed.
    before.alerts.stop();
    expect(before.slack.posts.map((p) => p.alert.id)).toEqual([posted.alert.id]);

    const after = setup({ store, clock });
    expect(await after.alerts.start()).toEqual({ pending: 3 });
    await clock.advance(5000);
    expect(after.slack.posts.map((p) => p.alert.id)).toEqual([queued.alert.id, retrying.alert.id]);
    expect(after.slack.updates.map((u) => [u.alert.id, u.alert.count])).toEqual([[posted.alert.id, 2]]);
    // The retried delivery keeps its earlier failed attempt.
    expect((await deliveryOf(store, retrying.alert.id, 'slack:C0MONITOR'))?.attempts.map((a) => a.ok)).toEqual([
      false,
      true,
    ]);
    expect(await after.alerts.start()).toEqual({ pending: 0 });
  });

  it('still falls back to e-mail after a restart when Slack stays down past the bound', async () => {
    const store = new MemoryStore().records<AlertRecord>('alerts', alertIndexes);
    await store.insert(
      pendingRecord({
        deliveries: [
          {
            target: 'slack:C0ALERTS',
            status: 'pending',
            attempts: [{ at: '2026-01-05T08:59:00.000Z', ok: false, error: 'down' }],
          },
          { target: 'email:team', status: 'sent', attempts: [{ at: '2026-01-05T08:59:00.000Z', ok: true }] },
        ],
      }),
    );
    const { alerts, slack, email } = setup({ store });
    slack.fail = () => new UnreachableError('still down');
    await alerts.start();
    await settle();
    expect(slack.tries).toHaveLength(1);
    expect(email.sends.map((s) => s.fallback)).toEqual([true]);
    expect(await deliveryOf(store, 'left-behind', 'slack:C0ALERTS')).toMatchObject({ status: 'fallback' });
  });

  it('resumes in the same process after stop() and start()', async () => {
    const { alerts, slack, clock } = setup();
    for (let i = 0; i < 3; i++) await alerts.completion({ taskId: `t${i}`, durationSeconds: 1 });
    await settle();
    alerts.stop();
    await clock.advance(10_000);
    expect(slack.posts).toHaveLength(1);
    expect(await alerts.start()).toEqual({ pending: 2 });
    for (let second = 0; second < 3; second++) await clock.advance(1000);
    expect(slack.posts.map((p) => p.alert.taskId)).toEqual(['t0', 't1', 't2']);
  });
});
