import type { Logger } from 'pino';
import type { Severity } from '../alerts/types.js';
import type { ApprovalRequest, ApprovalResponse } from '../approvals/types.js';
import type { Versioned } from '../store/types.js';
import type { TaskBudget } from './budget.js';

/**
 * The alerts an agent runtime sends: the narrow port the runtime, workflows and rule monitor
 * depend on. The AlertManager satisfies it; tests pass a recording one. Every method should
 * resolve once the alert is accepted (stored or queued), not once it is delivered.
 */
export interface AgentAlerts {
  /** A stage failed; `error` is the error's message. */
  failure(input: { taskId: string; stage: string; error: string }): Promise<unknown>;
  /** A task completed after `durationSeconds` of running (summed over its runs). */
  completion(input: { taskId: string; durationSeconds: number }): Promise<unknown>;
  /** Anything else, e.g. a breached alert rule; `dedupKey` keeps unrelated custom alerts apart. */
  custom(input: { title: string; message: string; severity: Severity; dedupKey?: string }): Promise<unknown>;
  /** The task's cost passed the warning share of its budget. */
  costWarning(input: { taskId: string; currentCost: number; budget: number }): Promise<unknown>;
  /** The task's cost reached its budget: it is stopped. */
  budgetExceeded(input: { taskId: string; currentCost: number; budget: number }): Promise<unknown>;
}

/** Alerts that go nowhere: the default when no AgentAlerts is given. */
export const silentAlerts: AgentAlerts = {
  failure: async () => {},
  completion: async () => {},
  custom: async () => {},
  costWarning: async () => {},
  budgetExceeded: async () => {},
};

/**
 * Where a task stands. `running` is also what a task killed mid-stage is left in; `failed` and
 * `cancelled` tasks resume from their checkpoint; `completed` ones keep their results as history.
 */
export type TaskStatus = 'running' | 'failed' | 'cancelled' | 'completed';

/** A task's checkpoint as stored (namespace `checkpoints`, one record per task id). */
export interface TaskCheckpoint extends Versioned {
  /** The task id. */
  id: string;
  taskId: string;
  agent: string;
  status: TaskStatus;
  /** The run's input, so a task can be resumed by id alone. */
  input: unknown;
  /** Index of the last completed stage; -1 before the first completes. */
  stageIndex: number;
  /** Name of the last completed stage; null before the first completes. */
  stageName: string | null;
  /** Results of the completed stages, by stage name. */
  results: Record<string, unknown>;
  /** The stage running now (or when the process stopped), if any. */
  currentStage: string | null;
  /** How many times each stage has been started, by stage name. */
  attempts: Record<string, number>;
  /** Why the task failed or was cancelled; cleared when it is resumed. */
  error: { stage: string | null; message: string } | null;
  /** How many times the task was run (first run and resumes). */
  runs: number;
  /** The task's budget in USD, or null for none. */
  budgetUsd: number | null;
  /** USD spent by the task's paid calls so far, summed over runs. */
  spentUsd: number;
  /** Milliseconds spent running, summed over runs (time between a failure and its resume is not counted). */
  elapsedMs: number;
  startedAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** An approval asked from inside a stage: the runtime chooses its id and sets its task id. */
export type StageApprovalRequest = Omit<ApprovalRequest, 'id' | 'taskId'>;

/** How a stage names one approval. */
export interface StageApprovalOptions {
  /**
   * Names the request by something stable the stage already has, instead of by its order among
   * the stage's requests; letters, digits and `. _ : @ -`, not only digits.
   */
  key?: string;
}

/** What a stage is given. */
export interface StageContext<I = unknown> {
  taskId: string;
  agent: string;
  input: I;
  /** Results of the stages before this one, by stage name (from the checkpoint when resumed). */
  results: Readonly<Record<string, unknown>>;
  stage: { name: string; index: number };
  /** 1 the first time this stage runs for the task, 2 when it is re-run on resume, and so on. */
  attempt: number;
  /** Aborted when the run is cancelled: pass it to anything slow. */
  signal: AbortSignal;
  /** Logger bound to agent, task id and stage. */
  log: Logger;
  /**
   * The task's budget (spending carried over from earlier runs), or null without one: pass it to
   * the Claude client. Cost alerts go out through AgentAlerts; spending is checkpointed.
   */
  budget: TaskBudget | null;
  /**
   * Asks for approval with the id `${taskId}:${stage}:${n}` (n counts the stage's requests from 1),
   * so a resumed task re-running this stage gets the stored decision instead of asking again.
   * With `key`, the id is `${taskId}:${stage}:${key}` instead (e.g. a Claude `tool_use` id).
   */
  requireApproval(request: StageApprovalRequest, options?: StageApprovalOptions): Promise<ApprovalResponse>;
}

/** One named stage of an agent; its result must be JSON-serializable (it is checkpointed). */
export interface Stage<I = unknown> {
  name: string;
  run(ctx: StageContext<I>): unknown;
}

/** What `run` is asked to do. */
export interface RunOptions<I = unknown> {
  /** Defaults to a new id. Letters, digits and `. _ @ -` only (it is part of approval ids). */
  taskId?: string;
  /** Required for a new task; a resumed task uses its stored input. */
  input?: I;
  /** Continue the stored task after its last checkpointed stage. */
  resume?: boolean;
  /** A budget for this task, instead of the agent's; a resumed task keeps the one it started with. */
  budgetUsd?: number;
  signal?: AbortSignal;
}

/** What a completed run resolves to. */
export interface AgentResult {
  taskId: string;
  status: 'completed';
  results: Record<string, unknown>;
  durationSeconds: number;
}
