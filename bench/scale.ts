import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertIndexes } from '../src/alerts/groups.js';
import type { AlertRecord } from '../src/alerts/types.js';
import { APPROVALS_NAMESPACE, approvalIndexes } from '../src/approvals/records.js';
import type { ApprovalRecord } from '../src/approvals/types.js';
import { createStore } from '../src/store/index.js';
import { ALL } from '../src/store/types.js';
import { startGatehouse, type TestGatehouse } from '../test/support/gatehouse.js';
import { createWithViewers, openHome } from './home.js';
import { LoadClient } from './load.js';
import { percentile } from './stats.js';

const DAY_MS = 86_400_000;
const ENV = { APPROVERS: 'U0ALICE,U0BOB', SLACK_ALERTS_CHANNEL: 'C0ALERTS', SLACK_MONITORING_CHANNEL: 'C0MONITOR' };

/** One real decided approval and one real delivered failure alert, made through the API, to clone. */
async function templates(file: string): Promise<{ approval: ApprovalRecord; alert: AlertRecord }> {
  const g = await startGatehouse({ sqliteFile: file, env: ENV });
  try {
    await g.api('/api/v1/approvals', { json: { id: 'template', title: 'Deploy web v2', taskId: 'task-0' } });
    await g.api('/api/v1/approvals/template/decision', { json: { decision: 'approve', decidedBy: 'U0ALICE' } });
    await g.api('/api/v1/alerts', { json: { kind: 'failure', taskId: 'task-0', stage: 'deploy', error: 'timed out' } });
    await g.gatehouse.alerts.idle();
  } finally {
    await g.stop();
  }
  const store = await createStore(`sqlite://${file}`);
  try {
    const approval = await store.records<ApprovalRecord>(APPROVALS_NAMESPACE, approvalIndexes).get('template');
    const alerts = await store.records<AlertRecord>('alerts', alertIndexes).query({ index: ALL, limit: 10 });
    const alert = alerts.items.find((a) => a.kind === 'failure');
    if (!approval || !alert) throw new Error('the templates were not stored');
    return { approval, alert };
  } finally {
    await store.close();
  }
}

/**
 * A store with `decided` approvals decided over the last 30 days (half approved, half rejected)
 * and one delivered failure alert group each, written through the store port.
 */
export async function seedHistory(file: string, decided: number): Promise<number> {
  const { approval, alert } = await templates(file);
  const started = performance.now();
  const store = await createStore(`sqlite://${file}`);
  try {
    const approvals = store.records<ApprovalRecord>(APPROVALS_NAMESPACE, approvalIndexes);
    const alerts = store.records<AlertRecord>('alerts', alertIndexes);
    const now = Date.now();
    for (let i = 0; i < decided; i++) {
      const created = now - DAY_MS - Math.floor(((decided - i) / decided) * 29 * DAY_MS);
      const at = (ms: number) => new Date(ms).toISOString();
      const id = `seed-${i}`;
      const status = i % 2 === 0 ? 'approved' : 'rejected';
      await approvals.insert({
        ...approval,
        id,
        title: `Seeded request ${i}`,
        taskId: `task-${i}`,
        status,
        createdAt: at(created),
        expiresAt: at(created + 3600_000),
        decision: approval.decision && { ...approval.decision, decidedAt: at(created + 60_000) },
        version: 1,
      });
      await alerts.insert({
        ...alert,
        id: `seed-alert-${i}`,
        dedupKey: `failure:task-${i}:deploy`,
        taskId: `task-${i}`,
        firstSeen: at(created),
        lastSeen: at(created),
        version: 1,
      });
    }
  } finally {
    await store.close();
  }
  return performance.now() - started;
}

