import type { IndexSpec } from '../store/types.js';
import type { ApprovalRecord } from './types.js';

/** Namespace (`store.records(…)`) of the approvals. */
export const APPROVALS_NAMESPACE = 'approvals';

/**
 * How approvals are found without scanning: by status, by task, by approver (every approver of a
 * pending request, for "what may I decide"), and by requester; newest last by creation time.
 */
export const approvalIndexes: IndexSpec<ApprovalRecord> = {
  indexes: {
    status: (r) => [r.status],
    taskId: (r) => [r.taskId],
    approver: (r) => r.approvers,
    pendingApprover: (r) => (r.status === 'pending' ? r.approvers : []),
    requestedBy: (r) => [r.requestedBy],
  },
  sortKey: (r) => r.createdAt,
};
