import { randomUUID } from 'node:crypto';
import { type Logger, pino } from 'pino';
import type { ApprovalGate } from '../approvals/gate.js';
import { toResponse } from '../approvals/response.js';
import type { ApprovalResponse } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import { ConfigError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Store } from '../store/types.js';
import { BudgetExceededError, TaskBudget } from './budget.js';
import {
  CheckpointStore,
  checkBudget,
  checkDefinition,
  checkTaskId,
  completedResult,
  newCheckpoint,
  TaskTakenOverError,
  toJson,
} from './checkpoints.js';
import { AgentLogger } from './logger.js';
import { type ExecutionOutcome, MetricsStore } from './metrics.js';
import {
  type AgentAlerts,
  type AgentResult,
  type RunOptions,
  type Stage,
  type StageApprovalOptions,
  type StageApprovalRequest,
  type StageContext,
  silentAlerts,
  type TaskCheckpoint,
} from './types.js';

/** What the runtime needs of the approval gate. */
export type AgentGate = Pick<ApprovalGate, 'submit' | 'waitForDecision'>;

/** Options of an agent; everything but `store` has a default. */
export interface AgentOptions {
  /** Holds checkpoints (`checkpoints`) and metrics (`agent-metrics`). */
  store: Store;
  /** Needed only by stages that ask for approval. */
  gate?: AgentGate;
  alerts?: AgentAlerts;
  logger?: Logger;
  clock?: Clock;
  /** Default budget of each task, in USD: stages get a TaskBudget as `ctx.budget` for the Claude client. */
  budgetUsd?: number;
  /** Share one across agents, workflows and a RuleMonitor; default: one over `store`. */
  metrics?: MetricsStore;
  newId?: () => string;
}

/** Task ids running in this process, per store: a second run of the same task here is refused. */
const activeTasks = new WeakMap<Store, Set<string>>();

/**
 * An agent as an ordered list of named stages, checkpointed after each one. A subclass names
 * itself and lists its stages (annotate them: `protected readonly stages: Stage<Input>[] = [...]`)
 * and holds whatever clients its stages use; `defineAgent` does the same from a plain object.
 */
export abstract class BaseAgent<I = unknown> {
  abstract readonly name: string;
  protected abstract readonly stages: ReadonlyArray<Stage<I>>;

  protected readonly store: Store;
  protected readonly gate: AgentGate | null;
  protected readonly alerts: AgentAlerts;
  protected readonly logger: Logger;
  protected readonly clock: Clock;
  protected readonly budgetUsd: number | null;
  protected readonly metrics: MetricsStore;
  protected readonly checkpoints: CheckpointStore;
  private readonly newId: () => string;
  private checked = false;

  constructor({
    store,
    gate,
    alerts = silentAlerts,
    logger = pino({ level: 'silent' }),
    clock = systemClock,
    budgetUsd,
    metrics,
    newId = randomUUID,
  }: AgentOptions) {
    this.store = store;
    this.gate = gate ?? null;
    this.alerts = alerts;
    this.logger = logger;
    this.clock = clock;
    this.budgetUsd = checkBudget(budgetUsd ?? null);
    this.metrics = metrics ?? new MetricsStore({ store, clock });
    this.checkpoints = new CheckpointStore(store);
    this.newId = newId;
  }

  /** The stored checkpoint of a task of any agent, or undefined. */
  async task(taskId: string): Promise<TaskCheckpoint | undefined> {
    return this.checkpoints.get(taskId);
  }

  /**
   * Runs a new task, or with `resume` continues a stored one after its last checkpointed stage
   * (a completed task resolves with its stored results at once). On failure the task is left
   * `failed` and resumable, a failure alert is sent and the error re-thrown; on abort it is left
   * `cancelled` and the run rejects with the abort reason. Completed tasks keep their checkpoint,
   * status `completed`, as history.
   */
  async run(options: RunOptions<I> = {}): Promise<AgentResult> {
    if (!this.checked) this.checked = checkDefinition(this.name, this.stages);
    const taskId = checkTaskId(options.taskId ?? this.newId());
    const active = activeTasks.get(this.store) ?? new Set<string>();
    activeTasks.set(this.store, active);
    if (active.has(taskId)) throw new ConflictError(`task ${taskId} is already running in this process`);
    active.add(taskId);
    try {
      return await this.execute(taskId, options);
    } finally {
      active.delete(taskId);
    }
  }

