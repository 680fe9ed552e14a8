import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/agent.js';
import { MetricsStore } from '../../src/agents/metrics.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock } from '../support/manual-clock.js';

describe('agent metrics', () => {
  it('counts executions and outcomes and computes min / avg / max / stdev of their durations', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const metrics = new MetricsStore({ store, clock });
    const agent = defineAgent<{ seconds: number; fail?: boolean }>(
      {
        name: 'timed',
        stages: [
          {
            name: 'work',
            run: async (ctx) => {
              await clock.advance(ctx.input.seconds * 1000);
              if (ctx.input.fail) throw new Error('failed on purpose');
              return ctx.input.seconds;
            },
          },
        ],
      },
      { store, clock, metrics },
    );
    // Durations 2 4 4 4 5 5 7 9 s: mean 5 s; squared deviations 9 1 1 1 0 0 4 16 sum to 32,
    // so the population variance is 32 / 8 = 4 and the standard deviation 2 s.
    const runs = [2, 4, 4, 4, 5, 5, 7, 9];
    for (const [i, seconds] of runs.entries()) {
      await agent.run({ taskId: `m-${i}`, input: { seconds, fail: seconds === 9 } }).catch(() => {});
    }
    const controller = new AbortController();
    controller.abort('never mind');
    await agent.run({ taskId: 'm-cancelled', input: { seconds: 100 }, signal: controller.signal }).catch(() => {});

    const expected = {
      target: 'agent:timed',
      kind: 'agent',
      name: 'timed',
      executions: 8,
      successes: 7,
      failures: 1,
      cancelled: 1,
      successRate: 0.875,
      failureRate: 0.125,
      minDurationMs: 2000,
      avgDurationMs: 5000,
      maxDurationMs: 9000,
      stdevDurationMs: 2000,
    };
    expect(await metrics.get('agent:timed')).toMatchObject(expected);
    // Kept in the store: a restarted process reads the same numbers.
    const restarted = new MetricsStore({ store: store, clock });
    expect(await restarted.list()).toMatchObject([expected]);
  });

  it('keeps agents and workflows apart and reports nothing for what never ran', async () => {
    const metrics = new MetricsStore({ store: new MemoryStore() });
    await metrics.record('workflow', 'digest', 'succeeded', 100);
    await metrics.record('agent', 'digest', 'failed', 300);
    await metrics.record('workflow', 'digest', 'succeeded', 300);
    expect(await metrics.get('workflow:digest')).toMatchObject({
      executions: 2,
      avgDurationMs: 200,
      stdevDurationMs: 100,
      successRate: 1,
    });
    expect(await metrics.get('agent:digest')).toMatchObject({ executions: 1, failureRate: 1, stdevDurationMs: 0 });
    expect(await metrics.get('agent:unknown')).toBeUndefined();
    expect((await metrics.list()).map((m) => m.target)).toEqual(['agent:digest', 'workflow:digest']);
  });

  it('counts every concurrent execution', async () => {
    const metrics = new MetricsStore({ store: new MemoryStore() });
    await Promise.all(Array.from({ length: 20 }, (_, i) => metrics.record('agent', 'busy', 'succeeded', i)));
    expect(await metrics.get('agent:busy')).toMatchObject({ executions: 20, minDurationMs: 0, maxDurationMs: 19 });
  });
});
