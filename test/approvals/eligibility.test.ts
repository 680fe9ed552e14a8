import { describe, expect, it } from 'vitest';
import type { ApproverDirectory } from '../../src/approvals/directory.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { NotAllowedError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock } from '../support/manual-clock.js';

/** Groups held in memory; counts the lookups that asked for a fresh answer. */
class Groups implements ApproverDirectory {
  fresh = 0;
  constructor(readonly members: Record<string, string[]>) {}
  isGroup(id: string) {
    return id.startsWith('S');
  }
  async membersOf(group: string, options: { fresh?: boolean } = {}) {
    if (options.fresh) this.fresh += 1;
    return this.members[group] ?? [];
  }
}

const vote = (decidedBy: string) => ({
  decision: 'approve' as const,
  decidedBy,
  via: 'slack' as const,
  enforceApprovers: true,
});

function gateWith(options: Partial<ConstructorParameters<typeof ApprovalGate>[0]> = {}) {
  const clock = new ManualClock();
  return { clock, gate: new ApprovalGate({ store: new MemoryStore({ clock }), clock, ...options }) };
}

describe('who may decide', () => {
  it('fails closed: with no approvers anywhere, nobody may decide', async () => {
    const { gate } = gateWith();
    await gate.submit({ id: 'a', title: 'T' });
    const refusal = await gate.decide('a', vote('U0ANYONE')).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(NotAllowedError);
    expect((refusal as NotAllowedError).reason).toBe('no_approvers');
    expect((refusal as NotAllowedError).message).toMatch(/APPROVERS/);
    expect((await gate.get('a')).status).toBe('pending');
  });

  it('lets anyone decide with allowAnyApprover', async () => {
    const { gate } = gateWith({ allowAnyApprover: true });
    await gate.submit({ id: 'a', title: 'T' });
    expect((await gate.decide('a', vote('U0ANYONE'))).status).toBe('approved');
  });

  it('decisions through the API (no enforcement) are not affected', async () => {
    const { gate } = gateWith();
    await gate.submit({ id: 'a', title: 'T' });
    expect((await gate.decide('a', { decision: 'reject', decidedBy: 'ci', via: 'api' })).status).toBe('rejected');
  });

  it('resolves groups afresh at decision time', async () => {
    const groups = new Groups({ S0OPS: ['U0CAROL'] });
    const { gate } = gateWith({ directory: groups, defaultApprovers: ['S0OPS'] });
    await gate.submit({ id: 'a', title: 'T' });
    await gate.submit({ id: 'b', title: 'T' });
    expect((await gate.decide('a', vote('U0CAROL'))).status).toBe('approved');
    expect(groups.fresh).toBe(1);
    groups.members.S0OPS = [];
    await expect(gate.decide('b', vote('U0CAROL'))).rejects.toMatchObject({ reason: 'not_approver' });
  });

  it('without a directory a group lets none of its members in', async () => {
    const { gate } = gateWith({ defaultApprovers: ['S0OPS'] });
    await gate.submit({ id: 'b', title: 'T' });
    await expect(gate.decide('b', vote('U0CAROL'))).rejects.toBeInstanceOf(NotAllowedError);
  });

  it('an escalation gives a request without approvers its escalation approvers', async () => {
    const { gate, clock } = gateWith({ defaults: { escalation: { channel: null, approvers: ['U0BOSS'] } } });
    await gate.submit({ id: 'a', title: 'T', timeoutSeconds: 100 });
    await expect(gate.decide('a', vote('U0BOSS'))).rejects.toMatchObject({ reason: 'no_approvers' });
    await clock.advance(80_000);
    expect((await gate.get('a')).approvers).toEqual(['U0BOSS']);
    expect((await gate.decide('a', vote('U0BOSS'))).status).toBe('approved');
  });

  it('refuses "approvers": [] in a request, naming the field', async () => {
    const { gate } = gateWith({ defaultApprovers: ['U0ALICE'] });
    await expect(gate.submit({ id: 'a', title: 'T', approvers: [] })).rejects.toMatchObject({
      issues: [{ field: 'approvers', message: expect.stringMatching(/at least one approver/) }],
    });
  });
});
