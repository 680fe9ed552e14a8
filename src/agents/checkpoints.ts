import { ConflictError, type FieldIssue, ValidationError } from '../errors.js';
import type { RecordStore, Store } from '../store/types.js';
import type { AgentResult, Stage, TaskCheckpoint, TaskStatus } from './types.js';

/** The record namespace checkpoints live in. */
export const CHECKPOINTS_NAMESPACE = 'checkpoints';

// Task ids and stage names become parts of approval ids (`${taskId}:${stage}:${n}`), so they keep
// to the approval id alphabet and hold no `:`.
const TASK_ID = /^[A-Za-z0-9._@-]{1,120}$/;
const STAGE_NAME = /^[A-Za-z0-9._@-]{1,60}$/;

/** Another run wrote the task's checkpoint since this one last did: that run owns the task now. */
export class TaskTakenOverError extends ConflictError {
  constructor(readonly taskId: string) {
    super(`task ${taskId} was changed by another run`);
  }
}

/**
 * Task checkpoints over the store's atomic records. Every write is a compare-and-swap against the
 * version the writer last saw, so a run that another run took over (a resume elsewhere) fails
 * its next write with a ConflictError instead of overwriting the newer state.
 */
export class CheckpointStore {
  private readonly records: RecordStore<TaskCheckpoint>;

  constructor(store: Store) {
    this.records = store.records<TaskCheckpoint>(CHECKPOINTS_NAMESPACE);
  }

  /** The checkpoint of `taskId`, or undefined. */
  async get(taskId: string): Promise<TaskCheckpoint | undefined> {
    return this.records.get(taskId);
  }

  /** Stores a new task's first checkpoint; a ConflictError if the task id is taken. */
  async create(checkpoint: Omit<TaskCheckpoint, 'version'>): Promise<TaskCheckpoint> {
    const { record, created } = await this.records.insert({ ...checkpoint, version: 1 });
    if (!created) {
      throw new ConflictError(`task ${checkpoint.taskId} already exists (${record.status}): resume it instead`);
    }
    return record;
  }

  /**
   * Writes `change(current)` if nobody wrote since `current` was read; returns the stored
   * checkpoint, or throws a TaskTakenOverError.
   */
  async update(
    current: TaskCheckpoint,
    change: (checkpoint: TaskCheckpoint) => Omit<TaskCheckpoint, 'version'>,
  ): Promise<TaskCheckpoint> {
    const next = { ...change(current), version: current.version + 1 };
    if (!(await this.records.replace(next, current.version))) {
      throw new TaskTakenOverError(current.taskId);
    }
    return next;
  }

  /** Every checkpoint with `status` (e.g. the tasks left `running` by a crash, to resume at boot). */
  async byStatus(status: TaskStatus): Promise<TaskCheckpoint[]> {
    return this.records.findBy('status', status);
  }

  /** Every checkpoint of `agent`. */
  async byAgent(agent: string): Promise<TaskCheckpoint[]> {
    return this.records.findBy('agent', agent);
  }
}

/** The first checkpoint of a new task. */
export function newCheckpoint(task: {
  taskId: string;
  agent: string;
  input: unknown;
  budgetUsd: number | null;
  now: string;
}): Omit<TaskCheckpoint, 'version'> {
  return {
    id: task.taskId,
    taskId: task.taskId,
    agent: task.agent,
    status: 'running',
    input: toJson(task.input, 'the input'),
    stageIndex: -1,
    stageName: null,
    results: {},
    currentStage: null,
    attempts: {},
    error: null,
    runs: 1,
    budgetUsd: task.budgetUsd,
    spentUsd: 0,
    elapsedMs: 0,
    startedAt: task.now,
    updatedAt: task.now,
    completedAt: null,
  };
}

/** What `run` resolves to for a completed checkpoint. */
export function completedResult(checkpoint: TaskCheckpoint): AgentResult {
  return {
    taskId: checkpoint.taskId,
    status: 'completed',
    results: checkpoint.results,
    durationSeconds: checkpoint.elapsedMs / 1000,
  };
}

/** `value` as a checkpoint will hold it, so a resumed run sees exactly what a fresh one did. */
export function toJson(value: unknown, what: string): unknown {
  const text = JSON.stringify(value ?? null);
  if (text === undefined) throw new TypeError(`${what} is not JSON-serializable`);
  return JSON.parse(text);
}

/** Returns `taskId` if it can name a task, else throws a ValidationError. */
export function checkTaskId(taskId: string): string {
  if (!TASK_ID.test(taskId)) {
    throw new ValidationError([{ field: 'taskId', message: 'expected 1-120 letters, digits or . _ @ -' }]);
  }
  return taskId;
}

/** Returns `budgetUsd` if it is a usable budget (positive, finite) or absent, else throws a ValidationError. */
export function checkBudget(budgetUsd: number | null): number | null {
  if (budgetUsd !== null && !(Number.isFinite(budgetUsd) && budgetUsd > 0)) {
    throw new ValidationError([{ field: 'budgetUsd', message: 'expected a positive number of USD' }]);
  }
  return budgetUsd;
}

/** Throws a ValidationError naming every bad part of an agent definition; returns true otherwise. */
export function checkDefinition(name: string, stages: ReadonlyArray<Stage<never>>): true {
  const issues: FieldIssue[] = [];
  if (!name) issues.push({ field: 'name', message: 'must not be empty' });
  if (stages.length === 0) issues.push({ field: 'stages', message: 'must list at least one stage' });
  const seen = new Set<string>();
  stages.forEach((stage, i) => {
    if (!STAGE_NAME.test(stage.name)) {
      issues.push({ field: `stages.${i}.name`, message: 'expected 1-60 letters, digits or . _ @ -' });
    } else if (seen.has(stage.name)) {
      issues.push({ field: `stages.${i}.name`, message: `duplicates stage ${stage.name}` });
    }
    seen.add(stage.name);
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return true;
}
