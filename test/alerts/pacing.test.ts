import { describe, expect, it } from 'vitest';
import { ChannelPacer, type PaceOutcome } from '../../src/alerts/pacing.js';
import { RateLimitedError } from '../../src/alerts/ports.js';
import { Work } from '../../src/alerts/work.js';
import { ManualClock, settle } from '../support/manual-clock.js';
import { deliveryOf, setup } from './support.js';

describe('posting pace', () => {
  it('posts 30 alerts to one channel about one per second, while another channel is not delayed', async () => {
    const { alerts, slack, clock } = setup();
    const start = clock.now();
    for (let i = 0; i < 30; i++) await alerts.completion({ taskId: `task-${i}`, durationSeconds: i });
    await settle();
    await alerts.failure({ taskId: 'urgent', stage: 'launch', error: 'boom' });
    await settle();

    expect(slack.posts.find((p) => p.channel === 'C0ALERTS')?.at).toBe(start);
    expect(slack.posts.filter((p) => p.channel === 'C0STATUS')).toHaveLength(1);

    await clock.advance(28_999);
    expect(slack.posts.filter((p) => p.channel === 'C0STATUS')).toHaveLength(29);
    await clock.advance(1);
    const status = slack.posts.filter((p) => p.channel === 'C0STATUS');
    expect(status).toHaveLength(30);
    expect(status.map((p) => p.alert.taskId)).toEqual(Array.from({ length: 30 }, (_, i) => `task-${i}`));
    expect(status.map((p) => p.at - start)).toEqual(Array.from({ length: 30 }, (_, i) => i * 1000));
    await alerts.idle();
  });

  it('honours a 429: nothing is posted to that channel before retry-after elapses, and nothing is dropped', async () => {
    const { alerts, slack, clock, store } = setup();
    slack.nextErrors.push(new RateLimitedError(5000));
    const first = await alerts.completion({ taskId: 'a', durationSeconds: 1 });
    await alerts.completion({ taskId: 'b', durationSeconds: 1 });
    await alerts.failure({ taskId: 'c', stage: 's', error: 'x' });
    await settle();
    expect(slack.posts.map((p) => p.channel)).toEqual(['C0ALERTS']);

    await clock.advance(4999);
    expect(slack.tries.filter((t) => t.channel === 'C0STATUS')).toHaveLength(1);
    await clock.advance(1);
    expect(slack.posts.filter((p) => p.channel === 'C0STATUS').map((p) => p.alert.taskId)).toEqual(['a']);
    await clock.advance(1000);
    expect(slack.posts.filter((p) => p.channel === 'C0STATUS').map((p) => p.alert.taskId)).toEqual(['a', 'b']);

    const delivery = await deliveryOf(store, first.alert.id, 'slack:C0STATUS');
    expect(delivery?.status).toBe('sent');
    expect(delivery?.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(delivery?.attempts[0]?.error).toContain('rate limited');
  });

  it('keeps lanes independent and in order at the pacer level', async () => {
    const clock = new ManualClock(0);
    const work = new Work();
    const ran: string[] = [];
    const pacer = new ChannelPacer<{ key: string; channel: string }>({
      clock,
      work,
      intervalMs: 1000,
      run: async (item): Promise<PaceOutcome> => {
        ran.push(`${clock.now()}:${item.key}`);
        return { type: 'done' };
      },
    });
    expect(pacer.enqueue({ key: 'a1', channel: 'A' })).toBe(true);
    expect(pacer.enqueue({ key: 'a1', channel: 'A' })).toBe(false);
    pacer.enqueue({ key: 'a2', channel: 'A' });
    pacer.enqueue({ key: 'b1', channel: 'B' });
    pacer.enqueue({ key: 'a3', channel: 'A' });
    pacer.cancel('a3');
    await settle();
    await clock.advance(5000);
    expect(ran).toEqual(['0:a1', '0:b1', '1000:a2']);
    expect(pacer.size).toBe(0);
    await work.idle();
  });

  it('stops without leaving timers behind', async () => {
    const { alerts, clock } = setup();
    for (let i = 0; i < 5; i++) await alerts.completion({ taskId: `t${i}`, durationSeconds: 1 });
    await settle();
    expect(clock.pending).toBeGreaterThan(0);
    alerts.stop();
    expect(clock.pending).toBe(0);
    await alerts.idle();
  });

  it('tries an item again when its run throws (a store hiccup loses nothing)', async () => {
    const clock = new ManualClock(0);
    const ran: number[] = [];
    const errors: unknown[] = [];
    const pacer = new ChannelPacer<{ key: string; channel: string }>({
      clock,
      intervalMs: 1000,
      onError: (error) => errors.push(error),
      run: async (): Promise<PaceOutcome> => {
        ran.push(clock.now());
        if (ran.length === 1) throw new Error('SQLITE_BUSY');
        return { type: 'done' };
      },
    });
    pacer.enqueue({ key: 'a', channel: 'A' });
    await settle();
    await clock.advance(10_000);
    expect(ran).toEqual([0, 5000]);
    expect(errors).toHaveLength(1);
    expect(pacer.size).toBe(0);
  });
});
