import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { AlreadyDecidedError } from '../errors.js';
import { type EffectQueue, type RecordStore, RetryLater, type StoredEffect } from '../store/types.js';
import { announcedEffects, EFFECT, stepDueAt, stepEffects } from './effects.js';
import type { ApprovalEventType } from './events.js';
import { type ApprovalNotifier, silentNotifier } from './notifier.js';
import type { ApprovalRecord, ApprovalStatus, DecisionInput } from './types.js';

/** What the approval workers need from the gate. */
export interface ApprovalWork {
  effects: EffectQueue;
  records: RecordStore<ApprovalRecord>;
  notifier: ApprovalNotifier;
  clock: Clock;
  logger: Logger;
  /** ALLOW_ANY_APPROVER: a request with no approvers is open to anyone, and stays so when escalated. */
  allowAnyApprover: boolean;
  conclude(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    input: Pick<DecisionInput, 'decidedBy' | 'via' | 'feedback' | 'modifications'>,
  ): Promise<ApprovalRecord>;
  report(type: ApprovalEventType, record: ApprovalRecord, actor: string | null, data: Record<string, unknown>): void;
}

const ACTOR = 'gatehouse';

/**
 * The handlers of what approvals owe. Each runs on whichever instance claims the effect, reads the
 * record as it stands, and is safe to run twice: a step is stamped on the record by compare-and-swap
 * before anyone is told, so it happens once however many instances and retries there are.
 */
export function registerApprovalWork(work: ApprovalWork): void {
  const { effects, records, notifier, clock, logger } = work;
  const now = () => new Date(clock.now()).toISOString();
  const load = async (effect: StoredEffect) => records.get(String(effect.payload.approvalId));

  effects.handle(EFFECT.announce, async (effect) => {
    // With no surface attached there is nobody to tell: nothing is owed.
    if (notifier === silentNotifier) return;
    const record = await load(effect);
    // Posted even when decided before its first try (the outcome then shows there); retried only
    // while pending: once decided, nobody needs asking.
    if (!record || record.message || (record.status !== 'pending' && effect.attempts > 0)) return;
    if (record.emailedAt && !notifier.announcesInMessage) return;
    const { message, emailedAt } = await notifier.requested(record);
    const unfinished = !message && notifier.announcesInMessage;
    if (!message && !emailedAt) {
      if (unfinished || !record.emailedAt) throw new Error(`approval ${record.id} could not be announced anywhere yet`);
      return;
    }
    const data = { message: message ?? null, emailedAt: emailedAt ?? null };
    const stored = await records.update(record.id, (current) => {
      const next = {
        ...current,
        message: message ?? current.message,
        emailedAt: emailedAt ?? current.emailedAt,
        version: current.version + 1,
      };
      const late =
        current.status !== 'pending'
          ? [{ key: `outcome:${current.id}:announced-late`, kind: EFFECT.outcome, payload: { approvalId: current.id } }]
          : [];
      return { record: next, effects: [...announcedEffects(next, now(), ACTOR, data), ...late] };
    });
    work.report('announced', stored, ACTOR, data);
    // E-mailed because the main surface was down: keep trying it until it answers or a decision comes.
    if (unfinished) throw new Error(`approval ${record.id} was e-mailed; its main surface is still to be reached`);
  });

  effects.handle(EFFECT.outcome, async (effect) => {
    const record = await load(effect);
    if (record && record.status !== 'pending') await notifier.decided(record);
  });

  effects.handle(EFFECT.progress, async (effect) => {
    const record = await load(effect);
    if (record?.status === 'pending') await notifier.progressed?.(record);
  });

  effects.handle(EFFECT.ladder, async (effect) => {
    const record = await load(effect);
    const step = String(effect.payload.step);
    if (!record) return;
    const at = stepDueAt(record, step);
    if (at === null) return;
    if (at > clock.now()) throw new RetryLater(at - clock.now(), 'not due yet');
    if (step === 'expire') {
      const approve = record.ladder?.onTimeout === 'approve';
      await work
        .conclude(record.id, approve ? 'approved' : 'timeout', {
          decidedBy: ACTOR,
          via: 'system',
          feedback: approve ? 'approved automatically at the deadline' : null,
        })
        .catch((error: unknown) => {
          if (!(error instanceof AlreadyDecidedError)) throw error;
        });
      return;
    }
    await climb(work, record.id, step === 'remind' ? 'remind' : 'escalate', now());
  });

  effects.handle(EFFECT.remind, async (effect) => {
    const record = await load(effect);
    if (record?.status === 'pending') await notifier.reminded?.(record);
  });

  effects.handle(EFFECT.escalate, async (effect) => {
    const record = await load(effect);
    if (record?.status !== 'pending' || record.escalationMessage) return;
    const escalationMessage = (await notifier.escalated?.(record))?.escalationMessage;
    if (!escalationMessage) return;
    await records.update(record.id, (current) => {
      const next = { ...current, escalationMessage, version: current.version + 1 };
      // Decided while the escalation was being posted: its message shows the outcome too.
      if (current.status === 'pending') return next;
      return {
        record: next,
        effects: [
          { key: `outcome:${current.id}:escalated-late`, kind: EFFECT.outcome, payload: { approvalId: current.id } },
        ],
      };
    });
  });

  logger.debug('approval workers registered');
}

/** Stamps a reminder or escalation once, in the same write as the notification it owes. */
async function climb(work: ApprovalWork, id: string, step: 'remind' | 'escalate', at: string): Promise<void> {
  let stamped = false;
  const record = await work.records.update(id, (current) => {
    stamped = false;
    if (current.status !== 'pending') return current;
    if (step === 'remind' ? current.remindedAt : current.escalatedAt) return current;
    stamped = true;
    const added = current.ladder?.escalation.approvers ?? [];
    // An open request (no approvers, anyone allowed) stays open; any other gains the escalation approvers.
    const open = current.approvers.length === 0 && work.allowAnyApprover;
    const approvers = open ? [] : [...new Set([...current.approvers, ...added])];
    const next =
      step === 'remind'
        ? { ...current, remindedAt: at, version: current.version + 1 }
        : { ...current, escalatedAt: at, approvers, version: current.version + 1 };
    return { record: next, effects: stepEffects(next, step, at, ACTOR) };
  });
  if (stamped) work.report(step === 'remind' ? 'reminded' : 'escalated', record, ACTOR, {});
}
