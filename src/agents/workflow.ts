import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { type FieldIssue, ValidationError } from '../errors.js';
import type { Store } from '../store/types.js';
import { type ExecutionOutcome, MetricsStore } from './metrics.js';
import { type AgentAlerts, silentAlerts } from './types.js';

/** The Keyv namespace run histories live in, one key per workflow. */
export const WORKFLOW_RUNS_NAMESPACE = 'workflow-runs';

/** What a step is given besides its input and the earlier outputs. */
export interface StepContext {
  workflow: string;
  runId: string;
  step: { name: string; index: number };
  signal: AbortSignal;
  /** Logger bound to workflow, run id and step. */
  log: Logger;
}

/**
 * One step of a chain: `input` is the previous step's output (the workflow's input for the first
 * step), `outputs` every earlier step's output by step name.
 */
export interface WorkflowStep {
  name: string;
  run(input: unknown, outputs: Readonly<Record<string, unknown>>, ctx: StepContext): unknown;
}

/** How a step ended; steps after a failed one are `skipped`. */
export type StepStatus = 'succeeded' | 'failed' | 'skipped';

/** One step's record in a run. */
export interface StepResult {
  step: string;
  status: StepStatus;
  output: unknown;
  error: string | null;
  /** Null for a skipped step. */
  startedAt: string | null;
  durationMs: number | null;
}

/** One run of a workflow, as kept in the history. */
export interface WorkflowRun {
  id: string;
  workflow: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  input: unknown;
  /** The last step's output when the run succeeded, else null. */
  output: unknown;
  steps: StepResult[];
  error: { step: string; message: string } | null;
  startedAt: string;
  durationMs: number;
}

/** Options of a workflow; everything but `store` has a default. */
export interface WorkflowOptions {
  store: Store;
  /** Share one with agents and a RuleMonitor; default: one over `store`. */
  metrics?: MetricsStore;
  /** Sends a failure alert (task id = run id, stage = step) when a run fails. */
  alerts?: AgentAlerts;
  logger?: Logger;
  clock?: Clock;
  /** How many recent runs the history keeps per workflow; default 50. */
  historyLimit?: number;
  newId?: () => string;
}

/** A run failed at `run.error.step`; `run` is the whole record, `cause` what the step threw. */
export class WorkflowFailedError extends Error {
  constructor(
    readonly run: WorkflowRun & { error: { step: string; message: string } },
    cause: unknown,
  ) {
    super(`workflow ${run.workflow} failed at step ${run.error.step}: ${run.error.message}`, { cause });
    this.name = 'WorkflowFailedError';
  }
}

/**
 * A chain of named steps, each fed the previous one's output. Every run is recorded step by step
 * in a capped history and counted in the workflow's metrics; a failing step stops the chain.
 */
export class Workflow {
  readonly name: string;
  readonly steps: ReadonlyArray<WorkflowStep>;
  private readonly runs: Keyv;
  private readonly metrics: MetricsStore;
  private readonly alerts: AgentAlerts;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly historyLimit: number;
  private readonly newId: () => string;
  /** History appends of this process, one after another, so none is lost to a read-modify-write race. */
  private appending: Promise<void> = Promise.resolve();

