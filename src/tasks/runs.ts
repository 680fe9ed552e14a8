import type { Logger } from 'pino';
import type { TaskCheckpoint } from '../agents/types.js';
import type { ApprovalRecord } from '../approvals/types.js';
import type { Clock } from '../clock.js';
import { ConflictError } from '../errors.js';
import type { Store } from '../store/types.js';
import { observeCheckpoints } from './observed-store.js';
import { type AgentDeps, type AgentRegistry, stageNamesOf } from './registry.js';
import type { TaskRecords } from './task-records.js';
import type { TaskObserver, TaskRecord, TaskView } from './types.js';
import { taskView } from './view.js';

/** A task this process runs now. */
interface ActiveRun {
  controller: AbortController;
  record: TaskRecord;
  stages: readonly string[];
  /** The last checkpoint its run wrote; null until the first write. */
  last: TaskCheckpoint | null;
  stageStartedAt: number;
  waitingFor: TaskView['waitingFor'];
  /** Settles (never rejects) once the run has ended and its end was reported. */
  done: Promise<void>;
  written: () => void;
}

export interface TaskRunsOptions {
  registry: AgentRegistry;
  /** What agents are built with; its `store` is wrapped so their checkpoint writes are seen here. */
  agentDeps: AgentDeps;
  records: TaskRecords;
  observer: TaskObserver;
  logger: Logger;
  clock: Clock;
  /** The task as it stands once its run ended (read from the store). */
  statusOf(taskId: string): Promise<TaskView>;
}

/**
 * The runs of this process: each task's agent run in the background, its abort controller, and
 * the observer told of every stage as its checkpoint is written.
 */
export class TaskRuns {
  /** Agents are built with these: the same store, with checkpoint writes reported here. */
  readonly agentDeps: AgentDeps;
  private readonly active = new Map<string, ActiveRun>();

  constructor(private readonly options: TaskRunsOptions) {
    const store: Store = observeCheckpoints(options.agentDeps.store, (checkpoint) => this.written(checkpoint));
    this.agentDeps = { ...options.agentDeps, store };
  }

  /** True while this process runs `taskId`. */
  has(taskId: string): boolean {
    return this.active.has(taskId);
  }

  /** The task as its run here last wrote it, or undefined when none runs here. */
  view(taskId: string): TaskView | undefined {
    const run = this.active.get(taskId);
    return run?.last ? this.viewOf(run) : undefined;
  }

  /** Resolves once the run of `taskId` here has ended (at once when none runs). */
  async done(taskId: string): Promise<void> {
    await this.active.get(taskId)?.done;
  }

  /** Aborts the run of `taskId` here with `reason`; resolves once it has stopped. False when none runs here. */
  async abort(taskId: string, reason: Error): Promise<boolean> {
    const run = this.active.get(taskId);
    if (!run) return false;
    run.controller.abort(reason);
    await run.done;
    return true;
  }

  /**
   * Starts (or with `resume`, continues) the task's agent in the background; resolves once its
   * first checkpoint is stored. Errors before that (the task id taken, its stages changed) reject.
   */
  async execute(record: TaskRecord, run: { input?: unknown; resume?: boolean }): Promise<TaskView> {
    const taskId = record.id;
    if (this.active.has(taskId)) throw new ConflictError(`task ${taskId} is already running`);
    const definition = this.options.registry.require(record.agent);
    const agent = definition.create({ ...this.agentDeps, budgetUsd: definition.budgetUsd ?? this.agentDeps.budgetUsd });
    let written = () => {};
    const firstWrite = new Promise<void>((resolve) => {
      written = resolve;
    });
    const active: ActiveRun = {
      controller: new AbortController(),
      record,
      stages: stageNamesOf(agent),
      last: null,
      stageStartedAt: this.options.clock.now(),
      waitingFor: null,
      done: Promise.resolve(),
      written,
    };
    this.active.set(taskId, active);
    const running = agent.run({ taskId, input: run.input, resume: run.resume, signal: active.controller.signal });
    active.done = running.then(
      () => this.finished(active, undefined),
      (error: unknown) => this.finished(active, error),
    );
    await Promise.race([firstWrite, running]);
    void this.announce(active);
    return this.viewOf(active);
  }

