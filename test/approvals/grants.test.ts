import { describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { GRANT_EFFECT, offeredGrants } from '../../src/approvals/grants.js';
import type { ApprovalNotifier } from '../../src/approvals/notifier.js';
import { ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock, settle } from '../support/manual-clock.js';

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  const announced: string[] = [];
  const notifier: ApprovalNotifier = {
    requested: async (record) => {
      announced.push(record.id);
      return { message: { channel: 'C0APPROVALS', ts: `1700000000.${announced.length}` } };
    },
    decided: async () => {},
  };
  const gate = new ApprovalGate({ store, clock, notifier, defaultApprovers: ['U0ALICE', 'U0BOB'] });
  return { store, clock, gate, announced };
}

const tool = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Run Bash (${id})`,
  actionKey: 'Bash',
  taskId: 'task-1',
  requestedBy: 'agent-7',
  ...extra,
});

describe('grants in the gate', () => {
  it('offers run and 1h by default when the scope is known, 1h only without a task, none without a key', () => {
    expect(offeredGrants({ actionKey: 'Bash', requestedBy: 'a', taskId: 't' })).toEqual(['run', '1h']);
    expect(offeredGrants({ actionKey: 'Bash', requestedBy: 'a' })).toEqual(['1h']);
    expect(offeredGrants({ requestedBy: 'a', taskId: 't' })).toEqual([]);
    expect(offeredGrants({ actionKey: 'Bash', requestedBy: 'a', taskId: 't', requiredApprovals: 2 })).toEqual([]);
    expect(() =>
      offeredGrants({ actionKey: 'Bash', requestedBy: 'a', grantOptions: ['1h'], requiredApprovals: 2 }),
    ).toThrow(ValidationError);
  });

  it('writes the grant with the decision, and its effect writes it again after a crash lost the inline write', async () => {
    const { store, gate } = setup();
    // Workers stopped: what the decision owes waits, as it would for a process that died.
    await store.effects.stop();
    await gate.submit(tool('c-1'));
    await gate.decide('c-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api', grant: 'run' });
    // Owed in the decision's own write; the workers have not run yet.
    expect(await store.effects.owed(GRANT_EFFECT)).toBe(1);
    expect(await gate.grants.records.get('grant-c-1')).toMatchObject({ duration: 'run', grantedBy: 'U0ALICE' });
    await gate.grants.records.delete('grant-c-1');
    await gate.start();
    await settle();
    expect(await store.effects.owed(GRANT_EFFECT)).toBe(0);
    await settle();
    expect(await gate.grants.records.get('grant-c-1')).toMatchObject({ approvalId: 'c-1', taskId: 'task-1' });
    gate.stop();
  });

  it('a revoked grant is not brought back by its effect running late', async () => {
    const { store, gate } = setup();
    await store.effects.stop();
    await gate.submit(tool('l-1'));
    await gate.decide('l-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api', grant: '1h' });
    await gate.grants.revoke('grant-l-1', { by: 'U0BOB' });
    await gate.start();
    await settle();
    expect(gate.grants.status((await gate.grants.records.get('grant-l-1'))!)).toBe('revoked');
    expect((await gate.submit(tool('l-2'))).record.status).toBe('pending');
    gate.stop();
  });

  it('applies only while its grantor may still decide the new request', async () => {
    const { gate } = setup();
    await gate.submit(tool('e-1'));
    await gate.decide('e-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api', grant: 'run' });
    expect((await gate.submit(tool('e-2', { approvers: ['U0BOB'] }))).record.status).toBe('pending');
    expect((await gate.submit(tool('e-3', { approvers: ['U0ALICE'] }))).record.decision).toMatchObject({
      via: 'grant',
      grantId: 'grant-e-1',
    });
  });

  it('never lets a grant approve a request its grantor asked for when that one forbids self-approval', async () => {
    const { gate } = setup();
    const own = { requestedBy: 'U0ALICE' };
    await gate.submit(tool('s-1', own));
    await gate.decide('s-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api', grant: 'run' });
    expect((await gate.submit(tool('s-2', { ...own, allowSelfApproval: false }))).record.status).toBe('pending');
    expect((await gate.submit(tool('s-3', own))).record.decision).toMatchObject({ via: 'grant', grantId: 'grant-s-1' });
  });

  it('approved by a grant, a request owes no announcement but its outcome, audit entries and callback', async () => {
    const { store, gate, announced } = setup();
    await store.effects.stop();
    await gate.submit(tool('o-1'));
    await gate.decide('o-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api', grant: '1h' });
    await gate.submit(tool('o-2', { callbackUrl: 'https://ci.example.com/hook' }));
    expect(await store.effects.owed('approval.announce')).toBe(1);
    expect(await store.effects.owed('approval.callback')).toBe(1);
    expect(await store.effects.owed('approval.outcome')).toBe(2);
    await gate.start();
    await settle();
    expect(announced).toEqual(['o-1']);
    expect((await gate.get('o-2')).message).toBeNull();
    gate.stop();
  });

  it('refuses a grant with a rejection, and one the request does not offer, deciding nothing', async () => {
    const { gate } = setup();
    await gate.submit(tool('r-1', { grantOptions: ['1h'] }));
    await expect(
      gate.decide('r-1', { decision: 'reject', decidedBy: 'U0ALICE', via: 'api', grant: '1h' }),
    ).rejects.toThrow(ValidationError);
    await expect(
      gate.decide('r-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api', grant: 'run' }),
    ).rejects.toThrow(/does not offer a "run" grant: it offers 1h/);
    expect((await gate.get('r-1')).status).toBe('pending');
  });
});