  constructor(definition: { name: string; steps: ReadonlyArray<WorkflowStep> }, options: WorkflowOptions) {
    checkWorkflow(definition.name, definition.steps);
    const { store, clock = systemClock, historyLimit = 50 } = options;
    if (!(Number.isInteger(historyLimit) && historyLimit >= 1)) {
      throw new TypeError('Expected `historyLimit` to be a positive integer.');
    }
    this.name = definition.name;
    this.steps = [...definition.steps];
    this.runs = store.keyv(WORKFLOW_RUNS_NAMESPACE);
    this.metrics = options.metrics ?? new MetricsStore({ store, clock });
    this.alerts = options.alerts ?? silentAlerts;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ workflow: definition.name });
    this.clock = clock;
    this.historyLimit = historyLimit;
    this.newId = options.newId ?? randomUUID;
  }

  /**
   * Runs the chain on `input`. Resolves with the run when every step succeeded; rejects with a
   * WorkflowFailedError (holding the run) when a step failed, or with the abort reason when
   * `signal` aborted it. Either way the run is in the history first.
   */
  async run(input?: unknown, options: { signal?: AbortSignal } = {}): Promise<WorkflowRun> {
    const signal = options.signal ?? new AbortController().signal;
    const id = this.newId();
    const log = this.logger.child({ runId: id });
    const started = this.clock.now();
    const outputs: Record<string, unknown> = {};
    const steps: StepResult[] = [];
    let previous = input;
    let failure: { step: string; error: unknown } | null = null;
    for (const [index, step] of this.steps.entries()) {
      if (failure || signal.aborted) {
        steps.push({
          step: step.name,
          status: 'skipped',
          output: null,
          error: null,
          startedAt: null,
          durationMs: null,
        });
        continue;
      }
      const stepStart = this.clock.now();
      const startedAt = new Date(stepStart).toISOString();
      log.info({ event: 'step_started', step: step.name, index }, 'step started');
      try {
        const ctx: StepContext = {
          workflow: this.name,
          runId: id,
          step: { name: step.name, index },
          signal,
          log: log.child({ step: step.name }),
        };
        const output = await step.run(previous, Object.freeze({ ...outputs }), ctx);
        const durationMs = this.clock.now() - stepStart;
        outputs[step.name] = output;
        previous = output;
        steps.push({
          step: step.name,
          status: 'succeeded',
          output: storable(output),
          error: null,
          startedAt,
          durationMs,
        });
        log.info({ event: 'step_completed', step: step.name, durationMs }, 'step completed');
      } catch (error) {
        const durationMs = this.clock.now() - stepStart;
        failure = { step: step.name, error };
        const message = errorMessage(signal.aborted ? signal.reason : error);
        steps.push({ step: step.name, status: 'failed', output: null, error: message, startedAt, durationMs });
        log.error({ event: 'step_failed', step: step.name, durationMs, err: error }, 'step failed');
      }
    }
    // Cancelled only if the abort cut the chain short, not when it came after the last step.
    const stoppedAt = failure?.step ?? steps.find((s) => s.status === 'skipped')?.step;
    const cancelled = signal.aborted && stoppedAt !== undefined;
    const status = cancelled ? 'cancelled' : failure ? 'failed' : 'succeeded';
    const run: WorkflowRun = {
      id,
      workflow: this.name,
      status,
      input: storable(input),
      output: status === 'succeeded' ? storable(previous) : null,
      steps,
      error:
        stoppedAt === undefined
          ? null
          : { step: stoppedAt, message: errorMessage(cancelled ? signal.reason : failure?.error) },
      startedAt: new Date(started).toISOString(),
      durationMs: this.clock.now() - started,
    };
    log.info({ event: 'workflow_finished', status, durationMs: run.durationMs }, `workflow ${status}`);
    await this.finish(run, log);
    if (cancelled) throw signal.reason;
    if (run.error && failure) {
      const { error } = run;
      await this.alerts
        .failure({ taskId: id, stage: error.step, error: error.message })
        .catch((err: unknown) => log.error({ err }, 'could not send the failure alert'));
      throw new WorkflowFailedError({ ...run, error }, failure.error);
    }
    return run;
  }

  /** The most recent runs, newest first. */
  async history(limit = this.historyLimit): Promise<WorkflowRun[]> {
    const runs = ((await this.runs.get(this.name)) as WorkflowRun[] | undefined) ?? [];
    return runs.slice(0, limit);
  }

  /** Stores the run in the history and counts it; a storage failure is logged, never thrown. */
  private async finish(run: WorkflowRun, log: Logger): Promise<void> {
    const append = this.appending.then(async () => {
      const runs = await this.history();
      await this.runs.set(this.name, [run, ...runs].slice(0, this.historyLimit));
    });
    this.appending = append.catch(() => {});
    const outcome: ExecutionOutcome = run.status;
    await Promise.all([
      append.catch((err: unknown) => log.error({ err }, 'could not store the workflow run')),
      this.metrics
        .record('workflow', this.name, outcome, run.durationMs)
        .catch((err: unknown) => log.error({ err }, 'could not record workflow metrics')),
    ]);
  }
}

/** A workflow from a plain definition: `defineWorkflow({ name, steps }, { store })`. */
export function defineWorkflow(
  definition: { name: string; steps: ReadonlyArray<WorkflowStep> },
  options: WorkflowOptions,
): Workflow {
  return new Workflow(definition, options);
}

function checkWorkflow(name: string, steps: ReadonlyArray<WorkflowStep>): void {
  const issues: FieldIssue[] = [];
  if (!name) issues.push({ field: 'name', message: 'must not be empty' });
  if (steps.length === 0) issues.push({ field: 'steps', message: 'must list at least one step' });
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    if (!step.name) issues.push({ field: `steps.${i}.name`, message: 'must not be empty' });
    else if (seen.has(step.name)) issues.push({ field: `steps.${i}.name`, message: `duplicates step ${step.name}` });
    seen.add(step.name);
  });
  if (issues.length > 0) throw new ValidationError(issues);
}

/** What the history can hold of a value: itself as JSON, or a note that it could not be stored. */
function storable(value: unknown): unknown {
  try {
    const text = JSON.stringify(value ?? null);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return '[not JSON-serializable]';
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
