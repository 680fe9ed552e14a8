import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TOOL_RUNS_NAMESPACE } from '../../../src/agents/tools/records.js';
import { defineTool, type ToolRunRecord } from '../../../src/agents/tools/types.js';
import type { ApprovalRecord } from '../../../src/approvals/types.js';
import { MemoryStore } from '../../../src/store/memory.js';
import { FakeAnthropic, messageReply, toolResults, toolUseReply } from '../../support/fake-anthropic.js';
import { settle } from '../../support/manual-clock.js';
import { boot, type Outbox, sameData, sendEmail } from './support.js';

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

const note = { to: 'team@example.com', subject: 'Status', body: 'All green.' };

/** A tool that needs no approval and counts its runs. */
function lookup(runs: string[]) {
  return defineTool<{ q: string }>({
    name: 'lookup',
    description: 'Looks something up.',
    input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    run: ({ q }) => {
      runs.push(q);
      return `found ${q}`;
    },
  });
}

/** Stops a run the way a dying process would leave it, and waits until it has stopped. */
async function stop(run: Promise<unknown>, controller: AbortController) {
  controller.abort(new Error('process stopped'));
  await run.catch(() => {});
}

describe('tool use across a crash', () => {
  it('resumes without asking again, calling Claude again for the same turn, or running a tool twice', async () => {
    fake.enqueue(
      (call) =>
        toolUseReply(call, {
          tools: [
            { id: 'toolu_look', name: 'lookup', input: { q: 'numbers' } },
            { id: 'toolu_mail', name: 'send_email', input: note },
          ],
        }),
      (call) => messageReply(call, { text: `Sent. ${toolResults(call.body).toolu_mail?.content}` }),
    );
    const shared = new MemoryStore();
    const looked: string[] = [];
    const outbox: Outbox = { sent: [] };
    const tools = [lookup(looked), sendEmail(outbox)];

    const first = boot(fake, sameData(shared), tools);
    const controller = new AbortController();
    const asked = first.nextRequest();
    const run = first.agent.run({ taskId: 'weekly-1', signal: controller.signal });
    const request = await asked;
    expect(looked).toEqual(['numbers']);
    await stop(run, controller);
    // Decided while no process was running.
    await first.gate.decide(request.id, { decision: 'approve', decidedBy: 'U0ALICE', via: 'api' });

    const second = boot(fake, sameData(shared), tools);
    const result = await second.agent.run({ taskId: 'weekly-1', resume: true });

    expect(first.requested.map((r) => r.id)).toEqual(['weekly-1:send:toolu_mail']);
    expect(second.requested).toEqual([]);
    expect(looked).toEqual(['numbers']);
    expect(outbox.sent).toHaveLength(1);
    expect(fake.messageCalls).toHaveLength(2);
    expect(toolResults(fake.messageCalls[1]?.body)).toMatchObject({
      toolu_look: { content: 'found numbers' },
      toolu_mail: { content: '{"delivered":true,"to":"team@example.com"}' },
    });
    expect(result.results.send).toMatchObject({
      turns: 2,
      calls: [
        { toolUseId: 'toolu_look', outcome: 'ran' },
        { toolUseId: 'toolu_mail', outcome: 'ran', approvalId: 'weekly-1:send:toolu_mail', decidedBy: 'U0ALICE' },
      ],
    });
    const approvals = await shared.records<ApprovalRecord>('approvals').findBy('status', 'approved');
    expect(approvals.map((a) => a.id)).toEqual(['weekly-1:send:toolu_mail']);
  });

  it('keeps who approved a tool that ran before the crash in the resumed result', async () => {
    const second = { ...note, subject: 'Status, part 2' };
    fake.enqueue(
      (call) =>
        toolUseReply(call, {
          tools: [
            { id: 'toolu_one', name: 'send_email', input: note },
            { id: 'toolu_two', name: 'send_email', input: second },
          ],
        }),
      (call) => messageReply(call, { text: 'both sent' }),
    );
    const shared = new MemoryStore();
    const outbox: Outbox = { sent: [] };
    const first = boot(fake, sameData(shared), [sendEmail(outbox)]);
    const controller = new AbortController();
    const one = first.nextRequest();
    const run = first.agent.run({ taskId: 'weekly-3', signal: controller.signal });
    const asked = await one;
    const next = first.nextRequest();
    await first.gate.decide(asked.id, { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack' });
    const two = await next;
    expect(outbox.sent).toHaveLength(1);
    await stop(run, controller);
    await first.gate.decide(two.id, { decision: 'approve', decidedBy: 'U0BOB', via: 'slack' });

    const result = await boot(fake, sameData(shared), [sendEmail(outbox)]).agent.run({
      taskId: 'weekly-3',
      resume: true,
    });
    expect(outbox.sent.map((m) => m.subject)).toEqual(['Status', 'Status, part 2']);
    expect(result.results.send).toMatchObject({
      calls: [
        { toolUseId: 'toolu_one', outcome: 'ran', approvalId: 'weekly-3:send:toolu_one', decidedBy: 'U0ALICE' },
        { toolUseId: 'toolu_two', outcome: 'ran', approvalId: 'weekly-3:send:toolu_two', decidedBy: 'U0BOB' },
      ],
    });
  });

  it('rejoins a pending approval from a fresh process and runs the tool once it is approved', async () => {
    fake.enqueue(
      (call) => toolUseReply(call, { tools: [{ id: 'toolu_wait', name: 'send_email', input: note }] }),
      (call) => messageReply(call, { text: 'ok' }),
    );
    const shared = new MemoryStore();
    const outbox: Outbox = { sent: [] };
    const first = boot(fake, sameData(shared), [sendEmail(outbox)]);
    const controller = new AbortController();
    const asked = first.nextRequest();
    const run = first.agent.run({ taskId: 'weekly-2', signal: controller.signal });
    await asked;
    await stop(run, controller);

    const second = boot(fake, sameData(shared), [sendEmail(outbox)]);
    const resumed = second.agent.run({ taskId: 'weekly-2', resume: true });
    await settle();
    expect(await second.gate.get('weekly-2:send:toolu_wait')).toMatchObject({ status: 'pending' });
    await second.gate.decide('weekly-2:send:toolu_wait', { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack' });
    await resumed;

    expect(second.requested).toEqual([]);
    expect(outbox.sent).toHaveLength(1);
    expect(fake.messageCalls).toHaveLength(2);
  });

  it('does not run again a tool the process stopped in, and tells Claude it may have run', async () => {
    fake.enqueue(
      (call) => toolUseReply(call, { tools: [{ id: 'toolu_slow', name: 'charge', input: { usd: 50 } }] }),
      (call) => messageReply(call, { text: 'noted' }),
    );
    const starts: number[] = [];
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const charge = defineTool<{ usd: number }>({
      name: 'charge',
      description: 'Charges a card.',
      input_schema: { type: 'object', properties: { usd: { type: 'number' } }, required: ['usd'] },
      run: ({ usd }, call) => {
        starts.push(usd);
        started();
        // Never finishes by itself: the process stops while the charge is in flight.
        return new Promise((_resolve, reject) =>
          call.signal.addEventListener('abort', () => reject(call.signal.reason)),
        );
      },
    });
    const shared = new MemoryStore();
    const first = boot(fake, sameData(shared), [charge]);
    const controller = new AbortController();
    const run = first.agent.run({ taskId: 'charge-1', signal: controller.signal });
    await running;
    await stop(run, controller);
    const record = await shared.records<ToolRunRecord>(TOOL_RUNS_NAMESPACE).get('charge-1:send:toolu_slow');
    expect(record).toMatchObject({ status: 'running', starts: 1, input: { usd: 50 } });

    const second = boot(fake, sameData(shared), [charge]);
    const result = await second.agent.run({ taskId: 'charge-1', resume: true });

    expect(starts).toEqual([50]);
    const toolResult = toolResults(fake.messageCalls[1]?.body).toolu_slow;
    expect(toolResult.is_error).toBe(true);
    expect(toolResult.content).toMatch(/^Interrupted: charge started running before the process stopped/);
    expect(result.results.send).toMatchObject({ calls: [{ outcome: 'interrupted', input: { usd: 50 } }] });
  });

  it('runs a rerunnable tool again after such a stop', async () => {
    fake.enqueue(
      (call) => toolUseReply(call, { tools: [{ id: 'toolu_read', name: 'read', input: {} }] }),
      (call) => messageReply(call, { text: 'read it' }),
    );
    let calls = 0;
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const read = defineTool<Record<string, never>>({
      name: 'read',
      description: 'Reads a file.',
      input_schema: { type: 'object', properties: {} },
      rerunnable: true,
      run: (_input, call) => {
        calls += 1;
        if (calls === 1) {
          started();
          return new Promise((_resolve, reject) =>
            call.signal.addEventListener('abort', () => reject(call.signal.reason)),
          );
        }
        return 'contents';
      },
    });
    const shared = new MemoryStore();
    const controller = new AbortController();
    const first = boot(fake, sameData(shared), [read]);
    const run = first.agent.run({ taskId: 'read-1', signal: controller.signal });
    await running;
    await stop(run, controller);
    await boot(fake, sameData(shared), [read]).agent.run({ taskId: 'read-1', resume: true });
    expect(calls).toBe(2);
    expect(toolResults(fake.messageCalls[1]?.body).toolu_read).toMatchObject({ content: 'contents' });
    const record = await shared.records<ToolRunRecord>(TOOL_RUNS_NAMESPACE).get('read-1:send:toolu_read');
    expect(record).toMatchObject({ status: 'done', starts: 2, outcome: 'ran' });
  });

  it('answers a completed loop from its transcript when the stage runs again', async () => {
    fake.enqueue((call) => messageReply(call, { text: 'nothing to do' }));
    const shared = new MemoryStore();
    const { loop } = boot(fake, sameData(shared), []);
    const ctx = {
      taskId: 't-1',
      stage: { name: 'send', index: 0 },
      signal: new AbortController().signal,
      log: pino({ level: 'silent' }),
      budget: null,
      requireApproval: () => Promise.reject(new Error('not asked')),
    };
    const once = await loop.run(ctx, { prompt: 'hi' });
    const again = await loop.run(ctx, { prompt: 'hi' });
    expect(again).toEqual(once);
    expect(fake.messageCalls).toHaveLength(1);
    await expect(loop.run(ctx, { prompt: 'something else' })).rejects.toThrow(/started with another prompt/);
  });
});
