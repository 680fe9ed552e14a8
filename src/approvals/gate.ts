import { randomUUID } from 'node:crypto';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { AlreadyDecidedError, NotAllowedError, NotFoundError, StaleRequestError, ValidationError } from '../errors.js';
import type { Effect, RecordStore, Store } from '../store/types.js';
import { type ApproverDirectory, type EligibilityRules, eligibility } from './directory.js';
import { decidedEffects, grantApprovedEffects, requestedEffects, voteEffects } from './effects.js';
import { type ApprovalEventListener, type ApprovalEventType, EventHub } from './events.js';
import { approvedByGrant, GRANT_EFFECT, Grants, grantEffect, withGrant } from './grants.js';
import { type ApprovalNotifier, silentNotifier } from './notifier.js';
import { type ApprovalDefaults, buildRecord, contentDifferences, DEFAULTS } from './record.js';
import { APPROVALS_NAMESPACE, approvalIndexes } from './records.js';
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
import { Waiters } from './waiters.js';
import { registerApprovalWork } from './work.js';

/** Options of an ApprovalGate; everything but `store` has a default. */
export interface ApprovalGateOptions {
  /** Where approvals and the effects they owe are kept; its workers run the announcements, outcomes and ladder. */
  store: Store;
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
 * The approval gate: stores requests, and wakes whoever waits the moment a decision is committed,
 * on this instance or any other. Every state change is one compare-and-swap on the store that also
 * records the effects it owes (announcement, outcome, audit entry, callback, ladder steps), which
 * the store's workers run until done — so exactly one decision wins however many surfaces and
 * processes race, and nothing owed is lost to a crash.
 */
export class ApprovalGate {
  readonly records: RecordStore<ApprovalRecord>;
  /** Standing approvals ("approve for this run / for 1 hour"): listed, matched at submit, revoked. */
  readonly grants: Grants;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly defaults: ApprovalDefaults;
  private readonly hub: EventHub;
  private readonly waiters: Waiters;
  private readonly rules: EligibilityRules;
  private unwatch: (() => void) | undefined;

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
    this.records = store.records<ApprovalRecord>(APPROVALS_NAMESPACE, approvalIndexes);
    this.grants = new Grants(store, clock);
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
    this.hub = new EventHub(logger);
    this.waiters = new Waiters(
      async (ids) => (await Promise.all(ids.map((id) => this.records.get(id)))).filter((r) => r !== undefined),
      clock,
      (error) => logger.error({ err: error }, 'could not re-read awaited approvals'),
    );
    this.unwatch = store.watch(APPROVALS_NAMESPACE, (id) => this.waiters.changed(id));
    registerApprovalWork({
      effects: store.effects,
      records: this.records,
      notifier,
      clock,
      logger,
      allowAnyApprover,
      conclude: (id, status, input) => this.conclude(id, status, input),
      report: (type, record, actor, data) => this.report(type, record, actor, data),
    });
    // The grant an approving decision made, if the process died before writing it inline.
    store.effects.handle(GRANT_EFFECT, async (effect) => {
      const record = await this.records.get(String(effect.payload.approvalId));
      if (record) await this.grants.materialize(record);
    });
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
   * Stores a request unless one with its id exists, in the same write as what it owes (its
   * announcement, audit entry and ladder steps). The same id with different content is a
   * StaleRequestError: an old decision never covers a new ask. A request an active grant covers
   * (same action key, task and requester, a grantor still allowed to decide it) is stored approved
   * `via: "grant"`, and nobody is asked.
   */
  async submit(request: ApprovalRequest): Promise<{ record: ApprovalRecord; created: boolean }> {
    const input = parseOrThrow(approvalRequestSchema, withJsonSchema(request));
    const now = this.clock.now();
    const candidate = buildRecord(input, this.defaults, now, input.id ?? this.newId());
    // Through a grant its grantor decides the new request: they must be allowed to, self-approval rule included.
    const self = (grantor: string) =>
      candidate.quorum?.allowSelfApproval === false && grantor === candidate.requestedBy;
    const grant = await this.grants.match(
      candidate,
      async (grantor) => !self(grantor) && this.mayDecide(candidate, grantor),
    );
    const stored = grant ? approvedByGrant(candidate, grant, new Date(now).toISOString()) : candidate;
    const owed = grant ? grantApprovedEffects(stored) : requestedEffects(stored);
    const { record, created } = await this.records.insert(stored, owed);
    if (!created) {
      const differences = contentDifferences(record, candidate);
      if (differences.length > 0) throw new StaleRequestError(record, differences);
      return { record, created };
    }
    this.logger.info({ approvalId: record.id, taskId: record.taskId }, 'approval requested');
    this.report('requested', record, record.requestedBy, { contentHash: record.contentHash });
    if (record.status !== 'pending') this.finished(record);
    return { record, created };
  }

