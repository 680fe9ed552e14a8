import { randomBytes } from 'node:crypto';
import type { TaskCheckpoint } from '../agents/types.js';
import type { StageView, TaskRecord, TaskState, TaskStats, TaskView } from './types.js';

/** A new task id: the agent's name and six hex digits, e.g. `campaign-launch-7f3a2c`. */
export function newTaskId(agent: string, random: () => string = () => randomBytes(3).toString('hex')): string {
  return `${agent}-${random()}`;
}

/** What only the process running a task knows about it. */
export interface LiveState {
  /** True while this process runs the task. */
  active: boolean;
  waitingFor?: TaskView['waitingFor'];
}

/**
 * A task as shown, from its checkpoint and record. A checkpoint `running` that no process here
 * runs is `interrupted` once `recover()` marked it so and nothing wrote it since; until then it
 * may be running in another process.
 */
export function taskView(
  checkpoint: TaskCheckpoint,
  record: TaskRecord | undefined,
  stageNames: readonly string[],
  live: LiveState,
): TaskView {
  const status = stateOf(checkpoint, record, live.active);
  const stage = checkpoint.currentStage ?? checkpoint.error?.stage ?? null;
  return {
    id: checkpoint.taskId,
    agent: checkpoint.agent,
    status,
    stages: stagesOf(checkpoint, status, stageNames, record?.durations ?? {}),
    stage: status === 'completed' ? null : stage,
    waitingFor: live.waitingFor ?? null,
    input: checkpoint.input,
    results: checkpoint.results,
    costUsd: checkpoint.spentUsd,
    budgetUsd: checkpoint.budgetUsd,
    error: checkpoint.error,
    startedBy: record?.startedBy ?? 'unknown',
    channel: record?.channel ?? null,
    message: record?.message ?? null,
    runs: checkpoint.runs,
    durationSeconds: checkpoint.elapsedMs / 1000,
    startedAt: checkpoint.startedAt,
    updatedAt: checkpoint.updatedAt,
    completedAt: checkpoint.completedAt,
  };
}

function stateOf(checkpoint: TaskCheckpoint, record: TaskRecord | undefined, active: boolean): TaskState {
  if (checkpoint.status !== 'running' || active) return checkpoint.status;
  const marked = record?.interruptedAt ? Date.parse(record.interruptedAt) : Number.NaN;
  return marked >= Date.parse(checkpoint.updatedAt) ? 'interrupted' : 'running';
}

/** How the stage a task stopped at is shown, by task status; `running` otherwise. */
const STOPPED_AT: Partial<Record<TaskState, StageView['state']>> = {
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
};

function stagesOf(
  checkpoint: TaskCheckpoint,
  status: TaskState,
  names: readonly string[],
  durations: Record<string, number>,
): StageView[] {
  // An agent not registered here: show what the checkpoint knows.
  const known = names.length > 0 ? names : [...Object.keys(checkpoint.results), checkpoint.currentStage ?? ''];
  const stopped = checkpoint.currentStage ?? checkpoint.error?.stage ?? null;
  return known
    .filter((name) => name !== '')
    .map((name, index): StageView => {
      const done = names.length > 0 ? index <= checkpoint.stageIndex : name in checkpoint.results;
      if (done) return { name, state: 'done', durationMs: durations[name] ?? null };
      if (name !== stopped || status === 'completed') return { name, state: 'pending', durationMs: null };
      const state = STOPPED_AT[status] ?? 'running';
      return { name, state, durationMs: null };
    });
}

/** Totals over `views` (see TaskStats). */
export function statsOf(views: readonly TaskView[]): TaskStats {
  const count = (status: TaskState) => views.filter((view) => view.status === status).length;
  const completed = views.filter((view) => view.status === 'completed');
  const failed = count('failed');
  const finished = completed.length + failed;
  return {
    total: views.length,
    running: count('running'),
    completed: completed.length,
    failed,
    failureRate: finished === 0 ? 0 : failed / finished,
    avgDurationSeconds:
      completed.length === 0 ? null : completed.reduce((sum, view) => sum + view.durationSeconds, 0) / completed.length,
    totalCostUsd: views.reduce((sum, view) => sum + view.costUsd, 0),
  };
}
