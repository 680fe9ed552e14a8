import type { ApprovalRecord, Decision } from '../../../src/approvals/types.js';

/** A pending approval as the store would hold it; override what the test is about. */
export function approvalRecord(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: 'apr_123',
    status: 'pending',
    title: 'Deploy billing-service to production',
    explanation: 'All checks passed on staging. The migration adds one nullable column.',
    context: { service: 'billing', replicas: 3 },
    requestedBy: 'U0AGENT1',
    taskId: 'task-42',
    approvers: ['U0ALICE1', 'U0BOB22'],
    channel: 'C0APPROVE',
    callbackUrl: null,
    timeoutSeconds: 3600,
    createdAt: '2024-05-01T10:00:00.000Z',
    expiresAt: '2024-05-01T11:00:00.000Z',
    decision: null,
    message: { channel: 'C0APPROVE', ts: '1714557600.000100' },
    emailedAt: null,
    version: 1,
    ...overrides,
  };
}

/** A decided approval: `status` plus a decision with overrides. */
export function decidedRecord(
  status: 'approved' | 'rejected' | 'timeout' | 'cancelled',
  decision: Partial<Decision> = {},
  overrides: Partial<ApprovalRecord> = {},
): ApprovalRecord {
  return approvalRecord({
    status,
    decision: {
      decidedBy: status === 'timeout' ? 'gatehouse' : 'U0ALICE1',
      decidedAt: '2024-05-01T10:42:00.000Z',
      via: status === 'timeout' ? 'system' : 'slack',
      feedback: null,
      modifications: null,
      ...decision,
    },
    version: 2,
    ...overrides,
  });
}
