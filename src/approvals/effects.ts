import type { Effect } from '../store/types.js';
import { type AuditInput, summarize } from './audit.js';
import type { ApprovalRecord } from './types.js';

/** Kinds of the effects an approval owes; each is run by the store's workers until done. */
export const EFFECT = {
  announce: 'approval.announce',
  outcome: 'approval.outcome',
  progress: 'approval.progress',
  ladder: 'approval.ladder',
  remind: 'approval.remind',
  escalate: 'approval.escalate',
  audit: 'approval.audit',
  callback: 'approval.callback',
} as const;

/** Payload of an audit effect: the entry's content, summarized when the change was written. */
export interface AuditPayload {
  approvalId: string;
  type: string;
  at: string;
  actor: string | null;
  data: Record<string, unknown>;
}

/** The audit entry owed by a change, keyed so it is appended once however often the effect runs. */
export function auditEffect(input: AuditInput & { at: string }, discriminator: string | number): Effect {
  const payload: AuditPayload = {
    approvalId: input.approvalId,
    type: input.type,
    at: input.at,
    actor: input.actor,
    // As it will read back from the store (no undefined, no Dates), so the hash checks out.
    data: JSON.parse(JSON.stringify(summarize(input))) as Record<string, unknown>,
  };
  return {
    key: `audit:${input.approvalId}:${input.type}:${discriminator}`,
    kind: EFFECT.audit,
    payload: payload as unknown as Record<string, unknown>,
  };
}

const byId = (kind: string, key: string, id: string, extra: Record<string, unknown> = {}): Effect => ({
  key,
  kind,
  payload: { approvalId: id, ...extra },
});

/** What a new request owes: its announcement, its audit entry and its ladder steps. */
export function requestedEffects(record: ApprovalRecord): Effect[] {
  return [byId(EFFECT.announce, `announce:${record.id}`, record.id), requestedAudit(record), ...ladderEffects(record)];
}

/**
 * What a request approved at once by a grant owes: its `requested` and `decided` entries, the
 * outcome and the callback. No announcement: nobody is asked, and not asking is the grant's point.
 */
export function grantApprovedEffects(record: ApprovalRecord): Effect[] {
  return [requestedAudit(record), ...decidedEffects(record, record.decision?.decidedAt ?? record.createdAt)];
}

function requestedAudit(record: ApprovalRecord): Effect {
  return auditEffect(
    {
      type: 'requested',
      approvalId: record.id,
      actor: record.requestedBy,
      data: { contentHash: record.contentHash },
      record,
      at: record.createdAt,
    },
    record.version,
  );
}

/** One effect per ladder step the record will reach (reminder, escalation, deadline), at its time. */
export function ladderEffects(record: ApprovalRecord): Effect[] {
  const steps: Array<{ step: string; at: string | null | undefined }> = [
    { step: 'remind', at: record.ladder?.remindAt },
    { step: 'escalate', at: record.ladder?.escalateAt },
    { step: 'expire', at: record.ladder?.onTimeout === 'keep-waiting' ? null : record.expiresAt },
  ];
  return steps.flatMap(({ step, at }) =>
    at ? [{ ...byId(EFFECT.ladder, `ladder:${record.id}:${step}`, record.id, { step }), runAt: Date.parse(at) }] : [],
  );
}

/** What a decision owes: the outcome shown, its audit entry, and the callback. */
export function decidedEffects(record: ApprovalRecord, at: string): Effect[] {
  const decision = record.decision;
  return [
    byId(EFFECT.outcome, `outcome:${record.id}`, record.id),
    auditEffect(
      { type: 'decided', approvalId: record.id, actor: decision?.decidedBy ?? null, data: {}, record, at },
      'final',
    ),
    ...(record.callbackUrl ? [byId(EFFECT.callback, `callback:${record.id}`, record.id)] : []),
  ];
}

/** What a vote that did not decide owes: the progress shown, and its audit entry. */
export function voteEffects(
  record: ApprovalRecord,
  at: string,
  actor: string,
  data: Record<string, unknown>,
): Effect[] {
  return [
    byId(EFFECT.progress, `progress:${record.id}:${record.version}`, record.id),
    auditEffect({ type: 'vote', approvalId: record.id, actor, data, record, at }, record.version),
  ];
}

/** The notification a ladder step owes once stamped (reminder or escalation post), and its audit entry. */
export function stepEffects(record: ApprovalRecord, step: 'remind' | 'escalate', at: string, actor: string): Effect[] {
  const kind = step === 'remind' ? EFFECT.remind : EFFECT.escalate;
  const type = step === 'remind' ? 'reminded' : 'escalated';
  return [
    byId(kind, `${step}:${record.id}`, record.id),
    auditEffect({ type, approvalId: record.id, actor, data: {}, record, at }, 'once'),
  ];
}

/** The audit entry of an announcement. */
export function announcedEffects(
  record: ApprovalRecord,
  at: string,
  actor: string,
  data: Record<string, unknown>,
): Effect[] {
  return [auditEffect({ type: 'announced', approvalId: record.id, actor, data, record, at }, record.version)];
}

/** When a ladder step should act on the record (null: it has nothing left to do). */
export function stepDueAt(record: ApprovalRecord, step: string): number | null {
  if (record.status !== 'pending') return null;
  const ladder = record.ladder;
  if (step === 'remind') return ladder?.remindAt && !record.remindedAt ? Date.parse(ladder.remindAt) : null;
  if (step === 'escalate') return ladder?.escalateAt && !record.escalatedAt ? Date.parse(ladder.escalateAt) : null;
  if (step === 'expire') return ladder?.onTimeout === 'keep-waiting' ? null : Date.parse(record.expiresAt);
  return null;
}
