import { describe, expect, it } from 'vitest';
import { ServiceTaskQueries } from '../../src/tasks/queries.js';
import type { TaskState, TaskView } from '../../src/tasks/types.js';
import { ManualClock } from '../support/manual-clock.js';

const clock = new ManualClock(Date.parse('2026-04-03T12:00:00.000Z'));

/** A stored task as the service lists it; only what the figures read is set. */
function task(id: string, status: TaskState, startedAt: string, extra: Partial<TaskView> = {}): TaskView {
  return {
    id,
    agent: 'content-pipeline',
    status,
    stages: [],
    stage: null,
    waitingFor: null,
    input: {},
    results: {},
    costUsd: 0,
    budgetUsd: 5,
    error: null,
    startedBy: 'U0ALICE',
    channel: null,
    message: null,
    runs: 1,
    durationSeconds: 0,
    startedAt,
    updatedAt: startedAt,
    completedAt: status === 'completed' ? startedAt : null,
    ...extra,
  };
}

const stored: TaskView[] = [
  task('t-old', 'completed', '2026-03-01T09:00:00.000Z', { durationSeconds: 999, costUsd: 9 }),
  task('t-1', 'completed', '2026-04-01T09:00:00.000Z', { durationSeconds: 10, costUsd: 0.5 }),
  task('t-2', 'completed', '2026-04-01T10:00:00.000Z', {
    durationSeconds: 20,
    costUsd: 1.25,
    agent: 'campaign-launch',
  }),
  task('t-3', 'completed', '2026-04-02T10:00:00.000Z', { durationSeconds: 300, costUsd: 2 }),
  task('t-4', 'failed', '2026-04-03T08:00:00.000Z', { costUsd: 0.75, error: { stage: 'plan', message: 'overloaded' } }),
  task('t-5', 'running', '2026-04-03T11:00:00.000Z', { budgetUsd: null }),
  task('t-6', 'interrupted', '2026-04-03T11:30:00.000Z'),
];
const queries = new ServiceTaskQueries({ list: async () => [...stored].reverse() }, clock);

describe('ServiceTaskQueries', () => {
  it('sums the window: states, completion avg and p95, failure rate, cost and budget per day', async () => {
    const summary = await queries.summary({ days: 3 });
    expect(summary.counts).toEqual({ running: 1, interrupted: 1, failed: 1, cancelled: 0, completed: 4 });
    // t-old finished before the window: its 999 s count for nothing.
    expect(summary.completionSeconds).toEqual({ avg: 110, p95: 300, count: 3 });
    expect(summary.failureRate).toBe(0.25);
    expect(summary.costPerDay).toEqual([
      { day: '2026-04-01', costUsd: 1.75, budgetUsd: 10, tasks: 2 },
      { day: '2026-04-02', costUsd: 2, budgetUsd: 5, tasks: 1 },
      { day: '2026-04-03', costUsd: 0.75, budgetUsd: 10, tasks: 3 },
    ]);
  });

  it('has no rates to give when nothing finished', async () => {
    const empty = new ServiceTaskQueries({ list: async () => [] }, clock);
    const summary = await empty.summary({ days: 1 });
    expect(summary.failureRate).toBeNull();
    expect(summary.completionSeconds).toEqual({ avg: null, p95: null, count: 0 });
  });

  it('pages newest first and filters by state, agent, time and text', async () => {
    const first = await queries.list({ limit: 3 });
    expect(first.items.map((t) => t.id)).toEqual(['t-6', 't-5', 't-4']);
    const rest = await queries.list({ limit: 10, cursor: first.nextCursor! });
    expect(rest.items.map((t) => t.id)).toEqual(['t-3', 't-2', 't-1', 't-old']);
    expect(rest.nextCursor).toBeNull();
    expect((await queries.list({ limit: 10, status: ['failed', 'interrupted'] })).items.map((t) => t.id)).toEqual([
      't-6',
      't-4',
    ]);
    expect((await queries.list({ limit: 10, agent: 'campaign-launch' })).items.map((t) => t.id)).toEqual(['t-2']);
    expect((await queries.list({ limit: 10, since: '2026-04-02T00:00:00Z' })).items).toHaveLength(4);
    expect((await queries.list({ limit: 10, q: 'OVERLOADED' })).items.map((t) => t.id)).toEqual(['t-4']);
  });
});
