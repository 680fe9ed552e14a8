import { describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalNotifier } from '../../src/approvals/notifier.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { AlreadyDecidedError, NotAllowedError, NotFoundError, ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { RecordStore } from '../../src/store/types.js';
import { ManualClock, settle } from '../support/manual-clock.js';

/** Records what the gate tells people, and what the store held at that moment. */
class RecordingNotifier implements ApprovalNotifier {
  requestedCalls: Array<{ record: ApprovalRecord; storedAtThatMoment: ApprovalRecord | undefined }> = [];
  decidedCalls: ApprovalRecord[] = [];
  constructor(private readonly store: RecordStore<ApprovalRecord>) {}
  async requested(record: ApprovalRecord) {
    this.requestedCalls.push({ record, storedAtThatMoment: await this.store.get(record.id) });
    return { message: { channel: 'C0APPROVALS', ts: `1700000000.${this.requestedCalls.length}` } };
  }
  async decided(record: ApprovalRecord) {
    this.decidedCalls.push(record);
  }
}

function setup(options: { approvers?: string[] } = {}) {
  const clock = new ManualClock();
  const memory = new MemoryStore({ clock });
  const store = memory.records<ApprovalRecord>('approvals');
  const notifier = new RecordingNotifier(store);
  const gate = new ApprovalGate({
    store: memory,
    clock,
    notifier,
    defaultApprovers: options.approvers ?? ['U0ALICE', 'U0BOB'],
  });
  return { memory, store, clock, notifier, gate };
}

