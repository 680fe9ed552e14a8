import { type Logger, pino } from 'pino';
import type { AgentGate } from '../agents/agent.js';
import { CheckpointStore, checkBudget, checkTaskId } from '../agents/checkpoints.js';
import type { MetricsStore } from '../agents/metrics.js';
import { type AgentAlerts, silentAlerts, type TaskCheckpoint } from '../agents/types.js';
import type { ApprovalGate } from '../approvals/gate.js';
import { APPROVALS_NAMESPACE, approvalIndexes } from '../approvals/records.js';
import type { ApprovalRecord, MessageRef } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { RecordStore, Store } from '../store/types.js';
import type { InstanceLeases } from './instances.js';
import type { AgentRegistry } from './registry.js';
import { TaskRuns } from './runs.js';
import { TaskRecords } from './task-records.js';
import { silentObserver, type TaskObserver, type TaskStats, type TaskView } from './types.js';
import { newTaskId, statsOf, taskView } from './view.js';

/** What the service needs of the approval gate: what agents use, plus its decision events. */
export type TaskGate = AgentGate & Pick<ApprovalGate, 'onDecided' | 'onRequested'>;

/** Options of a TaskService; everything but `registry` and `store` has a default. */
export interface TaskServiceOptions {
  registry: AgentRegistry;
  store: Store;
  gate?: TaskGate;
  /** Approval records, to find what a stopped task waits for; default `store.records('approvals')`. */
  approvals?: RecordStore<ApprovalRecord>;
  alerts?: AgentAlerts;
  observer?: TaskObserver;
  logger?: Logger;
  clock?: Clock;
  metrics?: MetricsStore;
  /** Claude budget of each task in USD unless its agent sets one; default 5. */
  budgetUsd?: number;
  /** New task ids; default `<agent>-<6 hex digits>`. */
  newId?: (agent: string) => string;
  /** This instance and the others' leases (cluster): without it every task left running counts as interrupted. */
  instances?: InstanceLeases;
}

/** Who starts a task and where its progress should be shown. */
export interface StartOptions {
  startedBy: string;
  /** Channel of the progress message; default the observer's. */
  channel?: string | null;
  /** Chosen by the caller instead of a new one; a ConflictError if taken. */
  taskId?: string;
}

/**
 * Tasks: named agents started, resumed and cancelled by id, running in the background after the
 * call that started them returns. State is the agents' checkpoints plus a small task record
 * (who started it, its progress message, stage timings). Surfaces follow tasks through a
 * TaskObserver; this module knows nothing of Slack or HTTP.
 */
export class TaskService {
  private readonly registry: AgentRegistry;
  private readonly checkpoints: CheckpointStore;
  private readonly records: TaskRecords;
  private readonly approvals: RecordStore<ApprovalRecord>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly runs: TaskRuns;
  private readonly newId: (agent: string) => string;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly instances: InstanceLeases | undefined;

  constructor(options: TaskServiceOptions) {
    this.instances = options.instances;
    const { registry, store, gate, clock = systemClock, logger = pino({ level: 'silent' }) } = options;
    this.registry = registry;
    this.checkpoints = new CheckpointStore(store);
    this.records = new TaskRecords(store);
    this.approvals = options.approvals ?? store.records<ApprovalRecord>(APPROVALS_NAMESPACE, approvalIndexes);
    this.logger = logger.child({ component: 'tasks' });
    this.clock = clock;
    this.newId = options.newId ?? ((agent) => newTaskId(agent));
    this.runs = new TaskRuns({
      registry,
      agentDeps: {
        store,
        gate,
        alerts: options.alerts ?? silentAlerts,
        logger,
        clock,
        metrics: options.metrics,
        budgetUsd: checkBudget(options.budgetUsd ?? 5) ?? undefined,
      },
      records: this.records,
      observer: options.observer ?? silentObserver,
      logger: this.logger,
      clock,
      statusOf: (taskId) => this.status(taskId),
    });
    if (gate) {
      this.unsubscribe.push(
        gate.onRequested((record) => this.runs.approvalRequested(record)),
        gate.onDecided((record) => this.approvalDecided(record)),
      );
    }
  }