  /** The gate stored an approval: a task running here may now wait for it. */
  approvalRequested(approval: ApprovalRecord): void {
    const run = approval.taskId ? this.active.get(approval.taskId) : undefined;
    if (!run?.last) return;
    run.waitingFor = { approvalId: approval.id, title: approval.title };
    const view = this.viewOf(run);
    this.tell('approvalRequested', (o) => o.approvalRequested(view, approval.id));
  }

  /** The gate saw an approval decided: a task running here no longer waits for it. */
  approvalDecided(approval: ApprovalRecord): void {
    const run = approval.taskId ? this.active.get(approval.taskId) : undefined;
    if (run?.waitingFor?.approvalId === approval.id) run.waitingFor = null;
  }

  /** Tells the observer, logging what it throws. */
  tell(what: string, call: (observer: TaskObserver) => void): void {
    try {
      call(this.options.observer);
    } catch (err) {
      this.options.logger.warn({ err, event: what }, 'task observer failed');
    }
  }

  /** Every checkpoint an agent of this service writes, once stored. */
  private written(checkpoint: TaskCheckpoint): void {
    const run = this.active.get(checkpoint.taskId);
    if (!run) return;
    const last = run.last;
    if (!last) {
      // A resume's first write still names the stage the stopped run was in: it starts again next.
      run.last = { ...checkpoint, currentStage: null };
      run.written();
      return;
    }
    run.last = checkpoint;
    const now = this.options.clock.now();
    const completed = checkpoint.stageName;
    if (checkpoint.stageIndex > last.stageIndex && completed) {
      const durationMs = now - run.stageStartedAt;
      const durations = { ...run.record.durations, [completed]: durationMs };
      run.record = { ...run.record, durations };
      run.waitingFor = null;
      const view = this.viewOf(run);
      this.tell('stageCompleted', (o) => o.stageCompleted(view, completed, durationMs));
      void this.options.records
        .change(checkpoint.taskId, (r) => ({ ...r, durations: { ...r.durations, [completed]: durationMs } }))
        .catch((err: unknown) => {
          this.options.logger.warn({ err, taskId: checkpoint.taskId }, 'could not store stage timings');
        });
    }
    const started = checkpoint.currentStage;
    if (started && started !== last.currentStage) {
      run.stageStartedAt = now;
      const view = this.viewOf(run);
      this.tell('stageStarted', (o) => o.stageStarted(view, started));
    }
  }

  private async finished(run: ActiveRun, error: unknown): Promise<void> {
    const taskId = run.record.id;
    this.active.delete(taskId);
    if (!run.last) return;
    try {
      if (error !== undefined && !run.controller.signal.aborted) {
        this.options.logger.warn({ err: error, taskId }, 'task stopped with an error');
      }
      const view = await this.options.statusOf(taskId);
      this.tell('taskFinished', (o) => o.taskFinished(view));
    } catch (err) {
      this.options.logger.error({ err, taskId }, 'could not report the end of a task');
    }
  }

  /** Tells the observer the task started; keeps where it shows the task. */
  private async announce(run: ActiveRun): Promise<void> {
    const taskId = run.record.id;
    try {
      const message = await this.options.observer.taskStarted(this.viewOf(run));
      const known = run.record.message;
      if (!message || (known && known.channel === message.channel && known.ts === message.ts)) return;
      run.record = { ...run.record, message };
      await this.options.records.change(taskId, (r) => ({ ...r, message }));
    } catch (err) {
      this.options.logger.warn({ err, taskId }, 'could not announce the task');
    }
  }

  private viewOf(run: ActiveRun): TaskView {
    if (!run.last) throw new Error(`task ${run.record.id} has no checkpoint yet`);
    return taskView(run.last, run.record, run.stages, { active: true, waitingFor: run.waitingFor });
  }
}
