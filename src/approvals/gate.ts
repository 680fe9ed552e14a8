import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { AlreadyDecidedError, NotAllowedError, StaleRequestError } from '../errors.js';
import type { RecordStore } from '../store/types.js';
import { Deadlines } from './deadlines.js';
import { type ApproverDirectory, type EligibilityRules, eligibility } from './directory.js';
import { type ApprovalEventListener, type ApprovalEventType, EventHub } from './events.js';
import { climb } from './ladder.js';
import { type ApprovalNotifier, silentNotifier } from './notifier.js';
import { type ApprovalDefaults, buildRecord, contentDifferences, DEFAULTS, nextStep } from './record.js';
import { ApprovalRecords } from './records.js';
import { toResponse, withJsonSchema } from './response.js';
import { approvalRequestSchema, parseOrThrow } from './schema.js';
import type {
  ApprovalRecord,
  ApprovalRequest,
  ApprovalResponse,
  ApprovalStatus,
  Decision,
  DecisionInput,
  DecisionVia,
} from './types.js';
import { castVote } from './voting.js';

/** Options of an ApprovalGate; everything but `store` has a default. */
export interface ApprovalGateOptions {
  store: RecordStore<ApprovalRecord>;
  notifier?: ApprovalNotifier;
  clock?: Clock;
  logger?: Logger;
  newId?: () => string;
  /** Used when a request names no approvers. Empty: nobody may decide, unless `allowAnyApprover`. */
  defaultApprovers?: string[];
  /** Lets anyone decide a request that has no approvers (ALLOW_ANY_APPROVER); default false: fail closed. */
  allowAnyApprover?: boolean;
  /** Resolves approver groups (Slack user groups) at decision time; without one, groups match nobody. */
  directory?: ApproverDirectory;
  defaultChannel?: string;
  defaultTimeoutSeconds?: number;
  /** Ladder and quorum defaults (reminders at 50 %, escalation at 80 %, …) for requests that name none. */
  defaults?: Partial<ApprovalDefaults>;
}

/** Who decides when the deadline passes. */
export const SYSTEM_ACTOR = 'gatehouse';

/**
 * The approval gate: stores requests, tells people through its notifier, and wakes whoever waits
 * the moment a decision is committed. Every state change is one compare-and-swap on the store, so
 * exactly one decision wins however many surfaces and processes race.
 */
export class ApprovalGate {
  private readonly store: RecordStore<ApprovalRecord>;
  private readonly records: ApprovalRecords;
  private readonly notifier: ApprovalNotifier;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly defaults: ApprovalDefaults;
  private readonly deadlines: Deadlines;
  private readonly hub: EventHub;
  private readonly rules: EligibilityRules;
  /** Wakes the waiters of one approval id with the decided record. */
  private readonly events = new EventEmitter().setMaxListeners(0);

  constructor({
    store,
    notifier = silentNotifier,
    clock = systemClock,
    logger = pino({ level: 'silent' }),
    newId = randomUUID,
    defaultApprovers = [],
    defaultChannel,
    defaultTimeoutSeconds = 3600,
    defaults = {},
    allowAnyApprover = false,
    directory,
  }: ApprovalGateOptions) {
    this.rules = { allowAnyApprover, directory };
    this.store = store;
    this.records = new ApprovalRecords(store);
    this.notifier = notifier;
    this.clock = clock;
    this.logger = logger;
    this.newId = newId;
    this.defaults = {
      ...DEFAULTS,
      approvers: defaultApprovers,
      channel: defaultChannel ?? null,
      timeoutSeconds: defaultTimeoutSeconds,
      ...defaults,
    };
    this.deadlines = new Deadlines(clock, (id) => void this.step(id));
    this.hub = new EventHub(logger);
  }

  /**
   * Asks for approval and resolves once it is decided. Asking again with the same id joins the
   * same request, and once decided returns the stored decision at once: a crashed agent that
   * asks again on resume is not asked twice. Aborting `signal` cancels the request and rejects.
   */
  async requireApproval(request: ApprovalRequest, options: { signal?: AbortSignal } = {}): Promise<ApprovalResponse> {
    options.signal?.throwIfAborted();
    const { record } = await this.submit(request);
    const decided = await this.waitForDecision(record.id, { signal: options.signal }).catch(async (error: unknown) => {
      if (options.signal?.aborted) {
        await this.cancel(record.id, {
          by: record.requestedBy ?? SYSTEM_ACTOR,
          reason: 'aborted by the requester',
        }).catch(() => {});
      }
      throw error;
    });
    return toResponse(decided);
  }