  /** The stored approval, or a NotFoundError. */
  async get(id: string): Promise<ApprovalRecord> {
    const record = await this.records.get(id);
    if (!record) throw new NotFoundError('approval', id);
    return record;
  }

  /**
   * Calls `listener` once with the record when approval `id` is decided, on this instance or any
   * other. Subscribe before reading the current state, so a decision in between is not missed.
   * Returns the unsubscribe.
   */
  onceDecided(id: string, listener: (record: ApprovalRecord) => void): () => void {
    return this.waiters.add(id, listener);
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
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        if (timer !== undefined) this.clock.clearTimeout(timer);
        settle();
      };
      const onAbort = () => finish(() => reject(signal?.reason));
      // Subscribe before reading, so a decision landing in between is not missed.
      const unsubscribe = this.waiters.add(id, (record) => finish(() => resolve(record)));
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
   * Records a vote or decision if the approval is still pending. Throws NotAllowedError when
   * `enforceApprovers` is set and the actor is not an approver, AlreadyDecidedError (holding the
   * winning record) when someone else decided first.
   */
  async decide(id: string, input: DecisionInput): Promise<ApprovalRecord> {
    if (input.grant !== undefined && input.decision !== 'approve') {
      throw new ValidationError([{ field: 'grant', message: 'only an approval can grant' }]);
    }
    if (input.enforceApprovers) {
      const current = await this.get(id);
      // A decided request answers with its decision below, whoever clicked.
      if (current.status === 'pending') await this.assertMayDecide(current, input.decidedBy, { fresh: true });
    }
    const at = new Date(this.clock.now()).toISOString();
    const voteData = { vote: input.decision, via: input.via, feedback: input.feedback ?? null };
    const next = await this.records.update(id, (record) => {
      if (record.status !== 'pending')
        throw new AlreadyDecidedError(`approval ${id} was already ${record.status}`, record);
      const voted = {
        ...withGrant(castVote(record, input, at), input.grant, Date.parse(at)),
        version: record.version + 1,
      };
      const effects: Effect[] =
        voted.status === 'pending' ? voteEffects(voted, at, input.decidedBy, voteData) : decidedEffects(voted, at);
      if (voted.decision?.granted) effects.push(grantEffect(voted));
      return { record: voted, effects };
    });
    if (next.decision?.granted) {
      // Written now so the next request finds it; the effect above writes it if this process dies first.
      await this.grants.materialize(next).catch((error: unknown) => {
        this.logger.warn({ err: error, approvalId: id }, 'grant not written yet; its effect will write it');
      });
    }
    if (next.status !== 'pending') {
      this.finished(next);
      return next;
    }
    this.report('vote', next, input.decidedBy, voteData);
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

  /**
   * Starts the store's workers: announcements, outcomes, ladder steps and callbacks owed by any
   * instance (also one that died) are run. Returns how many approvals are pending.
   */
  async start(): Promise<{ pending: number }> {
    const pending = await this.records.count('status', 'pending');
    await this.store.effects.start();
    if (pending > 0) this.logger.info({ pending }, 'pending approvals');
    return { pending };
  }

  /** Stops waking waiters; the store keeps everything owed for the next start. */
  stop(): void {
    this.waiters.stop();
    this.unwatch?.();
    this.unwatch = undefined;
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

  /** Approvals someone in this process waits for (for /metrics and benchmarks). */
  get waiting(): number {
    return this.waiters.size;
  }

  private report(type: ApprovalEventType, record: ApprovalRecord, actor: string | null, data: Record<string, unknown>) {
    this.hub.report({ type, approvalId: record.id, at: new Date(this.clock.now()).toISOString(), actor, data, record });
  }

  private async conclude(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    input: Pick<DecisionInput, 'decidedBy' | 'via' | 'feedback' | 'modifications'>,
  ): Promise<ApprovalRecord> {
    const decidedAt = new Date(this.clock.now()).toISOString();
    const decision: Decision = {
      decidedBy: input.decidedBy,
      decidedAt,
      via: input.via,
      feedback: input.feedback ?? null,
      modifications: input.modifications ?? null,
    };
    const decided = await this.records.update(id, (record) => {
      if (record.status !== 'pending') {
        throw new AlreadyDecidedError(`approval ${id} was already ${record.status}`, record);
      }
      const next = { ...record, status, decision, version: record.version + 1 };
      return { record: next, effects: decidedEffects(next, decidedAt) };
    });
    this.finished(decided);
    return decided;
  }

  /** After a decision is committed here: wake the waiters at once and report it. */
  private finished(decided: ApprovalRecord): void {
    const decision = decided.decision as Decision;
    this.logger.info(
      { approvalId: decided.id, status: decided.status, decidedBy: decision.decidedBy, via: decision.via },
      'approval decided',
    );
    this.waiters.decided(decided);
    this.report('decided', decided, decision.decidedBy, { status: decided.status, via: decision.via });
  }
}
