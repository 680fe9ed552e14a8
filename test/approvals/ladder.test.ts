import { describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalNotifier } from '../../src/approvals/notifier.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock, settle } from '../support/manual-clock.js';

/** Records each ladder step the gate asks its surface to show. */
class LadderNotifier implements ApprovalNotifier {
  steps: Array<{ step: string; approvers: string[] }> = [];
  async requested() {
    return { message: { channel: 'C0APPROVALS', ts: '1.1' } };
  }
  async decided(record: ApprovalRecord) {
    this.steps.push({ step: `decided:${record.status}`, approvers: record.approvers });
  }
  async reminded(record: ApprovalRecord) {
    this.steps.push({ step: 'reminded', approvers: record.approvers });
  }
  async escalated(record: ApprovalRecord) {
    this.steps.push({ step: 'escalated', approvers: record.approvers });
    return { escalationMessage: { channel: 'C0ESCALATE', ts: '2.2' } };
  }
}

function setup() {
  const clock = new ManualClock();
  const memory = new MemoryStore({ clock });
  const store = memory.records<ApprovalRecord>('approvals');
  const notifier = new LadderNotifier();
  const gate = new ApprovalGate({
    store: memory,
    clock,
    notifier,
    defaultApprovers: ['U0ALICE'],
    defaults: { escalation: { channel: 'C0ESCALATE', approvers: ['U0BOSS'] } },
  });
  return { memory, store, clock, notifier, gate };
}

describe('the timeout ladder', () => {
  it('reminds at 50 %, escalates at 80 % (adding approvers), then times out — each once', async () => {
    const { gate, clock, notifier } = setup();
    await gate.submit({ id: 'l1', title: 'T', timeoutSeconds: 100 });
    await clock.advance(49_999);
    expect(notifier.steps).toEqual([]);
    await clock.advance(1);
    expect(notifier.steps.map((s) => s.step)).toEqual(['reminded']);
    await clock.advance(30_000);
    expect(notifier.steps.map((s) => s.step)).toEqual(['reminded', 'escalated']);
    const escalated = await gate.get('l1');
    expect(escalated.approvers).toEqual(['U0ALICE', 'U0BOSS']);
    expect(escalated.escalationMessage).toEqual({ channel: 'C0ESCALATE', ts: '2.2' });
    await clock.advance(20_000);
    expect(notifier.steps.map((s) => s.step)).toEqual(['reminded', 'escalated', 'decided:timeout']);
  });

  it('lets an escalation approver decide once escalated', async () => {
    const { gate, clock } = setup();
    await gate.submit({ id: 'l2', title: 'T', timeoutSeconds: 100 });
    await expect(
      gate.decide('l2', { decision: 'approve', decidedBy: 'U0BOSS', via: 'slack', enforceApprovers: true }),
    ).rejects.toThrow(/not an approver/);
    await clock.advance(80_000);
    const decided = await gate.decide('l2', {
      decision: 'approve',
      decidedBy: 'U0BOSS',
      via: 'slack',
      enforceApprovers: true,
    });
    expect(decided.status).toBe('approved');
  });

  it('fires each step once when two processes arm the same timers', async () => {
    const { memory, clock, notifier, gate } = setup();
    const other = new LadderNotifier();
    const second = new ApprovalGate({
      store: memory,
      clock,
      notifier: other,
      defaults: { escalation: { channel: 'C0ESC', approvers: [] } },
    });
    await gate.submit({ id: 'l3', title: 'T', timeoutSeconds: 100 });
    await second.start();
    await clock.advance(100_000);
    const all = [...notifier.steps, ...other.steps].map((s) => s.step).filter((s) => s !== 'decided:timeout');
    expect(all.sort()).toEqual(['escalated', 'reminded']);
    expect((await gate.get('l3')).status).toBe('timeout');
  });

  it('approves at the deadline when asked to', async () => {
    const { gate, clock } = setup();
    const waiting = gate.requireApproval({ id: 'l4', title: 'T', timeoutSeconds: 10, onTimeout: 'approve' });
    await settle();
    await clock.advance(10_000);
    expect(await waiting).toMatchObject({ status: 'approved', via: 'system', decidedBy: 'gatehouse' });
  });

  it('keeps waiting past the deadline when asked to, reminding and escalating still', async () => {
    const { memory, gate, clock, notifier } = setup();
    await gate.submit({ id: 'l5', title: 'T', timeoutSeconds: 10, onTimeout: 'keep-waiting' });
    await clock.advance(3_600_000);
    expect((await gate.get('l5')).status).toBe('pending');
    expect(notifier.steps.map((s) => s.step)).toEqual(['reminded', 'escalated']);
    expect(await memory.effects.owed('approval.ladder')).toBe(0);
  });

  it('skips steps a request turns off', async () => {
    const { gate, clock, notifier } = setup();
    await gate.submit({ id: 'l6', title: 'T', timeoutSeconds: 10, remindAtPercent: null, escalateAtPercent: null });
    await clock.advance(10_000);
    expect(notifier.steps.map((s) => s.step)).toEqual(['decided:timeout']);
  });

  it('re-arms the ladder after a restart from the stored times, without repeating a step', async () => {
    const { memory, clock, notifier, gate } = setup();
    await gate.submit({ id: 'l7', title: 'T', timeoutSeconds: 100 });
    await clock.advance(60_000); // reminded
    gate.stop();
    await memory.effects.stop();
    await clock.advance(30_000); // down through the escalation time
    const next = new LadderNotifier();
    const restarted = new ApprovalGate({ store: memory, clock, notifier: next });
    await restarted.start();
    await clock.advance(0);
    expect(notifier.steps.map((s) => s.step)).toEqual(['reminded']);
    expect(next.steps.map((s) => s.step)).toEqual(['escalated']);
    await clock.advance(10_000);
    expect(next.steps.map((s) => s.step)).toEqual(['escalated', 'decided:timeout']);
  });
});