  /** Validates the input, stores the task and starts it; resolves once its first checkpoint is stored. */
  async start(agent: string, input: unknown, options: StartOptions): Promise<TaskView> {
    const parsed = this.registry.parseInput(agent, input);
    const taskId = checkTaskId(options.taskId ?? this.newId(agent));
    if (await this.checkpoints.get(taskId)) throw new ConflictError(`task ${taskId} already exists`);
    const record = await this.records.put({
      id: taskId,
      agent,
      startedBy: options.startedBy,
      channel: options.channel ?? null,
      message: null,
      durations: {},
      interruptedAt: null,
      owner: this.instances?.id ?? null,
      createdAt: this.now(),
    });
    return this.runs.execute(record, { input: parsed });
  }

  /** Continues a failed, cancelled or interrupted task after its last completed stage. */
  async resume(taskId: string): Promise<TaskView> {
    const view = await this.status(taskId);
    if (this.runs.has(taskId)) throw new ConflictError(`task ${taskId} is already running`);
    if (view.status === 'completed') throw new ConflictError(`task ${taskId} already completed`);
    if (view.status === 'running') {
      throw new ConflictError(`task ${taskId} is running in another process: cancel it first to take it over`);
    }
    const record = await this.records.change(
      taskId,
      (r) => ({ ...r, interruptedAt: null, owner: this.instances?.id ?? null }),
      view,
    );
    return this.runs.execute(record, { resume: true });
  }

  /** Stops a task: a run here is aborted; a task stopped elsewhere or interrupted is marked cancelled. */
  async cancel(taskId: string, options: { by?: string } = {}): Promise<TaskView> {
    const reason = new Error(`cancelled by ${options.by ?? 'api'}`);
    if (await this.runs.abort(taskId, reason)) return this.status(taskId);
    const checkpoint = await this.checkpoints.get(taskId);
    if (!checkpoint) throw new NotFoundError('task', taskId);
    if (checkpoint.status === 'completed' || checkpoint.status === 'cancelled') {
      throw new ConflictError(`task ${taskId} is already ${checkpoint.status}`);
    }
    // A run in another process stops at its next checkpoint write, which now fails.
    await this.checkpoints.update(checkpoint, (c) => ({
      ...c,
      status: 'cancelled',
      currentStage: null,
      error: { stage: c.currentStage ?? c.error?.stage ?? null, message: reason.message },
      updatedAt: this.now(),
    }));
    const view = await this.status(taskId);
    this.runs.tell('taskFinished', (o) => o.taskFinished(view));
    return view;
  }

  /** The task as it stands, or a NotFoundError. */
  async status(taskId: string): Promise<TaskView> {
    checkTaskId(taskId);
    const checkpoint = await this.checkpoints.get(taskId);
    if (!checkpoint) throw new NotFoundError('task', taskId);
    const live = this.runs.view(taskId);
    if (live) return live;
    const view = taskView(checkpoint, await this.records.get(taskId), this.stagesOf(checkpoint.agent), {
      active: this.runs.has(taskId),
    });
    if (view.status !== 'running' && view.status !== 'interrupted') return view;
    const pending = (await this.approvals.findBy('taskId', taskId)).find((a) => a.status === 'pending');
    return pending ? { ...view, waitingFor: { approvalId: pending.id, title: pending.title } } : view;
  }

  /** The most recently started tasks of the registered agents, newest first. */
  async list(options: { limit?: number } = {}): Promise<TaskView[]> {
    return (await this.all()).slice(0, options.limit ?? 20);
  }

  /** Totals over every stored task of the registered agents. */
  async stats(): Promise<TaskStats> {
    return statsOf(await this.all());
  }

  /** The task's progress message, so follow-ups (alerts, approvals) can go in its thread. */
  async threadForTask(taskId: string): Promise<MessageRef | null> {
    return (await this.records.get(taskId))?.message ?? null;
  }