  private async execute(taskId: string, options: RunOptions<I>): Promise<AgentResult> {
    const runStart = this.clock.now();
    let checkpoint = options.resume
      ? await this.claim(taskId)
      : await this.checkpoints.create(
          newCheckpoint({
            taskId,
            agent: this.name,
            input: options.input,
            budgetUsd: checkBudget(options.budgetUsd ?? this.budgetUsd),
            now: new Date(runStart).toISOString(),
          }),
        );
    if (checkpoint.status === 'completed') return completedResult(checkpoint);
    const log = new AgentLogger(this.logger, { agent: this.name, taskId });
    log.taskStarted(checkpoint.runs > 1, checkpoint.stageName);
    const signal = options.signal ?? new AbortController().signal;
    const { budget, budgetAlerted } = this.budgetFor(log, checkpoint);
    const elapsedBefore = checkpoint.elapsedMs;
    const save = async (change: (c: TaskCheckpoint, now: string) => Omit<TaskCheckpoint, 'version'>) => {
      const now = this.clock.now();
      const updatedAt = new Date(now).toISOString();
      checkpoint = await this.checkpoints.update(checkpoint, (c) => ({
        ...change(c, updatedAt),
        updatedAt,
        elapsedMs: elapsedBefore + (now - runStart),
        spentUsd: budget?.spentUsd ?? c.spentUsd,
      }));
    };
    const results = { ...checkpoint.results };
    let stageName = checkpoint.stageName ?? 'start';
    let stageStart = runStart;
    try {
      for (let index = checkpoint.stageIndex + 1; index < this.stages.length; index++) {
        const stage = this.stages[index]!;
        stageName = stage.name;
        signal.throwIfAborted();
        const attempt = (checkpoint.attempts[stage.name] ?? 0) + 1;
        await save((c) => ({ ...c, currentStage: stage.name, attempts: { ...c.attempts, [stage.name]: attempt } }));
        log.stageStarted(stage.name, index, attempt);
        stageStart = this.clock.now();
        const ctx = this.context(log, checkpoint, { stage, index, attempt, results, signal, budget });
        results[stage.name] = toJson(await stage.run(ctx), `the result of stage ${stage.name}`);
        await save((c) => ({
          ...c,
          stageIndex: index,
          stageName: stage.name,
          results: { ...results },
          currentStage: null,
        }));
        log.stageCompleted(stage.name, this.clock.now() - stageStart);
      }
      await save((c, now) => ({ ...c, status: 'completed', currentStage: null, completedAt: now }));
    } catch (error) {
      // Another run took the task over: it owns the checkpoint now, so leave it alone.
      if (error instanceof TaskTakenOverError) throw error;
      const cancelled = signal.aborted;
      const message = errorMessage(cancelled ? signal.reason : error);
      if (cancelled) log.taskCancelled(stageName);
      else log.stageFailed(stageName, error, this.clock.now() - stageStart);
      await this.quietly(log, 'store the outcome', () =>
        save((c) => ({
          ...c,
          status: cancelled ? 'cancelled' : 'failed',
          currentStage: null,
          error: { stage: stageName, message },
        })),
      );
      // A task stopped by its budget was already announced by the budget alert.
      if (!cancelled && !(error instanceof BudgetExceededError && budgetAlerted())) {
        await this.quietly(log, 'send the failure alert', () =>
          this.alerts.failure({ taskId, stage: stageName, error: message }),
        );
      }
      await this.count(cancelled ? 'cancelled' : 'failed', runStart);
      throw cancelled ? signal.reason : error;
    }
    const result = completedResult(checkpoint);
    log.taskCompleted(result.durationSeconds);
    await this.quietly(log, 'send the completion alert', () =>
      this.alerts.completion({ taskId, durationSeconds: result.durationSeconds }),
    );
    await this.count('succeeded', runStart);
    return result;
  }

