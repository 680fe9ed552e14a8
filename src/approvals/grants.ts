import { canonicalJson } from '../canonical-json.js';
import { type Clock, systemClock } from '../clock.js';
import { ConflictError, type FieldIssue, ValidationError } from '../errors.js';
import type { Effect, IndexSpec, RecordStore, Store } from '../store/types.js';
import { auditEffect } from './effects.js';
import type { ApprovalRecord, DecisionVia, GrantDuration } from './types.js';

export type { GrantDuration } from './types.js';

/** Namespace (`store.records(…)`) of the grants. */
export const GRANTS_NAMESPACE = 'grants';

/** How long a grant lasts: the rest of the run (task or session), or one hour. */
export const GRANT_DURATIONS = ['run', '1h'] as const satisfies readonly GrantDuration[];

/** A "run" grant ends with its task in practice; this caps it so a forgotten one still runs out. */
export const RUN_GRANT_MAX_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

/** Effect that writes the grant an approving decision made (kind of `grantEffect`). */
export const GRANT_EFFECT = 'approval.grant';

/**
 * A standing approval: later requests with the same action key, task and requester are approved
 * at once while it is active. Written with the decision that made it; never deleted, only revoked,
 * so a late write of it can never bring a revoked grant back.
 */
export interface GrantRecord {
  id: string;
  actionKey: string;
  taskId: string | null;
  requestedBy: string;
  duration: GrantDuration;
  /** The approval whose decision made it. */
  approvalId: string;
  grantedBy: string;
  grantedAt: string;
  /** Where it was granted from. */
  via: DecisionVia;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  version: number;
}

/** Where a grant stands at a given time. */
export type GrantStatus = 'active' | 'expired' | 'revoked';

/** The scope a grant covers, one string (JSON of the triple: no separator can make two scopes collide). */
export function scopeKey(scope: { actionKey: string; taskId: string | null; requestedBy: string }): string {
  return canonicalJson([scope.actionKey, scope.taskId, scope.requestedBy]);
}

/** What `offeredGrants` reads of a validated request. */
interface GrantRequestFields {
  actionKey?: string;
  requestedBy?: string;
  taskId?: string;
  grantOptions?: GrantDuration[];
  requiredApprovals?: number;
  approverGroups?: Record<string, string[]>;
}

/**
 * The grants a request offers its approvers. Asked for explicitly, each must make sense (a scope
 * to cover, a task for "run", one approver deciding) or the request is refused naming why; by
 * default, both when the scope is known (only `1h` without a task), none otherwise.
 */
