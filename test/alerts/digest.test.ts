import { describe, expect, it } from 'vitest';
import { digestText } from '../../src/alerts/digest.js';
import { settle } from '../support/manual-clock.js';
import { CHANNELS, setup } from './support.js';

const TARGET = `slack:${CHANNELS.alerts}`;

/** `n` distinct failures (one group each) sent at once. */
async function burst(alerts: ReturnType<typeof setup>['alerts'], n: number, prefix = 'task') {
  for (let i = 0; i < n; i++) await alerts.failure({ taskId: `${prefix}-${i}`, stage: 'load', error: 'ECONNRESET' });
}

describe('storm digests', () => {
  it('posts one digest for 500 distinct failures within 2 s, and every group says it went there', async () => {
    const { alerts, slack, store, clock } = setup({ updateIntervalMs: 2000 });
    const start = clock.now();
    await burst(alerts, 500);
    await clock.advance(2000);
    expect(slack.posts[0]?.at).toBe(start);
    expect(slack.digests).toHaveLength(1);
    const digest = slack.digests[0]!;
    expect(digest.at - start).toBeLessThanOrEqual(2000);
    expect(digest.channel).toBe(CHANNELS.alerts);
    for (let s = 0; s < 10; s++) await clock.advance(1000);
    await settle();

    // Nothing is left queued one by one: a few posts went out before the storm started.
    expect(slack.posts.length).toBeLessThanOrEqual(3);
    const page = await alerts.history({ limit: 1000 });
    expect(page).toHaveLength(500);
    const statuses = page.map((record) => record.deliveries.find((d) => d.target === TARGET));
    expect(statuses.every((d) => d?.status === 'sent' || d?.status === 'digest')).toBe(true);
    const digested = statuses.filter((d) => d?.status === 'digest');
    expect(digested.length).toBe(500 - slack.posts.length);
    expect(digested.every((d) => d?.message?.ts === digest.ref.ts)).toBe(true);
    expect(page.every((record) => record.state === 'done')).toBe(true);
    const one = await store.get(page[0]!.id);
    expect(one?.deliveries.find((d) => d.target === TARGET)?.attempts.at(-1)?.ok).toBe(true);
  });

  it('updates the digest in place with new groups and counts, the busiest first, at most every 2 s', async () => {
    const { alerts, slack, clock } = setup({
      updateIntervalMs: 2000,
      digest: { historyUrl: () => 'https://gh.example/api/v1/alerts' },
    });
    await burst(alerts, 100);
    await clock.advance(1000);
    expect(slack.digests).toHaveLength(1);
    await burst(alerts, 40, 'late');
    for (let i = 0; i < 7; i++) await alerts.failure({ taskId: 'late-3', stage: 'load', error: 'ECONNRESET' });
    for (let s = 0; s < 6; s++) await clock.advance(1000);
    await settle();
    const last = slack.digestUpdates.at(-1);
    expect(last?.message.ts).toBe(slack.digests[0]?.ref.ts);
    const groups = 140 - slack.posts.length;
    expect(last?.digest).toMatchObject({ groups, failing: true, minutes: 1 });
    expect(last?.digest.top[0]).toMatchObject({ count: 8 });
    expect(last?.digest.top[0]?.title).toContain('late-3');
    const times = slack.digestUpdates.map((u) => u.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(2000);
    const text = digestText(last!.digest);
    expect(text).toContain(`*${groups} failing alert groups in the last 1 minute*`);
    expect(text).toContain('https://gh.example/api/v1/alerts');
    expect(text).toContain(`…and ${groups - 10} more`);
  });

  it('posts groups one by one while the channel keeps up, and again once the storm is over', async () => {
    const { alerts, slack, clock } = setup();
    await burst(alerts, 30);
    for (let s = 0; s < 35; s++) await clock.advance(1000);
    expect(slack.digests).toHaveLength(0);
    expect(slack.posts).toHaveLength(30);

    await burst(alerts, 200, 'storm');
    await clock.advance(1000);
    expect(slack.digests).toHaveLength(1);
    await clock.advance(6 * 60_000);
    await settle();
    const before = slack.posts.length;
    await alerts.failure({ taskId: 'after', stage: 'load' });
    await clock.advance(1000);
    expect(slack.posts.length).toBe(before + 1);
    expect(slack.posts.at(-1)?.alert.taskId).toBe('after');
    expect(slack.digests).toHaveLength(1);
  });
});