  /** Resolves with the task once this process's run of it has ended (at once when none runs). */
  async settled(taskId: string): Promise<TaskView> {
    await this.runs.done(taskId);
    return this.status(taskId);
  }

  /**
   * At boot: tasks left `running` by a process that stopped are marked interrupted (resumable);
   * those that were waiting on an approval decided since are resumed now, and those whose
   * approval is still pending are resumed when it is decided.
   */
  async recover(): Promise<{ interrupted: string[]; resumed: string[] }> {
    const interrupted: string[] = [];
    const resumed: string[] = [];
    for (const agent of this.registry.names()) {
      for (const checkpoint of await this.checkpoints.byAgent(agent)) {
        if (checkpoint.status !== 'running' || this.runs.has(checkpoint.taskId)) continue;
        const { taskId } = checkpoint;
        // Running on another instance that is still alive: not ours to take over.
        const owner = (await this.records.get(taskId))?.owner;
        if (owner && owner !== this.instances?.id && (await this.instances?.isAlive(owner))) continue;
        const at = this.now();
        await this.records.change(taskId, (r) => ({ ...r, interruptedAt: at }), { id: taskId, agent });
        interrupted.push(taskId);
        const decided = (await this.stageApprovals(checkpoint)).some((a) => a.status !== 'pending');
        if (decided && (await this.resumeQuietly(taskId))) resumed.push(taskId);
        else {
          const view = await this.status(taskId);
          this.runs.tell('taskFinished', (o) => o.taskFinished(view));
        }
      }
    }
    if (interrupted.length > 0) this.logger.warn({ interrupted, resumed }, 'found interrupted tasks');
    return { interrupted, resumed };
  }

  /** Stops listening to the gate. Runs in flight are left alone: a later `recover()` finds them. */
  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** A decision for an interrupted task's current stage resumes it. */
  private approvalDecided(approval: ApprovalRecord): void {
    this.runs.approvalDecided(approval);
    const taskId = approval.taskId;
    if (!taskId || this.runs.has(taskId)) return;
    void (async () => {
      const checkpoint = await this.checkpoints.get(taskId);
      if (!checkpoint?.currentStage || !approval.id.startsWith(`${taskId}:${checkpoint.currentStage}:`)) return;
      if ((await this.status(taskId)).status === 'interrupted') await this.resumeQuietly(taskId);
    })().catch((err: unknown) => this.logger.error({ err, taskId }, 'could not resume the task'));
  }

  private async resumeQuietly(taskId: string): Promise<boolean> {
    try {
      await this.resume(taskId);
      this.logger.info({ taskId }, 'resumed a task whose approval was decided');
      return true;
    } catch (err) {
      // Another process (or an operator) resumed it first.
      this.logger.warn({ err, taskId }, 'could not resume the task');
      return false;
    }
  }

  /** The approvals the checkpoint's current stage asked for (`${taskId}:${stage}:${n}`). */
  private async stageApprovals(checkpoint: TaskCheckpoint): Promise<ApprovalRecord[]> {
    if (!checkpoint.currentStage) return [];
    const prefix = `${checkpoint.taskId}:${checkpoint.currentStage}:`;
    return (await this.approvals.findBy('taskId', checkpoint.taskId)).filter((a) => a.id.startsWith(prefix));
  }

  private async all(): Promise<TaskView[]> {
    const views: TaskView[] = [];
    for (const agent of this.registry.names()) {
      const stages = this.stagesOf(agent);
      for (const checkpoint of await this.checkpoints.byAgent(agent)) {
        const live = this.runs.view(checkpoint.taskId);
        views.push(live ?? taskView(checkpoint, await this.records.get(checkpoint.taskId), stages, { active: false }));
      }
    }
    return views.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id));
  }

  private stagesOf(agent: string): readonly string[] {
    return this.registry.get(agent) ? this.registry.stagesOf(agent, this.runs.agentDeps) : [];
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