describe('ApprovalGate', () => {
  it('resumes the waiting agent with the approval the moment it is decided', async () => {
    const { gate } = setup();
    const waiting = gate.requireApproval({ id: 'launch-1', title: 'Launch campaign', context: { budget: 50000 } });
    await settle();
    await gate.decide('launch-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack', feedback: 'go' });
    const response = await waiting;
    expect(response).toMatchObject({
      id: 'launch-1',
      status: 'approved',
      isApproved: true,
      decidedBy: 'U0ALICE',
      via: 'slack',
      feedback: 'go',
    });
    expect(response.decidedAt).toBe('2026-01-05T09:00:00.000Z');
  });

  it('returns a rejection with its reason and modifications of an approval with changes', async () => {
    const { gate } = setup();
    const rejected = gate.requireApproval({ id: 'a', title: 'Delete table' });
    const changed = gate.requireApproval({ id: 'b', title: 'Spend', context: { budget: 50000 } });
    await settle();
    await gate.decide('a', { decision: 'reject', decidedBy: 'U0BOB', via: 'slack', feedback: 'not on a Friday' });
    await gate.decide('b', { decision: 'approve', decidedBy: 'U0BOB', via: 'slack', modifications: { budget: 20000 } });
    expect(await rejected).toMatchObject({ status: 'rejected', isApproved: false, feedback: 'not on a Friday' });
    expect(await changed).toMatchObject({ status: 'approved', modifications: { budget: 20000 } });
  });

  it('stores the request before anyone is notified', async () => {
    const { gate, notifier } = setup();
    await gate.submit({ id: 'x', title: 'T' });
    await settle();
    expect(notifier.requestedCalls).toHaveLength(1);
    expect(notifier.requestedCalls[0]?.storedAtThatMoment?.status).toBe('pending');
    expect((await gate.get('x')).message).toEqual({ channel: 'C0APPROVALS', ts: '1700000000.1' });
  });

  it('joins the same request for the same id and answers a decided id at once, without asking again', async () => {
    const { gate, notifier } = setup();
    const first = gate.requireApproval({ id: 'same', title: 'T' });
    const second = gate.requireApproval({ id: 'same', title: 'T' });
    await settle();
    await gate.decide('same', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api' });
    expect((await first).status).toBe('approved');
    expect((await second).status).toBe('approved');
    const afterCrash = await gate.requireApproval({ id: 'same', title: 'T' });
    expect(afterCrash).toMatchObject({ status: 'approved', decidedBy: 'U0ALICE' });
    expect(notifier.requestedCalls).toHaveLength(1);
  });

  it('lets exactly one of many concurrent decisions win and tells the others who won', async () => {
    const { gate, notifier } = setup();
    await gate.submit({ id: 'race', title: 'T' });
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        gate.decide('race', { decision: i % 2 ? 'reject' : 'approve', decidedBy: `U0USER${i}`, via: 'slack' }),
      ),
    );
    const winners = attempts.filter((a) => a.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const winner = (winners[0] as PromiseFulfilledResult<ApprovalRecord>).value;
    for (const attempt of attempts.filter((a) => a.status === 'rejected')) {
      const error = (attempt as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(AlreadyDecidedError);
      expect((error as AlreadyDecidedError).approval.decision?.decidedBy).toBe(winner.decision?.decidedBy);
    }
    await settle();
    // The outcome is shown once where the request was posted.
    expect(notifier.decidedCalls.filter((r) => r.message !== null)).toHaveLength(1);
    expect((await gate.get('race')).decision).toEqual(winner.decision);
  });

  it('refuses a decision by someone who is not an approver, and changes nothing', async () => {
    const { gate } = setup();
    await gate.submit({ id: 'p', title: 'T', approvers: ['U0ALICE'] });
    await expect(
      gate.decide('p', { decision: 'approve', decidedBy: 'U0MALLORY', via: 'slack', enforceApprovers: true }),
    ).rejects.toBeInstanceOf(NotAllowedError);
    expect((await gate.get('p')).status).toBe('pending');
  });

  it('times out at the deadline and tells the waiting agent so', async () => {
    const { gate, clock, notifier } = setup();
    const waiting = gate.requireApproval({ id: 't', title: 'T', timeoutSeconds: 60 });
    await settle();
    await clock.advance(59_999);
    expect((await gate.get('t')).status).toBe('pending');
    await clock.advance(1);
    expect(await waiting).toMatchObject({ status: 'timeout', isApproved: false, via: 'system' });
    expect(notifier.decidedCalls.map((r) => r.status)).toEqual(['timeout']);
  });

  it('does not fire a deadline for a request decided before it', async () => {
    const { memory, gate, clock } = setup();
    await gate.submit({ id: 'd', title: 'T', timeoutSeconds: 10 });
    await gate.decide('d', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api' });
    await clock.advance(20_000);
    expect((await gate.get('d')).status).toBe('approved');
    // The deadline's effect ran, found it decided, and is done.
    expect(await memory.effects.owed('approval.ladder')).toBe(0);
  });

  it('arms deadlines longer than the 24.8-day timer limit in steps', async () => {
    const { gate, clock } = setup();
    await gate.submit({ id: 'long', title: 'T', timeoutSeconds: 30 * 24 * 3600 });
    await clock.advance(29 * 24 * 3600 * 1000);
    expect((await gate.get('long')).status).toBe('pending');
    await clock.advance(24 * 3600 * 1000);
    expect((await gate.get('long')).status).toBe('timeout');
  });

  it('cancels by id, resolving the waiting agent with status cancelled', async () => {
    const { gate } = setup();
    const waiting = gate.requireApproval({ id: 'c', title: 'T' });
    await settle();
    await gate.cancel('c', { by: 'ops', reason: 'plan changed' });
    expect(await waiting).toMatchObject({ status: 'cancelled', decidedBy: 'ops', feedback: 'plan changed' });
  });

  it('cancels the request when the waiting agent aborts', async () => {
    const { gate } = setup();
    const controller = new AbortController();
    const waiting = gate.requireApproval(
      { id: 'ab', title: 'T', requestedBy: 'agent-7' },
      { signal: controller.signal },
    );
    await settle();
    controller.abort(new Error('agent shutting down'));
    await expect(waiting).rejects.toThrow('agent shutting down');
    await settle();
    expect(await gate.get('ab')).toMatchObject({ status: 'cancelled', decision: { decidedBy: 'agent-7' } });
  });

  it('finishes after a restart what the previous process began: deadlines re-armed from the stored time', async () => {
    const { memory, store, clock, gate } = setup();
    await gate.submit({ id: 'r1', title: 'T', timeoutSeconds: 60 });
    await gate.submit({ id: 'r2', title: 'T', timeoutSeconds: 600 });
    await settle();
    gate.stop();
    await memory.effects.stop();
    await clock.advance(120_000); // the process is down: nothing fires
    expect((await store.get('r1'))?.status).toBe('pending');

    const notifier = new RecordingNotifier(store);
    const next = new ApprovalGate({ store: memory, clock, notifier });
    expect(await next.start()).toEqual({ pending: 2 });
    await clock.advance(0);
    expect((await store.get('r1'))?.status).toBe('timeout'); // expired while down: fires at boot
    expect(notifier.requestedCalls).toHaveLength(0); // both were already posted
    await clock.advance(480_000 - 1);
    expect((await store.get('r2'))?.status).toBe('pending');
    await clock.advance(1);
    expect((await store.get('r2'))?.status).toBe('timeout');
  });

  it('names every wrong field of a bad request', async () => {
    const { gate } = setup();
    const error = await gate
      .submit({ title: '', approvers: ['alice'], timeoutSeconds: -5, timeout: 3 } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).issues.map((i) => i.field).sort();
    expect(fields).toEqual(['approvers.0', 'timeout', 'timeoutSeconds', 'title']);
  });

  it('reports an unknown id as not found', async () => {
    const { gate } = setup();
    await expect(gate.decide('nope', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(gate.waitForDecision('nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});
