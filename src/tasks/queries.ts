import { type Clock, systemClock } from '../clock.js';
import { decodeCursor, encodeCursor, type Page, percentile, utcDay, utcDays } from '../query-kit.js';
import type { TaskState, TaskView } from './types.js';

/** Every task state, in the order lists show them. */
export const TASK_STATES: readonly TaskState[] = ['running', 'interrupted', 'failed', 'cancelled', 'completed'];

/** What a list of tasks may be narrowed to; every field but `limit` is optional. */
export interface TaskFilter {
  status?: readonly TaskState[];
  agent?: string;
  /** Started at or after this time (ISO 8601). */
  since?: string;
  /** Text found (case-insensitively) in the id, agent, starter, stage or error. */
  q?: string;
  cursor?: string;
  limit: number;
}

/** The dashboard's task figures. */
export interface TaskSummary {
  /** Tasks per state, over every stored task. */
  counts: Record<TaskState, number>;
  /** Running time of the completed tasks in the window, in seconds. */
  completionSeconds: { avg: number | null; p95: number | null; count: number };
  /** Failed over finished (completed + failed) in the window, 0 to 1; null when none finished. */
  failureRate: number | null;
  /** Spend and the budgets of the tasks started each UTC day. */
  costPerDay: Array<{ day: string; costUsd: number; budgetUsd: number; tasks: number }>;
}

/** The read side of tasks for lists and dashboards; callers depend on this interface only. */
export interface TaskQueries {
  /** One page, newest first (by `startedAt`, then id). */
  list(filter: TaskFilter): Promise<Page<TaskView>>;
  /** Figures over the last `days` UTC days up to now (counts: every task). */
  summary(options: { days: number }): Promise<TaskSummary>;
}

function matches(task: TaskView, filter: TaskFilter): boolean {
  if (filter.status && !filter.status.includes(task.status)) return false;
  if (filter.agent !== undefined && task.agent !== filter.agent) return false;
  if (filter.since !== undefined && Date.parse(task.startedAt) < Date.parse(filter.since)) return false;
  if (filter.q) {
    const needle = filter.q.toLowerCase();
    const haystack = [task.id, task.agent, task.startedBy, task.stage ?? '', task.error?.message ?? ''];
    if (!haystack.some((text) => text.toLowerCase().includes(needle))) return false;
  }
  return true;
}

const newestFirst = (a: TaskView, b: TaskView) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id);

/**
 * TaskQueries over what the task service lists today (every stored task, newest first), filtered
 * and paged in memory. The indexed store replaces it without changing callers.
 */
export class ServiceTaskQueries implements TaskQueries {
  constructor(
    private readonly tasks: { list(options: { limit?: number }): Promise<TaskView[]> },
    private readonly clock: Clock = systemClock,
  ) {}

  async list(filter: TaskFilter): Promise<Page<TaskView>> {
    const position = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    const sorted = (await this.all())
      .filter(
        (task) =>
          matches(task, filter) &&
          (!position || task.startedAt < position.at || (task.startedAt === position.at && task.id < position.id)),
      )
      .sort(newestFirst);
    const items = sorted.slice(0, filter.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: sorted.length > filter.limit && last ? encodeCursor({ at: last.startedAt, id: last.id }) : null,
    };
  }

  async summary({ days }: { days: number }): Promise<TaskSummary> {
    const window = utcDays(this.clock.now(), days);
    const start = Date.parse(`${window[0]}T00:00:00.000Z`);
    const all = await this.all();
    const counts = Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as Record<TaskState, number>;
    const perDay = new Map(window.map((day) => [day, { day, costUsd: 0, budgetUsd: 0, tasks: 0 }]));
    const durations: number[] = [];
    let failed = 0;
    for (const task of all) {
      counts[task.status] += 1;
      const started = Date.parse(task.startedAt);
      const row = started >= start ? perDay.get(utcDay(started)) : undefined;
      if (row) {
        row.costUsd += task.costUsd;
        row.budgetUsd += task.budgetUsd ?? 0;
        row.tasks += 1;
      }
      const finished = Date.parse(task.completedAt ?? task.updatedAt);
      if (finished < start) continue;
      if (task.status === 'completed') durations.push(task.durationSeconds);
      if (task.status === 'failed') failed += 1;
    }
    const finished = durations.length + failed;
    const avg = durations.length === 0 ? null : durations.reduce((sum, s) => sum + s, 0) / durations.length;
    return {
      counts,
      completionSeconds: { avg, p95: percentile(durations, 95), count: durations.length },
      failureRate: finished === 0 ? null : failed / finished,
      costPerDay: [...perDay.values()],
    };
  }

  private all(): Promise<TaskView[]> {
    return this.tasks.list({ limit: Number.MAX_SAFE_INTEGER });
  }
}
