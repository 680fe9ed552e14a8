import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { storeDesk } from '../../src/examples/support-desk.js';
import { eventually } from '../support/eventually.js';
import { FakeAnthropic, messageReply, toolResults, toolUseReply } from '../support/fake-anthropic.js';
import { exampleTasks } from './support.js';

let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await FakeAnthropic.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

const reply = { to: 'ann@example.com', subject: 'Your refund', body: 'We refunded the duplicate charge.' };
const ticket = { customer: 'ann@example.com', ticket: 'I was charged twice for order A-12 ($120).' };

function waitingOn(t: ReturnType<typeof exampleTasks>, taskId: string, approvalId: string) {
  return eventually(
    () => t.tasks.status(taskId),
    (task) => task.waitingFor?.approvalId === approvalId,
  );
}

describe('support-desk', () => {
  it('notes at once, asks before a refund above the limit and before replying, and runs what was approved', async () => {
    fake.enqueue(
      (call) =>
        toolUseReply(call, {
          text: 'The order was charged twice.',
          tools: [
            { id: 'toolu_note', name: 'add_note', input: { text: 'Duplicate charge on A-12' } },
            { id: 'toolu_refund', name: 'issue_refund', input: { orderId: 'A-12', usd: 120, reason: 'charged twice' } },
          ],
        }),
      (call) => toolUseReply(call, { tools: [{ id: 'toolu_reply', name: 'send_reply', input: reply }] }),
      (call) => messageReply(call, { text: 'Refunded $60 and replied.' }),
    );
    const t = exampleTasks(fake);
    const desk = storeDesk(t.store);
    const task = await t.tasks.start('support-desk', ticket, { startedBy: 'U0ALICE' });

    const refundId = `${task.id}:resolve:toolu_refund`;
    await waitingOn(t, task.id, refundId);
    expect(await desk.entry(`${task.id}:resolve:toolu_note`)).toMatchObject({ kind: 'note' });
    expect(await desk.entry(refundId)).toBeUndefined();
    expect(t.requested[0]).toMatchObject({
      id: refundId,
      title: 'Refund $120.00',
      context: { tool: 'issue_refund', risk: 'medium', orderId: 'A-12', usd: 120 },
    });
    await t.gate.decide(refundId, {
      decision: 'approve',
      decidedBy: 'U0BOB',
      via: 'slack',
      modifications: { orderId: 'A-12', usd: 60, reason: 'charged twice' },
      feedback: 'Half now, the rest after the bank confirms',
    });

    const replyId = `${task.id}:resolve:toolu_reply`;
    await waitingOn(t, task.id, replyId);
    expect(await desk.entry(refundId)).toMatchObject({ kind: 'refund', usd: 60 });
    expect(toolResults(fake.messageCalls[1]?.body).toolu_refund.content).toContain('usd: 120 → 60');
    await t.gate.decide(replyId, { decision: 'approve', decidedBy: 'U0BOB', via: 'slack' });

    const done = await eventually(
      () => t.tasks.status(task.id),
      (view) => view.status === 'completed',
    );
    expect(await desk.entry(replyId)).toMatchObject({ kind: 'reply', ...reply });
    expect(done.results.report).toMatchObject({
      summary: 'Refunded $60 and replied.',
      refunds: [{ orderId: 'A-12', usd: 60 }],
      replies: 1,
      refused: [],
    });
  });

  it('refunds up to the limit without asking, and tells Claude a rejected reply was not sent', async () => {
    fake.enqueue(
      (call) =>
        toolUseReply(call, {
          tools: [
            { id: 'toolu_small', name: 'issue_refund', input: { orderId: 'B-7', usd: 30, reason: 'late' } },
            { id: 'toolu_reply', name: 'send_reply', input: reply },
          ],
        }),
      (call) => messageReply(call, { text: 'Refunded; reply held.' }),
    );
    const t = exampleTasks(fake);
    const task = await t.tasks.start('support-desk', { ...ticket, refundLimit: '50' }, { startedBy: 'U0ALICE' });
    const replyId = `${task.id}:resolve:toolu_reply`;
    await waitingOn(t, task.id, replyId);
    await t.gate.decide(replyId, { decision: 'reject', decidedBy: 'U0BOB', via: 'slack', feedback: 'Too curt' });
    const done = await eventually(
      () => t.tasks.status(task.id),
      (view) => view.status === 'completed',
    );

    expect(t.requested.map((r) => r.id)).toEqual([replyId]);
    expect(toolResults(fake.messageCalls[1]?.body).toolu_reply).toMatchObject({
      is_error: true,
      content: 'Not run: U0BOB rejected this call of send_reply. Their reason: "Too curt"',
    });
    expect(done.results.report).toMatchObject({
      refunds: [{ orderId: 'B-7', usd: 30 }],
      replies: 0,
      refused: [{ tool: 'send_reply', outcome: 'rejected' }],
    });
  });
});
