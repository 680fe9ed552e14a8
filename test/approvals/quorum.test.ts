import { describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { ConflictError, NotAllowedError, StaleRequestError } from '../../src/errors.js';
import { approvalRequestMessage } from '../../src/slack/blocks/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock, settle } from '../support/manual-clock.js';

function setup() {
  const clock = new ManualClock();
  const memory = new MemoryStore({ clock });
  const _store = memory.records<ApprovalRecord>('approvals');
  const progressed: ApprovalRecord[] = [];
  const gate = new ApprovalGate({
    store: memory,
    clock,
    defaultApprovers: ['U0ALICE', 'U0BOB', 'U0CAROL'],
    notifier: {
      requested: async () => ({}),
      decided: async () => {},
      progressed: async (record) => {
        progressed.push(record);
      },
    },
  });
  return { gate, progressed };
}

const vote = (decision: 'approve' | 'reject', decidedBy: string) => ({
  decision,
  decidedBy,
  via: 'slack' as const,
  enforceApprovers: true,
});

describe('quorum', () => {
  it('needs N approvals: earlier votes show progress, the Nth decides', async () => {
    const { gate, progressed } = setup();
    const waiting = gate.requireApproval({ id: 'q1', title: 'T', requiredApprovals: 2 });
    await settle();
    const first = await gate.decide('q1', vote('approve', 'U0ALICE'));
    expect(first.status).toBe('pending');
    await settle();
    expect(progressed.at(-1)?.votes?.map((v) => v.voter)).toEqual(['U0ALICE']);
    await gate.decide('q1', vote('approve', 'U0BOB'));
    expect(await waiting).toMatchObject({ status: 'approved', decidedBy: 'U0BOB' });
    expect((await gate.get('q1')).votes?.map((v) => v.voter)).toEqual(['U0ALICE', 'U0BOB']);
  });

  it('is decided by one rejection unless configured otherwise', async () => {
    const { gate } = setup();
    await gate.submit({ id: 'q2', title: 'T', requiredApprovals: 2 });
    await gate.decide('q2', vote('approve', 'U0ALICE'));
    expect((await gate.decide('q2', vote('reject', 'U0BOB'))).status).toBe('rejected');

    await gate.submit({ id: 'q3', title: 'T', requiredApprovals: 2, requiredRejections: 2 });
    expect((await gate.decide('q3', vote('reject', 'U0BOB'))).status).toBe('pending');
    expect((await gate.decide('q3', vote('approve', 'U0ALICE'))).status).toBe('pending');
    expect((await gate.decide('q3', vote('approve', 'U0CAROL'))).status).toBe('approved');
  });

  it('counts one vote per approver', async () => {
    const { gate } = setup();
    await gate.submit({ id: 'q4', title: 'T', requiredApprovals: 2 });
    await gate.decide('q4', vote('approve', 'U0ALICE'));
    await expect(gate.decide('q4', vote('approve', 'U0ALICE'))).rejects.toBeInstanceOf(ConflictError);
    expect((await gate.get('q4')).votes).toHaveLength(1);
  });

  it('counts concurrent votes exactly: 3 of 3 from simultaneous clicks', async () => {
    const { gate } = setup();
    await gate.submit({ id: 'q5', title: 'T', requiredApprovals: 3 });
    await Promise.all(['U0ALICE', 'U0BOB', 'U0CAROL'].map((u) => gate.decide('q5', vote('approve', u))));
    const record = await gate.get('q5');
    expect(record.status).toBe('approved');
    expect(record.votes).toHaveLength(3);
  });

  it('refuses the requester approving their own request when self-approval is off', async () => {
    const { gate } = setup();
    await gate.submit({ id: 'q6', title: 'T', requestedBy: 'U0ALICE', allowSelfApproval: false });
    await expect(gate.decide('q6', vote('approve', 'U0ALICE'))).rejects.toBeInstanceOf(NotAllowedError);
    expect((await gate.decide('q6', vote('reject', 'U0ALICE'))).status).toBe('rejected');
  });
});

describe('quorum of distinct groups', () => {
  it('counts approvals once per group: two engineers are still one group', async () => {
    const { gate } = setup();
    const { record } = await gate.submit({
      id: 'g1',
      title: 'T',
      requiredApprovals: 2,
      approverGroups: { engineering: ['U0ALICE', 'U0BOB'], finance: ['U0CAROL'] },
    });
    expect(record.approvers.sort()).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL']);
    await gate.decide('g1', vote('approve', 'U0ALICE'));
    expect((await gate.decide('g1', vote('approve', 'U0BOB'))).status).toBe('pending');
    const decided = await gate.decide('g1', vote('approve', 'U0CAROL'));
    expect(decided.status).toBe('approved');
    const message = approvalRequestMessage({ ...decided, status: 'pending', decision: null });
    expect(JSON.stringify(message.blocks)).toContain('2 of 2 groups');
  });
});

describe('stale-approval protection', () => {
  it('refuses the same id with different content, naming the difference, and keeps the original', async () => {
    const { gate } = setup();
    await gate.submit({ id: 's1', title: 'Spend', context: { budget: 50000, plan: { days: 14 } } });
    const error = await gate
      .submit({ id: 's1', title: 'Spend', context: { budget: 50000, plan: { days: 30 } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleRequestError);
    expect((error as StaleRequestError).differences).toEqual(['context.plan.days']);
    expect((await gate.get('s1')).context).toEqual({ budget: 50000, plan: { days: 14 } });
    // The same content, keys in another order, joins the same request.
    expect(
      (await gate.submit({ id: 's1', title: 'Spend', context: { plan: { days: 14 }, budget: 50000 } })).created,
    ).toBe(false);
  });
});
