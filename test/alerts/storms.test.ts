import { describe, expect, it } from 'vitest';
import type { AlertManager } from '../../src/alerts/manager.js';
import { settle } from '../support/manual-clock.js';
import { setup } from './support.js';

const failure = { taskId: 'campaign-42', stage: 'launch', error: 'Error: ECONNRESET' };

describe('alert storms', () => {
  it('spaces counter updates across all messages to stay within the workspace rate of chat.update', async () => {
    const { alerts, slack, clock } = setup({ updateIntervalMs: 1000, updateSpacingMs: 1200 });
    const stages = ['a', 'b', 'c', 'd', 'e'];
    for (const stage of stages) await alerts.failure({ taskId: 'wide', stage });
    for (let s = 0; s < 8; s++) await clock.advance(1000); // all five posted, one a second
    expect(slack.posts).toHaveLength(5);
    for (const stage of stages) for (let i = 0; i < 10; i++) await alerts.failure({ taskId: 'wide', stage });
    for (let s = 0; s < 40; s++) await clock.advance(250);
    await settle();
    const times = slack.updates.map((u) => u.at);
    expect(times.length).toBe(5);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1200);
    expect(slack.updates.every((u) => u.alert.count === 11)).toBe(true);
  });

  it('turns 200 identical failures into one post whose counter is updated in place, at most every 2 s', async () => {
    const { alerts, slack, email, store, clock } = setup();
    let last: Awaited<ReturnType<AlertManager['send']>> | undefined;
    // 200 failures over 2 minutes: one every 600 ms.
    for (let i = 0; i < 200; i++) {
      last = await alerts.failure(failure);
      await clock.advance(600);
    }
    await clock.advance(10_000);

    expect(slack.posts).toHaveLength(1);
    expect(email.sends).toHaveLength(1);
    expect(last?.grouped).toBe(true);
    const stored = await store.get(last?.alert.id ?? '');
    expect(stored).toMatchObject({ count: 200, state: 'done', firstSeen: '2026-01-05T09:00:00.000Z' });
    expect(stored?.lastSeen).toBe('2026-01-05T09:01:59.400Z');

    // Coalesced: never two updates of the message less than 2 s apart, and far fewer than 199.
    const times = slack.updates.map((u) => u.at);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(slack.updates.length).toBeLessThanOrEqual(61);
    expect(slack.updates.every((u) => u.message.ts === slack.posts[0]?.ref.ts)).toBe(true);
    expect(slack.updates.at(-1)?.alert.count).toBe(200);
    expect(stored?.deliveries.find((d) => d.target === 'slack:C0ALERTS')?.deliveredCount).toBe(200);
  });

  it('ends a burst with an update showing the true count', async () => {
    const { alerts, slack, store, clock } = setup();
    const sent = await Promise.all(Array.from({ length: 200 }, () => alerts.failure(failure)));
    expect(new Set(sent.map((s) => s.alert.id)).size).toBe(1);
    expect(sent.filter((s) => !s.grouped)).toHaveLength(1);
    await clock.advance(5000);
    expect(slack.posts).toHaveLength(1);
    expect(slack.updates.length).toBeLessThanOrEqual(2);
    expect(slack.updates.at(-1)?.alert.count).toBe(200);
    expect(await store.get(sent[0]?.alert.id ?? '')).toMatchObject({ count: 200, state: 'done' });
  });

  it('starts a new group once the window from the first occurrence has passed', async () => {
    const { alerts, slack, clock } = setup({ dedupWindowSeconds: 300 });
    const first = await alerts.failure(failure);
    await clock.advance(299_000);
    const within = await alerts.failure(failure);
    await clock.advance(1000);
    const after = await alerts.failure(failure);
    await clock.advance(5000);
    expect(within).toMatchObject({ grouped: true, alert: { id: first.alert.id, count: 2 } });
    expect(after.grouped).toBe(false);
    expect(after.alert.id).not.toBe(first.alert.id);
    expect(slack.posts).toHaveLength(2);
  });

  it('groups by dedup key: other stages, tasks or kinds are other alerts, an explicit key joins them', async () => {
    const { alerts } = setup();
    const a = await alerts.failure({ taskId: 't', stage: 'one', error: 'x' });
    const b = await alerts.failure({ taskId: 't', stage: 'two', error: 'x' });
    const c = await alerts.custom({ title: 'Rule breached: failure rate', dedupKey: 'rule:failure-rate' });
    const d = await alerts.custom({ title: 'Rule breached: failure rate 40%', dedupKey: 'rule:failure-rate' });
    const e = await alerts.custom({ title: 'Another custom alert' });
    expect(a.alert.id).not.toBe(b.alert.id);
    expect(d).toMatchObject({
      grouped: true,
      alert: { id: c.alert.id, count: 2, title: 'Rule breached: failure rate 40%' },
    });
    expect(e.alert.id).not.toBe(c.alert.id);
  });

  it('keeps grouping across a restart: the key index lives in the store', async () => {
    const { alerts, store, clock, slack } = setup();
    const first = await alerts.failure(failure);
    await settle();
    alerts.stop();
    const again = setup({ store, clock });
    const second = await again.alerts.failure(failure);
    expect(second).toMatchObject({ grouped: true, alert: { id: first.alert.id, count: 2 } });
    await again.alerts.start();
    await clock.advance(3000);
    expect(again.slack.posts).toHaveLength(0);
    expect(again.slack.updates.at(-1)?.alert.count).toBe(2);
    expect(slack.posts).toHaveLength(1);
  });

  it('does not e-mail again for storm occurrences: the count goes in the record', async () => {
    const { alerts, email, store, clock } = setup();
    const { alert } = await alerts.failure(failure);
    await alerts.failure(failure);
    await alerts.failure(failure);
    await clock.advance(3000);
    expect(email.sends).toHaveLength(1);
    expect((await store.get(alert.id))?.count).toBe(3);
  });
});