  /** The run's budget, carrying over what earlier runs spent; its alerts go out through AgentAlerts. */
  private budgetFor(log: AgentLogger, checkpoint: TaskCheckpoint) {
    let alerted = false;
    const { taskId, budgetUsd, spentUsd } = checkpoint;
    const budget =
      budgetUsd === null
        ? null
        : new TaskBudget({
            taskId,
            budgetUsd,
            spentUsd,
            onWarning: (info) =>
              this.quietly(log, 'send the cost warning', () =>
                this.alerts.costWarning({ taskId, currentCost: info.spentUsd, budget: info.budgetUsd }),
              ),
            onExceeded: (info) => {
              alerted = true;
              return this.quietly(log, 'send the budget alert', () =>
                this.alerts.budgetExceeded({ taskId, currentCost: info.spentUsd, budget: info.budgetUsd }),
              );
            },
          });
    return { budget, budgetAlerted: () => alerted };
  }

  private context(
    log: AgentLogger,
    checkpoint: TaskCheckpoint,
    run: Pick<StageContext<I>, 'attempt' | 'signal' | 'budget'> & { stage: Stage<I>; index: number; results: object },
  ): StageContext<I> {
    const { taskId } = checkpoint;
    const { name } = run.stage;
    let asked = 0;
    // Aborting stops the wait but leaves the request pending, so a resumed task rejoins it.
    const requireApproval = async (
      request: StageApprovalRequest,
      options: StageApprovalOptions = {},
    ): Promise<ApprovalResponse> => {
      if (!this.gate) {
        throw new ConfigError([{ field: 'gate', message: `agent ${this.name} asks for approval but has no gate` }]);
      }
      const id = `${taskId}:${name}:${options.key === undefined ? ++asked : checkApprovalKey(options.key)}`;
      const { record } = await this.gate.submit({ requestedBy: this.name, ...request, id, taskId });
      const stored = record.status !== 'pending';
      if (!stored) log.approvalRequired(name, id, record.title);
      const response = toResponse(stored ? record : await this.gate.waitForDecision(id, { signal: run.signal }));
      log.approvalReceived(name, response, stored);
      return response;
    };
    return {
      taskId,
      agent: this.name,
      input: checkpoint.input as I,
      results: Object.freeze({ ...run.results }),
      stage: { name, index: run.index },
      attempt: run.attempt,
      signal: run.signal,
      log: log.forStage(name),
      budget: run.budget,
      requireApproval,
    };
  }

  /** Takes a stored task over for this run; a task left `running` by a dead process is taken over too. */
  private async claim(taskId: string): Promise<TaskCheckpoint> {
    const current = await this.checkpoints.get(taskId);
    if (!current) throw new NotFoundError('task', taskId);
    if (current.agent !== this.name) throw new ConflictError(`task ${taskId} belongs to agent ${current.agent}`);
    if (current.status === 'completed') return current;
    if (current.stageIndex >= 0 && this.stages[current.stageIndex]?.name !== current.stageName) {
      throw new ConflictError(`task ${taskId} was checkpointed by a version of ${this.name} with other stages`);
    }
    const updatedAt = new Date(this.clock.now()).toISOString();
    return this.checkpoints.update(current, (c) => ({
      ...c,
      status: 'running',
      runs: c.runs + 1,
      error: null,
      updatedAt,
    }));
  }

  private async count(outcome: ExecutionOutcome, runStart: number): Promise<void> {
    await this.metrics.record('agent', this.name, outcome, this.clock.now() - runStart).catch((error: unknown) => {
      this.logger.error({ err: error, agent: this.name }, 'could not record agent metrics');
    });
  }

  /** Side effects after the outcome is decided never change the outcome: their failures are logged. */
  private async quietly(log: AgentLogger, what: string, effect: () => Promise<unknown>): Promise<void> {
    try {
      await effect();
    } catch (error) {
      log.logger.error({ err: error }, `could not ${what}`);
    }
  }
}

/** A stage-based agent from a plain definition: a thin layer over BaseAgent. */
export function defineAgent<I = unknown>(
  definition: { name: string; stages: ReadonlyArray<Stage<I>> },
  options: AgentOptions,
): BaseAgent<I> {
  return new (class extends BaseAgent<I> {
    readonly name = definition.name;
    protected readonly stages = definition.stages;
  })(options);
}

/** A caller's key must not look like the counter of `requireApproval`, or the two could name one request. */
function checkApprovalKey(key: string): string {
  if (/^\d*$/.test(key)) {
    throw new ValidationError([{ field: 'key', message: 'must not be empty or only digits (those are counted ids)' }]);
  }
  return key;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
