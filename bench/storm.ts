import type { SlackCall } from '../test/support/fake-slack.js';
import type { TestGatehouse } from '../test/support/gatehouse.js';
import { percentile, sleep } from './stats.js';

const TASKS = 20;
const KINDS = [
  { kind: 'failure', stage: 'fetch' },
  { kind: 'failure', stage: 'plan' },
  { kind: 'failure', stage: 'launch' },
  { kind: 'cost_warning', currentCost: 90, budget: 100 },
  { kind: 'completion', durationSeconds: 30 },
] as const;

/** The i-th alert of the storm: 20 tasks × 5 kinds of alert, round-robin. */
function stormAlert(i: number) {
  const { kind, ...rest } = KINDS[i % KINDS.length]!;
  return { kind, taskId: `storm-task-${Math.floor(i / KINDS.length) % TASKS}`, error: `ECONNRESET #${i}`, ...rest };
}

/**
 * `total` alerts sent through the API, spread evenly over `seconds`, from 32 concurrent clients.
 * Returns what the API accepted and how fast, then waits for Slack delivery to drain.
 */
export async function runStorm(g: TestGatehouse, total: number, seconds: number) {
  const latencies: number[] = [];
  let next = 0;
  let rejected = 0;
  const started = performance.now();
  const client = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const due = started + (i / total) * seconds * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const t0 = performance.now();
      const res = await g.api('/api/v1/alerts', { json: stormAlert(i) });
      latencies.push(performance.now() - t0);
      if (res.status !== 202) rejected++;
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 32 }, client));
  const sendSeconds = (performance.now() - started) / 1000;
  await g.gatehouse.alerts.idle();
  const drainSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    accepted: total - rejected,
    rejected,
    sendSeconds,
    drainSeconds,
    acceptedPerSecond: (total - rejected) / sendSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** The fastest the API accepts alerts: `total` sent back to back from 32 clients, all grouped into one storm. */
export async function burstThroughput(g: TestGatehouse, total: number) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < total) {
        next++;
        const res = await g.api('/api/v1/alerts', {
          json: { kind: 'failure', taskId: 'burst', stage: 'x', error: 'boom' },
        });
        await res.arrayBuffer();
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** Posts per channel: count, sustained rate, the most in any one-second window, the smallest gap. */
export function postsPerChannel(posts: SlackCall[]) {
  const byChannel = new Map<string, number[]>();
  for (const call of posts) {
    const channel = String(call.body.channel);
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), call.at]);
  }
  return [...byChannel.entries()].map(([channel, times]) => {
    times.sort((a, b) => a - b);
    let maxInWindow = 0;
    let minGap = Number.POSITIVE_INFINITY;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
      if (i > 0) minGap = Math.min(minGap, times[i]! - times[i - 1]!);
    }
    const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
    return { channel, posts: times.length, perSecond: span > 0 ? (times.length - 1) / span : 0, maxInWindow, minGap };
  });
}

/** Every alert is in a stored group's count, and each group's last Slack text shows that count. */
export async function accountFor(g: TestGatehouse, updates: SlackCall[], posts: SlackCall[]) {
  const groups = (await g.gatehouse.alerts.history({ limit: 500 })).filter((a) => a.taskId?.startsWith('storm-task-'));
  const counted = groups.reduce((sum, a) => sum + a.count, 0);
  let shown = 0;
  for (const group of groups) {
    const ts = group.deliveries.find((d) => d.target.startsWith('slack:') && d.message)?.message?.ts;
    const last =
      [...updates].reverse().find((u) => u.body.ts === ts) ??
      posts.find((p) => JSON.stringify(p.body).includes(group.id));
    const text = JSON.stringify(last?.body ?? '');
    if (group.count === 1 || text.includes(`${group.count} times`)) shown += group.count;
  }
  return { groups: groups.length, counted, shown };
}
