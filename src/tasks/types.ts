import type { MessageRef } from '../approvals/types.js';
import type { Versioned } from '../store/types.js';

/** The record namespace of what a task needs beyond its checkpoint. */
export const TASKS_NAMESPACE = 'tasks';

/**
 * Where a task stands. `interrupted`: left `running` by a process that stopped; it resumes from
 * its checkpoint. `failed` and `cancelled` tasks can be resumed too.
 */
export type TaskState = 'running' | 'interrupted' | 'failed' | 'cancelled' | 'completed';

/** What a task needs beyond its agent checkpoint (namespace `tasks`, one record per task id). */
export interface TaskRecord extends Versioned {
  /** The task id. */
  id: string;
  agent: string;
  /** A Slack user id, `api`, or whoever started it. */
  startedBy: string;
  /** Where its progress message should go; null for the default channel. */
  channel: string | null;
  /** The progress message, once posted: approvals and alerts about the task go in its thread. */
  message: MessageRef | null;
  /** How long each completed stage took, in ms, by stage name (the last run of each). */
  durations: Record<string, number>;
  /** Set by `recover()` when the task was found `running` with no process running it. */
  interruptedAt: string | null;
  /** The instance running it (or that last ran it); recovery leaves a live instance's tasks alone. */
  owner?: string | null;
  createdAt: string;
}

/** One stage of a task as shown: done, running now, failed or cancelled there, or still to come. */
export interface StageView {
  name: string;
  state: 'done' | 'running' | 'failed' | 'cancelled' | 'interrupted' | 'pending';
  /** How long it took; null unless done (and timed by this service). */
  durationMs: number | null;
}

/** A task as the service, the API and the surfaces show it. */
export interface TaskView {
  id: string;
  agent: string;
  status: TaskState;
  /** Every stage of the agent, in order. */
  stages: StageView[];
  /** The stage running now, or where the task stopped. */
  stage: string | null;
  /** The approval the task is waiting for, if any. */
  waitingFor: { approvalId: string; title: string } | null;
  input: unknown;
  /** Results of the completed stages, by stage name. */
  results: Record<string, unknown>;
  /** USD spent on paid calls so far, over every run. */
  costUsd: number;
  budgetUsd: number | null;
  error: { stage: string | null; message: string } | null;
  startedBy: string;
  channel: string | null;
  message: MessageRef | null;
  runs: number;
  /** Seconds spent running, over every run. */
  durationSeconds: number;
  startedAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** Totals over every stored task of the registered agents. */
export interface TaskStats {
  total: number;
  running: number;
  completed: number;
  failed: number;
  /** Failed over finished (completed + failed), 0 to 1; 0 when none finished. */
  failureRate: number;
  /** Mean running time of completed tasks, or null when none completed. */
  avgDurationSeconds: number | null;
  totalCostUsd: number;
}

/**
 * How a surface follows tasks (the Slack progress message is one). Calls are not awaited, apart
 * from `taskStarted`, and what they throw is logged: a surface that fails never stops a task.
 * Each call carries the whole task as it stands, so an observer may simply re-render it.
 */
export interface TaskObserver {
  /** A task was started or resumed; returns where its progress is shown (kept with the task), if anywhere. */
  taskStarted(task: TaskView): Promise<MessageRef | null>;
  stageStarted(task: TaskView, stage: string): void;
  stageCompleted(task: TaskView, stage: string, durationMs: number): void;
  /** The running stage asked for an approval and waits for it. */
  approvalRequested(task: TaskView, approvalId: string): void;
  /** The task completed, failed, was cancelled, or was found interrupted at boot. */
  taskFinished(task: TaskView): void;
}

/** An observer that does nothing: the default. */
export const silentObserver: TaskObserver = {
  taskStarted: async () => null,
  stageStarted: () => {},
  stageCompleted: () => {},
  approvalRequested: () => {},
  taskFinished: () => {},
};