export function offeredGrants(input: GrantRequestFields): GrantDuration[] {
  const quorum = (input.requiredApprovals ?? 1) > 1 || input.approverGroups !== undefined;
  if (input.grantOptions === undefined) {
    if (!input.actionKey || !input.requestedBy || quorum) return [];
    return input.taskId ? ['run', '1h'] : ['1h'];
  }
  const issues: FieldIssue[] = [];
  const need = (ok: unknown, message: string) => {
    if (!ok) issues.push({ field: 'grantOptions', message });
  };
  if (input.grantOptions.length > 0) {
    need(input.actionKey, 'needs `actionKey`: the action a grant covers');
    need(input.requestedBy, 'needs `requestedBy`: a grant covers one requester');
    need(!quorum, 'grants need a request one approval decides (no requiredApprovals above 1, no approverGroups)');
    need(!input.grantOptions.includes('run') || input.taskId, '"run" needs `taskId`: the run a grant covers');
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return [...input.grantOptions];
}

/** The grant id an approval's decision makes: derived, so the decision's effect and its inline write agree. */
export const grantIdFor = (approvalId: string): string => `grant-${approvalId}`;

/** How grants are found: by scope (matching at submit), by requester, task and action key (lists). */
export const grantIndexes: IndexSpec<GrantRecord> = {
  indexes: {
    scope: (g) => [scopeKey(g)],
    requestedBy: (g) => [g.requestedBy],
    taskId: (g) => [g.taskId],
    actionKey: (g) => [g.actionKey],
    approvalId: (g) => [g.approvalId],
  },
  sortKey: (g) => g.grantedAt,
};

/** Where `grant` stands at `now` (epoch ms). */
export function grantStatus(grant: GrantRecord, now: number): GrantStatus {
  if (grant.revokedAt) return 'revoked';
  return Date.parse(grant.expiresAt) > now ? 'active' : 'expired';
}

/** When a grant of `duration` made at `at` (epoch ms) runs out. */
export function grantExpiry(duration: GrantDuration, at: number): string {
  return new Date(at + (duration === '1h' ? HOUR_MS : RUN_GRANT_MAX_MS)).toISOString();
}

/** The grant the approving decision on `record` made, as the decision names it; null when it made none. */
export function grantFromDecision(record: ApprovalRecord): GrantRecord | null {
  const made = record.decision?.granted;
  if (record.status !== 'approved' || !made || !record.actionKey || !record.requestedBy) return null;
  return {
    id: made.id,
    actionKey: record.actionKey,
    taskId: record.taskId,
    requestedBy: record.requestedBy,
    duration: made.duration,
    approvalId: record.id,
    grantedBy: record.decision?.decidedBy ?? '',
    grantedAt: record.decision?.decidedAt ?? record.createdAt,
    via: record.decision?.via ?? 'api',
    expiresAt: made.expiresAt,
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    version: 1,
  };
}

/** `candidate` approved at `at` by `grant` (its grantor decides, through the grant). */
export function approvedByGrant(candidate: ApprovalRecord, grant: GrantRecord, at: string): ApprovalRecord {
  return {
    ...candidate,
    status: 'approved',
    decision: {
      decidedBy: grant.grantedBy,
      decidedAt: at,
      via: 'grant',
      feedback: null,
      modifications: null,
      grantId: grant.id,
    },
  };
}

/**
 * `decided` with the grant its approver asked for: refused (naming `grant`) unless the request
 * offers it and the answer approves; a vote short of the quorum grants nothing.
 */
export function withGrant(decided: ApprovalRecord, duration: GrantDuration | undefined, now: number): ApprovalRecord {
  if (duration === undefined) return decided;
  const offered = decided.grantOptions ?? [];
  if (!offered.includes(duration)) {
    const what = offered.length > 0 ? `it offers ${offered.join(', ')}` : 'it offers none';
    throw new ValidationError([
      { field: 'grant', message: `this request does not offer a "${duration}" grant: ${what}` },
    ]);
  }
  if (decided.status !== 'approved' || !decided.decision) return decided;
  const granted = { id: grantIdFor(decided.id), duration, expiresAt: grantExpiry(duration, now) };
  return { ...decided, decision: { ...decided.decision, granted } };
}

/** The effect that writes the grant of an approving decision (in the decision's own atomic write). */
export function grantEffect(record: ApprovalRecord): Effect {
  return { key: `grant:${record.id}`, kind: GRANT_EFFECT, payload: { approvalId: record.id } };
}

/** Filters of `Grants.list`. */
export interface GrantFilter {
  requestedBy?: string;
  taskId?: string;
  actionKey?: string;
  status?: GrantStatus[];
  limit?: number;
}

/**
 * The grants store: written from approving decisions, read at submit to approve matching
 * requests, listed and revoked by operators. Revocation is audited on the approval that made it.
 */
export class Grants {
  readonly records: RecordStore<GrantRecord>;
  private readonly clock: Clock;

  constructor(store: Store, clock: Clock = systemClock) {
    this.records = store.records<GrantRecord>(GRANTS_NAMESPACE, grantIndexes);
    this.clock = clock;
  }

  /** Where `grant` stands now. */
  status(grant: GrantRecord): GrantStatus {
    return grantStatus(grant, this.clock.now());
  }

  /** Writes the grant `record`'s decision made, once (insert-if-absent: a revoked one stays revoked). */
  async materialize(record: ApprovalRecord): Promise<GrantRecord | null> {
    const grant = grantFromDecision(record);
    if (!grant) return null;
    return (await this.records.insert(grant)).record;
  }

  /**
   * The newest grant active at `now` covering `record`'s scope with a duration the request offers,
   * whose grantor `mayDecide` the request; null when none (a request offering no grants never matches).
   */
  async match(record: ApprovalRecord, mayDecide: (grantedBy: string) => Promise<boolean>): Promise<GrantRecord | null> {
    const offered = record.grantOptions ?? [];
    if (offered.length === 0 || !record.actionKey || !record.requestedBy) return null;
    const scope = scopeKey({ actionKey: record.actionKey, taskId: record.taskId, requestedBy: record.requestedBy });
    const { items } = await this.records.query({ index: 'scope', value: scope, order: 'desc', limit: 50 });
    for (const grant of items) {
      if (this.status(grant) !== 'active' || !offered.includes(grant.duration)) continue;
      if (await mayDecide(grant.grantedBy)) return grant;
    }
    return null;
  }

  /** Grants newest first, filtered (one index, the other filters applied to the page read). */
  async list(filter: GrantFilter = {}): Promise<GrantRecord[]> {
    const limit = filter.limit ?? 50;
    const [index, value] = filter.requestedBy
      ? ['requestedBy', filter.requestedBy]
      : filter.taskId
        ? ['taskId', filter.taskId]
        : filter.actionKey
          ? ['actionKey', filter.actionKey]
          : ['*', undefined];
    const { items } = await this.records.query({ index, value, order: 'desc', limit: 1000 });
    return items
      .filter(
        (g) =>
          (!filter.taskId || g.taskId === filter.taskId) &&
          (!filter.actionKey || g.actionKey === filter.actionKey) &&
          (!filter.status || filter.status.includes(this.status(g))),
      )
      .slice(0, limit);
  }

  /** Revokes a grant (ConflictError when it already is; NotFoundError when unknown), audited on its approval. */
  async revoke(id: string, input: { by: string; reason?: string | null }): Promise<GrantRecord> {
    const at = new Date(this.clock.now()).toISOString();
    return this.records.update(id, (grant) => {
      if (grant.revokedAt) throw new ConflictError(`grant ${id} was already revoked by ${grant.revokedBy}`);
      const next = {
        ...grant,
        revokedAt: at,
        revokedBy: input.by,
        revokeReason: input.reason ?? null,
        version: grant.version + 1,
      };
      const data = { grantId: id, reason: next.revokeReason };
      const audit = auditEffect({ type: 'grant_revoked', approvalId: grant.approvalId, actor: input.by, data, at }, id);
      return { record: next, effects: [audit] };
    });
  }
}
