import type { IndexSpec } from '../store/types.js';
import type { ApprovalRecord } from './types.js';

/** Namespace (`store.records(…)`) of the approvals. */
export const APPROVALS_NAMESPACE = 'approvals';

/** Everyone a list filtered by approver finds a request under: listed, voted, or decided. */
export function involvedIn(record: ApprovalRecord): string[] {
  return [
    ...new Set([
      ...record.approvers,
      ...(record.votes ?? []).map((vote) => vote.voter),
      ...(record.decision ? [record.decision.decidedBy] : []),
    ]),
  ];
}

/** The `listing` key of one filter: optionally an approver or a task, and a status or `*` (any). */
export function listingKey(filter: { approver?: string; taskId?: string }, status: string): string {
  if (filter.approver !== undefined) return `a|${filter.approver}|${status}`;
  if (filter.taskId !== undefined) return `t|${filter.taskId}|${status}`;
  return `s|${status}`;
}

const utcDayOf = (iso: string) => new Date(iso).toISOString().slice(0, 10);

/**
 * How approvals are found without scanning: by status, by task, by approver (every approver of a
 * pending request, for "what may I decide"), and by requester; newest last by creation time.
 * `pendingOpen` holds the pending requests that list no one or a group (whose members only the
 * directory knows); `listing` serves the lists' filters (status × approver or task) in one
 * lookup each; `day` counts requests per creation day and decisions per decision day and status.
 */
export const approvalIndexes: IndexSpec<ApprovalRecord> = {
  indexes: {
    status: (r) => [r.status],
    taskId: (r) => [r.taskId],
    approver: (r) => r.approvers,
    pendingApprover: (r) => (r.status === 'pending' ? r.approvers : []),
    // Any approver that is not a person's id (Slack user ids start with U or W): a group, whose
    // members the directory resolves when the tab is built.
    pendingOpen: (r) =>
      r.status === 'pending' && (r.approvers.length === 0 || r.approvers.some((a) => !/^[UW]/.test(a))) ? ['open'] : [],
    requestedBy: (r) => [r.requestedBy],
    listing: (r) =>
      ['*', r.status].flatMap((status) => [
        listingKey({}, status),
        ...(r.taskId ? [listingKey({ taskId: r.taskId }, status)] : []),
        ...involvedIn(r).map((approver) => listingKey({ approver }, status)),
      ]),
    day: (r) => [
      `c|${utcDayOf(r.createdAt)}`,
      ...(r.decision && r.status !== 'pending' ? [`d|${utcDayOf(r.decision.decidedAt)}|${r.status}`] : []),
    ],
  },
  sortKey: (r) => r.createdAt,
};
