import type { Logger } from 'pino';
import type { ApprovalRecord } from '../../approvals/types.js';
import { type Clock, systemClock, type TimerHandle } from '../../clock.js';
import type { RecordStore, Versioned } from '../../store/types.js';
import type { SlackClients, SlackTeam } from '../clients.js';
import { stepOutcome } from './step-io.js';

/** Where a Workflow Builder step waits for an approval: enough to complete it after a restart. */
export interface WorkflowStepRecord extends Versioned {
  /** The approval id (one step run, one approval). */
  id: string;
  functionExecutionId: string;
  /** The workspace the workflow runs in: whose bot token completes the step. */
  team: SlackTeam;
  status: 'pending' | 'completed';
  createdAt: string;
  completedAt: string | null;
}

/** Options of {@link WorkflowSteps}; `clock` defaults to the system clock. */
export interface WorkflowStepsOptions {
  store: RecordStore<WorkflowStepRecord>;
  /** Reads approvals and reports their decisions. */
  approvals: {
    get(id: string): Promise<ApprovalRecord>;
    onDecided(listener: (record: ApprovalRecord) => void): () => void;
  };
  clients: SlackClients;
  logger: Logger;
  clock?: Clock;
  /** First wait before completing again after Slack refused or was unreachable; doubles up to 15 min. */
  retryDelayMs?: number;
}

/** Answers meaning Slack no longer waits for this step: it was completed (by an earlier try) or is gone. */
const SETTLED_ERRORS = new Set(['execution_not_in_running_state', 'function_execution_not_found']);
const MAX_RETRY_DELAY_MS = 15 * 60_000;

/**
 * The Slack side of Workflow Builder steps waiting on approvals. A step is recorded before its
 * approval exists, and completed from the stored record once the approval is decided — when this
 * process sees the decision, at the next start, or on a retry — so a restart in between loses
 * nothing. Completing twice is harmless: Slack's "not running" answer counts as done.
 */
export class WorkflowSteps {
  private readonly store: RecordStore<WorkflowStepRecord>;
  private readonly approvals: WorkflowStepsOptions['approvals'];
  private readonly clients: SlackClients;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly retryDelayMs: number;
  private readonly inFlight = new Set<string>();
  private readonly retries = new Map<string, TimerHandle>();
  private unsubscribe: (() => void) | undefined;

  constructor({ store, approvals, clients, logger, clock = systemClock, retryDelayMs = 30_000 }: WorkflowStepsOptions) {
    this.store = store;
    this.approvals = approvals;
    this.clients = clients;
    this.logger = logger;
    this.clock = clock;
    this.retryDelayMs = retryDelayMs;
  }

  /** Records a step run (idempotent: a re-delivered event finds the stored one). */
  async track(step: Pick<WorkflowStepRecord, 'id' | 'functionExecutionId' | 'team'>): Promise<WorkflowStepRecord> {
    const { record } = await this.store.insert({
      ...step,
      status: 'pending',
      createdAt: new Date(this.clock.now()).toISOString(),
      completedAt: null,
      version: 1,
    });
    return record;
  }

  /** Marks a step completed without telling Slack (its run was already failed by the listener). */
  async close(id: string): Promise<void> {
    const step = await this.store.get(id);
    if (step?.status === 'pending') await this.markCompleted(step);
  }

  /** Completes the approval's step if it has one that still waits and the approval is decided. */
  async settle(approval: ApprovalRecord, attempt = 0): Promise<void> {
    if (approval.status === 'pending' || this.inFlight.has(approval.id)) return;
    this.inFlight.add(approval.id);
    try {
      const step = await this.store.get(approval.id);
      if (step?.status !== 'pending') return;
      await this.complete(step, approval);
      await this.markCompleted(step);
      this.logger.info({ approvalId: approval.id, status: approval.status }, 'workflow step completed');
    } catch (error) {
      const delay = Math.min(this.retryDelayMs * 2 ** attempt, MAX_RETRY_DELAY_MS);
      this.logger.error(
        { err: error, approvalId: approval.id, retryInMs: delay },
        'could not complete the workflow step',
      );
      this.scheduleRetry(approval.id, delay, attempt + 1);
    } finally {
      this.inFlight.delete(approval.id);
    }
  }

  /** Completes every step whose approval was decided while nobody listened; then follows new decisions. */
  async start(): Promise<{ owed: number }> {
    this.unsubscribe ??= this.approvals.onDecided((record) => void this.settle(record));
    const pending = await this.store.findBy('status', 'pending');
    let owed = 0;
    for (const step of pending) {
      const approval = await this.approvals.get(step.id).catch(() => undefined);
      if (!approval || approval.status === 'pending') continue;
      owed += 1;
      await this.settle(approval);
    }
    if (owed > 0) this.logger.info({ owed }, 'completed workflow steps decided while stopped');
    return { owed };
  }

  /** Stops following decisions and drops retry timers; the store keeps what is owed for the next start. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.retries.values()) this.clock.clearTimeout(timer);
    this.retries.clear();
  }

  private async complete(step: WorkflowStepRecord, approval: ApprovalRecord): Promise<void> {
    const client = await this.clients.forTeam(step.team);
    const outcome = stepOutcome(approval);
    const execution = { function_execution_id: step.functionExecutionId };
    try {
      if ('outputs' in outcome) await client.functions.completeSuccess({ ...execution, outputs: outcome.outputs });
      else await client.functions.completeError({ ...execution, error: outcome.error });
    } catch (error) {
      if (!SETTLED_ERRORS.has(platformError(error) ?? '')) throw error;
    }
  }

  private async markCompleted(step: WorkflowStepRecord): Promise<void> {
    const completedAt = new Date(this.clock.now()).toISOString();
    // Losing this race means another process completed it: nothing is owed either way.
    await this.store.replace({ ...step, status: 'completed', completedAt, version: step.version + 1 }, step.version);
  }

  private scheduleRetry(id: string, delayMs: number, attempt: number): void {
    const existing = this.retries.get(id);
    if (existing) this.clock.clearTimeout(existing);
    const timer = this.clock.setTimeout(() => {
      this.retries.delete(id);
      void this.approvals
        .get(id)
        .then((approval) => this.settle(approval, attempt))
        .catch((error: unknown) => this.logger.error({ err: error, approvalId: id }, 'workflow step retry failed'));
    }, delayMs);
    this.retries.set(id, timer);
  }
}

/** The `error` of a Slack Web API answer with `ok: false`, if that is what `error` is. */
function platformError(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
