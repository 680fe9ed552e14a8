import { AlreadyDecidedError } from '../errors.js';
import type { ApprovalNotifier } from './notifier.js';
import type { ApprovalRecords } from './records.js';
import type { ApprovalRecord } from './types.js';

/** What a ladder step needs from the gate. */
export interface LadderContext {
  records: ApprovalRecords;
  notifier: ApprovalNotifier;
  now: () => string;
  report: (type: 'reminded' | 'escalated', record: ApprovalRecord) => void;
  /** ALLOW_ANY_APPROVER: a request with no approvers is open to anyone, and stays so when escalated. */
  allowAnyApprover?: boolean;
}

/**
 * Reminds or escalates once: stamps the record by compare-and-swap (so of all the processes whose
 * timers fire, one goes on), then tells people.
 */
export async function climb(ctx: LadderContext, record: ApprovalRecord, step: 'remind' | 'escalate'): Promise<void> {
  const at = ctx.now();
  const stamped = await ctx.records.write(record.id, (current) => {
    if (current.status !== 'pending') throw new AlreadyDecidedError('decided meanwhile', current);
    if (step === 'remind') return current.remindedAt ? current : { ...current, remindedAt: at };
    if (current.escalatedAt) return current;
    const added = current.ladder?.escalation.approvers ?? [];
    // An open request (no approvers, anyone allowed) stays open; any other gains the escalation approvers.
    const open = current.approvers.length === 0 && ctx.allowAnyApprover === true;
    const approvers = open ? [] : [...new Set([...current.approvers, ...added])];
    return { ...current, escalatedAt: at, approvers };
  });
  if ((step === 'remind' ? stamped.remindedAt : stamped.escalatedAt) !== at) return;
  ctx.report(step === 'remind' ? 'reminded' : 'escalated', stamped);
  if (step === 'remind') {
    await ctx.notifier.reminded?.(stamped);
    return;
  }
  const escalationMessage = (await ctx.notifier.escalated?.(stamped))?.escalationMessage;
  if (escalationMessage) await ctx.records.write(record.id, (current) => ({ ...current, escalationMessage }));
}