  /**
   * Stores a request (before anyone is told) unless one with its id exists; then notifies. The
   * same id with different content is a StaleRequestError: an old decision never covers a new ask.
   */
  async submit(request: ApprovalRequest): Promise<{ record: ApprovalRecord; created: boolean }> {
    const input = parseOrThrow(approvalRequestSchema, withJsonSchema(request));
    const candidate = buildRecord(input, this.defaults, this.clock.now(), input.id ?? this.newId());
    const { record, created } = await this.store.insert(candidate);
    if (!created) {
      const differences = contentDifferences(record, candidate);
      if (differences.length > 0) throw new StaleRequestError(record, differences);
      return { record, created };
    }
    this.logger.info({ approvalId: record.id, taskId: record.taskId }, 'approval requested');
    this.report('requested', record, record.requestedBy, { contentHash: record.contentHash });
    this.arm(record);
    void this.announce(record);
    return { record, created };
  }

  /** The stored approval, or a NotFoundError. */
  get(id: string): Promise<ApprovalRecord> {
    return this.records.get(id);
  }

  /**
   * Resolves with the approval once it is decided (at once if it already is). Woken by the
   * decision itself; with `timeoutMs`, resolves with the still-pending record when time is up.
   */
  async waitForDecision(
    id: string,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<ApprovalRecord> {
    const { signal, timeoutMs } = options;
    signal?.throwIfAborted();
    return new Promise<ApprovalRecord>((resolve, reject) => {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const finish = (settle: () => void) => {
        this.events.off(id, onDecided);
        signal?.removeEventListener('abort', onAbort);
        if (timer !== undefined) this.clock.clearTimeout(timer);
        settle();
      };
      const onDecided = (record: ApprovalRecord) => finish(() => resolve(record));
      const onAbort = () => finish(() => reject(signal?.reason));
      // Subscribe before reading, so a decision landing in between is not missed.
      this.events.on(id, onDecided);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.get(id).then(
        (record) => {
          if (record.status !== 'pending') finish(() => resolve(record));
          else if (timeoutMs !== undefined)
            timer = this.clock.setTimeout(() => finish(() => resolve(record)), timeoutMs);
        },
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  /**
   * Records a decision if the approval is still pending. Throws NotAllowedError when
   * `enforceApprovers` is set and the actor is not an approver, AlreadyDecidedError (holding the
   * winning record) when someone else decided first.
   */
  async decide(id: string, input: DecisionInput): Promise<ApprovalRecord> {
    if (input.enforceApprovers) {
      const current = await this.get(id);
      // A decided request answers with its decision below, whoever clicked.
      if (current.status === 'pending') await this.assertMayDecide(current, input.decidedBy, { fresh: true });
    }
    const at = new Date(this.clock.now()).toISOString();
    const next = await this.records.write(id, (record) => {
      if (record.status !== 'pending')
        throw new AlreadyDecidedError(`approval ${id} was already ${record.status}`, record);
      return castVote(record, input, at);
    });
    if (next.status !== 'pending') {
      this.finish(next);
      return next;
    }
    this.report('vote', next, input.decidedBy, {
      vote: input.decision,
      via: input.via,
      feedback: input.feedback ?? null,
    });
    void this.notifier.progressed?.(next).catch((error: unknown) => {
      this.logger.error({ err: error, approvalId: id }, 'could not show the vote');
    });
    return next;
  }

  /**
   * Throws a NotAllowedError (with its `reason`) unless `user` may decide `record`: a listed
   * approver or a member of a listed group, or anyone when it lists none and `allowAnyApprover` is
   * set. `fresh` resolves groups anew (a decision) rather than from a recent answer.
   */
  async assertMayDecide(record: ApprovalRecord, user: string, options: { fresh?: boolean } = {}): Promise<void> {
    const why = await eligibility(record.approvers, user, this.rules, options);
    if (why === 'no_approvers') {
      throw new NotAllowedError(
        `nobody may decide ${record.id}: no approvers are configured (an operator must set APPROVERS, or ALLOW_ANY_APPROVER=true)`,
        why,
      );
    }
    if (why === 'not_approver') throw new NotAllowedError(`${user} is not an approver of ${record.id}`, why);
  }

  /** Whether `user` may decide `record` (groups from a recent answer); false when that cannot be known. */
  async mayDecide(record: ApprovalRecord, user: string): Promise<boolean> {
    return eligibility(record.approvers, user, this.rules).then(
      (why) => why === null,
      () => false,
    );
  }

  /** Cancels a pending approval; waiting callers resolve with status `cancelled`. */
  async cancel(id: string, options: { by?: string; reason?: string; via?: DecisionVia } = {}): Promise<ApprovalRecord> {
    return this.conclude(id, 'cancelled', {
      decidedBy: options.by ?? SYSTEM_ACTOR,
      via: options.via ?? 'api',
      feedback: options.reason ?? null,
    });
  }

  /** Re-arms the deadlines of every stored pending approval and re-announces any never posted. */
  async start(): Promise<{ pending: number }> {
    const pending = await this.store.findBy('status', 'pending');
    for (const record of pending) {
      this.arm(record);
      if (!record.message) void this.announce(record);
    }
    if (pending.length > 0) this.logger.info({ pending: pending.length }, 're-armed pending approvals');
    return { pending: pending.length };
  }

  /** Disarms every deadline. Waiters stay subscribed; the store keeps everything for the next start. */
  stop(): void {
    this.deadlines.clear();
  }

  /** Calls `listener` with every new request this process stores. Returns the unsubscribe. */
  onRequested(listener: (record: ApprovalRecord) => void): () => void {
    return this.hub.add((event) => {
      if (event.type === 'requested') listener(event.record);
    });
  }

  /** Calls `listener` with every approval this process sees decided. Returns the unsubscribe. */
  onDecided(listener: (record: ApprovalRecord) => void): () => void {
    return this.hub.add((event) => {
      if (event.type === 'decided') listener(event.record);
    });
  }

  /** Calls `listener` with every event of every approval in this process. Returns the unsubscribe. */
  onEvent(listener: ApprovalEventListener): () => void {
    return this.hub.add(listener);
  }

  private report(type: ApprovalEventType, record: ApprovalRecord, actor: string | null, data: Record<string, unknown>) {
    this.hub.report({ type, approvalId: record.id, at: new Date(this.clock.now()).toISOString(), actor, data, record });
  }

  /** Number of deadlines armed in this process (for /metrics and benchmarks). */
  get armedDeadlines(): number {
    return this.deadlines.size;
  }

  /** Arms the timer of the record's next ladder step (reminder, escalation or deadline), if any. */
  private arm(record: ApprovalRecord): void {
    const next = nextStep(record);
    if (next) this.deadlines.arm(record.id, next.at);
    else this.deadlines.disarm(record.id);
  }

  /**
   * Runs the ladder step that fell due. Each step is stamped on the record by compare-and-swap
   * before anyone is told, so it happens once however many processes arm the same timer.
   */
  private async step(id: string): Promise<void> {
    try {
      const record = await this.get(id);
      const due = nextStep(record);
      if (!due) return;
      if (due.at > this.clock.now()) return this.arm(record);
      if (due.step === 'expire') {
        const approve = record.ladder?.onTimeout === 'approve';
        await this.conclude(id, approve ? 'approved' : 'timeout', {
          decidedBy: SYSTEM_ACTOR,
          via: 'system',
          feedback: approve ? 'approved automatically at the deadline' : null,
        });
        return;
      }
      await climb(
        {
          records: this.records,
          notifier: this.notifier,
          now: () => new Date(this.clock.now()).toISOString(),
          report: (type, stamped) => this.report(type, stamped, SYSTEM_ACTOR, {}),
          allowAnyApprover: this.rules.allowAnyApprover,
        },
        record,
        due.step,
      );
    } catch (error) {
      // Decided or stepped elsewhere first (another process, a click in the same instant).
      if (!(error instanceof AlreadyDecidedError))
        this.logger.error({ err: error, approvalId: id }, 'ladder step failed');
    }
    const latest = await this.store.get(id).catch(() => undefined);
    if (latest) this.arm(latest);
  }

  private async conclude(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    input: Pick<DecisionInput, 'decidedBy' | 'via' | 'feedback' | 'modifications'>,
  ): Promise<ApprovalRecord> {
    const decision: Decision = {
      decidedBy: input.decidedBy,
      decidedAt: new Date(this.clock.now()).toISOString(),
      via: input.via,
      feedback: input.feedback ?? null,
      modifications: input.modifications ?? null,
    };
    const decided = await this.records.write(id, (record) => {
      if (record.status !== 'pending') {
        throw new AlreadyDecidedError(`approval ${id} was already ${record.status}`, record);
      }
      return { ...record, status, decision };
    });
    this.finish(decided);
    return decided;
  }

  /** After a decision is committed: disarm, wake the waiters, report, show the outcome. */
  private finish(decided: ApprovalRecord): void {
    const id = decided.id;
    const { status } = decided;
    const decision = decided.decision as Decision;
    this.deadlines.disarm(id);
    this.logger.info({ approvalId: id, status, decidedBy: decision.decidedBy, via: decision.via }, 'approval decided');
    this.events.emit(id, decided);
    this.report('decided', decided, decision.decidedBy, { status, via: decision.via });
    void this.notifier.decided(decided).catch((error: unknown) => {
      this.logger.error({ err: error, approvalId: id }, 'could not show the outcome');
    });
  }

  /** Posts the request and stores where its message lives; shows the outcome if it was decided meanwhile. */
  private async announce(record: ApprovalRecord): Promise<void> {
    try {
      const { message, emailedAt } = await this.notifier.requested(record);
      if (!message && !emailedAt) return;
      const stored = await this.records.write(record.id, (current) => ({
        ...current,
        message: message ?? current.message,
        emailedAt: emailedAt ?? current.emailedAt,
      }));
      this.report('announced', stored, SYSTEM_ACTOR, { message: message ?? null, emailedAt: emailedAt ?? null });
      if (stored.status !== 'pending') await this.notifier.decided(stored);
    } catch (error) {
      this.logger.error({ err: error, approvalId: record.id }, 'could not notify approvers');
    }
  }
}
