import type { z } from 'zod';
import { canonicalHash, canonicalJson } from '../canonical-json.js';
import { offeredGrants } from './grants.js';
import type { approvalRequestSchema } from './schema.js';
import type { ApprovalRecord, JsonValue, Ladder, OnTimeout, Quorum } from './types.js';

/** What a request gets when it does not say. */
export interface ApprovalDefaults {
  approvers: string[];
  channel: string | null;
  timeoutSeconds: number;
  remindAtPercent: number | null;
  escalateAtPercent: number | null;
  escalation: { channel: string | null; approvers: string[] };
  onTimeout: OnTimeout;
  allowSelfApproval: boolean;
}

export const DEFAULTS: ApprovalDefaults = {
  approvers: [],
  channel: null,
  timeoutSeconds: 3600,
  remindAtPercent: 50,
  escalateAtPercent: 80,
  escalation: { channel: null, approvers: [] },
  onTimeout: 'timeout',
  allowSelfApproval: true,
};

type ValidRequest = z.infer<typeof approvalRequestSchema>;

/** A new pending record from a validated request, created at `now` (epoch ms). */
export function buildRecord(input: ValidRequest, defaults: ApprovalDefaults, now: number, id: string): ApprovalRecord {
  const timeoutSeconds = input.timeoutSeconds ?? defaults.timeoutSeconds;
  const at = (percent: number | null) =>
    percent === null ? null : new Date(now + Math.round(timeoutSeconds * 10 * percent)).toISOString();
  const escalation = {
    channel: input.escalation?.channel ?? defaults.escalation.channel,
    approvers: input.escalation?.approvers ?? defaults.escalation.approvers,
  };
  const ladder: Ladder = {
    remindAt: at(input.remindAtPercent === undefined ? defaults.remindAtPercent : input.remindAtPercent),
    // Escalating to nobody and nowhere is no step at all.
    escalateAt:
      escalation.channel || escalation.approvers.length > 0
        ? at(input.escalateAtPercent === undefined ? defaults.escalateAtPercent : input.escalateAtPercent)
        : null,
    onTimeout: input.onTimeout ?? defaults.onTimeout,
    escalation,
  };
  const quorum: Quorum = {
    required: input.requiredApprovals ?? 1,
    rejections: input.requiredRejections ?? 1,
    allowSelfApproval: input.allowSelfApproval ?? defaults.allowSelfApproval,
    ...(input.approverGroups ? { groups: input.approverGroups } : {}),
  };
  const groupMembers = input.approverGroups ? [...new Set(Object.values(input.approverGroups).flat())] : null;
  const record: ApprovalRecord = {
    id,
    status: 'pending',
    title: input.title,
    explanation: input.explanation ?? '',
    context: (input.context ?? {}) as JsonValue,
    requestedBy: input.requestedBy ?? null,
    taskId: input.taskId ?? null,
    approvers: input.approvers ?? groupMembers ?? defaults.approvers,
    channel: input.channel ?? defaults.channel,
    callbackUrl: input.callbackUrl ?? null,
    timeoutSeconds,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + timeoutSeconds * 1000).toISOString(),
    decision: null,
    message: null,
    emailedAt: null,
    quorum,
    votes: [],
    ladder,
    remindedAt: null,
    escalatedAt: null,
    escalationMessage: null,
    modificationsSchema: (input.modificationsSchema ?? null) as JsonValue | null,
    actionKey: input.actionKey ?? null,
    grantOptions: offeredGrants(input),
    version: 1,
  };
  return { ...record, contentHash: contentHash(record) };
}

/** What approvers see and decide on. */
type Content = Pick<ApprovalRecord, 'title' | 'explanation' | 'context'>;

/** sha256 of the content approvers decide on: a decision is bound to it. */
export function contentHash({ title, explanation, context }: Content): string {
  return canonicalHash({ title, explanation, context });
}

/** Where two requests' content differs, as paths: `title`, `context.budget`, … (at most 10). */
export function contentDifferences(a: Content, b: Content): string[] {
  const found: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (found.length >= 10 || canonicalJson(x) === canonicalJson(y)) return;
    const bothObjects =
      x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y);
    if (!bothObjects) {
      found.push(path);
      return;
    }
    const keys = new Set([...Object.keys(x as object), ...Object.keys(y as object)]);
    for (const key of [...keys].sort()) {
      walk((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key], `${path}.${key}`);
    }
  };
  if (a.title !== b.title) found.push('title');
  if (a.explanation !== b.explanation) found.push('explanation');
  walk(a.context, b.context, 'context');
  return found;
}

/** The next ladder step of a pending record and when it is due (epoch ms), or null when none is left. */
export function nextStep(record: ApprovalRecord): { step: 'remind' | 'escalate' | 'expire'; at: number } | null {
  if (record.status !== 'pending') return null;
  const ladder = record.ladder;
  if (ladder?.remindAt && !record.remindedAt) return { step: 'remind', at: Date.parse(ladder.remindAt) };
  if (ladder?.escalateAt && !record.escalatedAt) return { step: 'escalate', at: Date.parse(ladder.escalateAt) };
  if (ladder?.onTimeout === 'keep-waiting') return null;
  return { step: 'expire', at: Date.parse(record.expiresAt) };
}