/** p50 of `runs` timed calls of `fn`, after `warmup` untimed ones. */
async function p50(runs: number, fn: () => Promise<void>, warmup = 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

async function ok(res: Response): Promise<void> {
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Home render (event in → views.publish seen), GET /alerts and list pending on one seeded file. */
export async function readFigures(g: TestGatehouse, runs: number) {
  // A few pending requests, so each figure shows something.
  for (let i = 0; i < 5; i++) await ok(await g.api('/api/v1/approvals', { json: { title: `Pending ${i}` } }));
  const slack = g.slack;
  if (!slack) throw new Error('the scale bench needs the fake Slack');
  let n = 0;
  const home = await p50(runs, async () => {
    const user = `U0HOME${++n}`;
    const seen = slack.waitFor('views.publish', (c) => c.body.user_id === user, 60_000);
    await ok(await openHome(g.url, user));
    await seen;
  });
  const alerts = await p50(runs, async () => ok(await g.api('/api/v1/alerts')));
  const pending = await p50(runs, async () => ok(await g.api('/api/v1/approvals?status=pending')));
  return { home, alerts, pending };
}

type Reads = Awaited<ReturnType<typeof readFigures>>;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/**
 * The read figures at two history sizes, measured in alternation (small, large, small, …) on two
 * servers running side by side, so the load of a shared machine falls on both alike; the median
 * of `rounds` p50s each. Then create p50 with `viewers` Home viewers on the large history.
 */
export async function measureScale(
  sizes: { small: number; large: number },
  options: { runs: number; rounds: number; viewers: number[]; creates: number },
) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-scale-'));
  const files = { small: join(dir, 'small.sqlite'), large: join(dir, 'large.sqlite') };
  try {
    const seedMs = {
      small: await seedHistory(files.small, sizes.small),
      large: await seedHistory(files.large, sizes.large),
    };
    const servers = [
      await startGatehouse({ sqliteFile: files.small, env: ENV }),
      await startGatehouse({ sqliteFile: files.large, env: ENV }),
    ] as const;
    const rounds: Array<{ small: Reads; large: Reads }> = [];
    try {
      for (let round = 0; round < options.rounds; round++) {
        rounds.push({
          small: await readFigures(servers[0], options.runs),
          large: await readFigures(servers[1], options.runs),
        });
      }
    } finally {
      await Promise.all(servers.map((g) => g.stop()));
    }
    const pick = (size: 'small' | 'large'): Reads => ({
      home: median(rounds.map((r) => r[size].home)),
      alerts: median(rounds.map((r) => r[size].alerts)),
      pending: median(rounds.map((r) => r[size].pending)),
    });
    const creates: Array<{ viewers: number; p50: number }> = [];
    for (const viewers of options.viewers) {
      const load = new LoadClient();
      try {
        creates.push({ viewers, p50: (await createWithViewers(load, viewers, options.creates, files.large)).p50 });
      } finally {
        load.close();
      }
    }
    return { seedMs, small: pick('small'), large: pick('large'), creates };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `BENCH_ONLY=scale`: Home render, GET /alerts and list pending at BENCH_SCALE_HISTORY (100,000)
 * decided approvals vs 1,000, and create p50 with 0 / 1 / 500 Home viewers on the large history.
 */
export async function benchScale(check: (target: string, ok: boolean) => void): Promise<void> {
  const history = Number(process.env.BENCH_SCALE_HISTORY ?? 100_000);
  const runs = Number(process.env.BENCH_SCALE_RUNS ?? 30);
  const rounds = Number(process.env.BENCH_SCALE_ROUNDS ?? 5);
  const creates = Number(process.env.BENCH_HOME_CREATES ?? 100);
  console.log(
    `\n## History at scale: ${history} decided approvals (+ one alert group each) vs 1,000 (SQLite, seeded through the store port; median of ${rounds} alternating rounds, p50 of ${runs} each)`,
  );
  const {
    seedMs,
    small,
    large,
    creates: byViewers,
  } = await measureScale({ small: 1000, large: history }, { runs, rounds, viewers: [0, 1, 500], creates });
  console.log(`  seeding: ${(seedMs.small / 1000).toFixed(1)} s and ${(seedMs.large / 1000).toFixed(1)} s`);
  for (const [label, key] of [
    ['App Home render', 'home'],
    ['GET /api/v1/alerts', 'alerts'],
    ['list pending (GET /approvals)', 'pending'],
  ] as const) {
    const ratio = large[key] / small[key];
    console.log(
      `  ${label.padEnd(30)} 1k ${small[key].toFixed(2)} ms  ${history / 1000}k ${large[key].toFixed(2)} ms  ratio ${ratio.toFixed(2)}`,
    );
    check(`${label} at ${history / 1000}k history within 1.5× of 1k`, ratio <= 1.5);
  }
  const none = byViewers.find((c) => c.viewers === 0)?.p50 ?? Number.NaN;
  for (const c of byViewers) {
    console.log(
      `  create p50 with ${String(c.viewers).padStart(3)} Home viewers at ${history / 1000}k: ${c.p50.toFixed(2)} ms  ratio to none ${(c.p50 / none).toFixed(2)}`,
    );
    if (c.viewers > 0)
      check(`create p50 with ${c.viewers} viewers at ${history / 1000}k within 1.5× of none`, c.p50 / none <= 1.5);
  }
}
