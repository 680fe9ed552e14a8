import { describe, expect, it } from 'vitest';
import { alertIndexes } from '../../src/alerts/groups.js';
import { parseRoutes } from '../../src/alerts/routes-file.js';
import type { AlertRecord } from '../../src/alerts/types.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock, settle } from '../support/manual-clock.js';
import { deliveryOf, setup } from './support.js';

const routes = parseRoutes('quietHours: { from: "22:00", to: "07:00", timeZone: Europe/Paris }\n');

describe('quiet hours', () => {
  it('holds info alerts arriving in quiet hours and posts them, paced, when they end', async () => {
    // 22:30 in Paris.
    const clock = new ManualClock(Date.parse('2026-01-05T21:30:00Z'));
    const { alerts, slack, store } = setup({ clock, routes });
    const first = await alerts.completion({ taskId: 'nightly-1', durationSeconds: 60 });
    await alerts.completion({ taskId: 'nightly-2', durationSeconds: 60 });
    await alerts.failure({ taskId: 'nightly-3', stage: 'export', error: 'boom' });
    await settle();

    expect(first.alert.heldUntil).toBe('2026-01-06T06:00:00.000Z');
    expect(slack.posts.map((p) => p.alert.kind)).toEqual(['failure']);
    expect(await store.get(first.alert.id)).toMatchObject({ state: 'pending' });

    await clock.advance(8.5 * 3600_000 - 1);
    expect(slack.posts).toHaveLength(1);
    await clock.advance(1);
    expect(slack.posts.map((p) => p.alert.taskId)).toEqual(['nightly-3', 'nightly-1']);
    await clock.advance(1000);
    expect(slack.posts.map((p) => p.alert.taskId)).toEqual(['nightly-3', 'nightly-1', 'nightly-2']);
    expect(await store.get(first.alert.id)).toMatchObject({ state: 'done' });
  });

  it('posts info alerts at once outside quiet hours', async () => {
    const clock = new ManualClock(Date.parse('2026-01-05T12:00:00Z'));
    const { alerts, slack } = setup({ clock, routes });
    const { alert } = await alerts.completion({ taskId: 'x', durationSeconds: 1 });
    await settle();
    expect(alert.heldUntil).toBeNull();
    expect(slack.posts).toHaveLength(1);
  });

  it('keeps holding after a restart, and counts what arrives meanwhile', async () => {
    const clock = new ManualClock(Date.parse('2026-01-05T21:30:00Z'));
    const store = new MemoryStore().records<AlertRecord>('alerts', alertIndexes);
    const before = setup({ clock, store, routes });
    const { alert } = await before.alerts.completion({ taskId: 'nightly-1', durationSeconds: 60 });
    before.alerts.stop();
    const after = setup({ clock, store, routes });
    await after.alerts.start();
    await after.alerts.completion({ taskId: 'nightly-1', durationSeconds: 61 });
    await clock.advance(3600_000);
    expect(after.slack.posts).toHaveLength(0);
    await clock.advance(7.5 * 3600_000);
    expect(after.slack.posts.map((p) => [p.alert.id, p.alert.count])).toEqual([[alert.id, 2]]);
  });
});

describe('task threads', () => {
  it('posts an alert in its channel and as a reply in the task thread', async () => {
    const thread = { channel: 'C0APPROVALS', ts: '1699999999.000100' };
    const { alerts, slack, store, clock } = setup({
      threadFor: async (taskId) => (taskId === 'campaign-42' ? thread : null),
    });
    const { alert } = await alerts.failure({ taskId: 'campaign-42', stage: 'launch', error: 'boom' });
    await alerts.failure({ taskId: 'other', stage: 'launch', error: 'boom' });
    await settle();
    await clock.advance(1000);

    expect(slack.posts.map((p) => [p.channel, p.threadTs, p.alert.taskId])).toEqual([
      ['C0ALERTS', undefined, 'campaign-42'],
      ['C0APPROVALS', '1699999999.000100', 'campaign-42'],
      ['C0ALERTS', undefined, 'other'],
    ]);
    expect(await deliveryOf(store, alert.id, 'slack-thread:C0APPROVALS:1699999999.000100')).toMatchObject({
      status: 'sent',
      message: { channel: 'C0APPROVALS' },
    });
  });

  it('updates the counter in the thread too', async () => {
    const { alerts, slack, clock } = setup({ threadFor: async () => ({ channel: 'C0APPROVALS', ts: '1.2' }) });
    await alerts.failure({ taskId: 't', stage: 's', error: 'x' });
    await settle();
    await alerts.failure({ taskId: 't', stage: 's', error: 'x' });
    await clock.advance(3000);
    expect(slack.updates.map((u) => [u.message.channel, u.alert.count])).toEqual([
      ['C0ALERTS', 2],
      ['C0APPROVALS', 2],
    ]);
  });

  it('still posts to the channel when the thread lookup fails', async () => {
    const { alerts, slack } = setup({
      threadFor: async () => {
        throw new Error('store down');
      },
    });
    await alerts.failure({ taskId: 't', stage: 's', error: 'x' });
    await settle();
    expect(slack.posts.map((p) => p.channel)).toEqual(['C0ALERTS']);
  });
});
