import { type AIMessage, AIMessageChunk, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { FakeListChatModel, FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { END, MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatehouseReviews, reviewToolCalls } from '../../src/adapters/langgraph/index.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { GatehouseClient } from '../../src/client/index.js';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload } from '../support/slack-requests.js';

let g: TestGatehouse;
let client: GatehouseClient;
beforeAll(async () => {
  g = await startGatehouse();
  client = new GatehouseClient({ url: g.url, token: API_TOKEN });
});
afterAll(async () => {
  await g.stop();
});

type Refund = { orderId: string; usd: number };
const refundSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, usd: { type: 'number', exclusiveMinimum: 0 } },
  required: ['orderId', 'usd'],
};

/**
 * One "process": a graph plan → review → answer over the shared checkpointer, with LangChain's
 * fake chat models: the planner proposes a refund, the reviewer node interrupts for review and
 * runs what was decided, the writer answers.
 */
function boot(checkpointer: MemorySaver, callId: string, refunds: Refund[]) {
  const plans: number[] = [];
  const planner = new FakeStreamingChatModel({
    sleep: 0,
    chunks: [
      new AIMessageChunk({
        content: '',
        tool_calls: [{ id: callId, name: 'refund', args: { orderId: 'A-12', usd: 120 }, type: 'tool_call' }],
      }),
    ],
  });
  const writer = new FakeListChatModel({ responses: ['All done.'] });
  const graph = new StateGraph(MessagesAnnotation)
    .addNode('plan', async (state) => {
      plans.push(1);
      return { messages: [await planner.invoke(state.messages)] };
    })
    .addNode('review', (state) => {
      const calls = (state.messages.at(-1) as AIMessage).tool_calls ?? [];
      const { decisions } = reviewToolCalls(calls);
      const messages: BaseMessage[] = calls.map((call, index) => {
        const decision = decisions[index]!;
        if (decision.type === 'reject') {
          return new ToolMessage({ tool_call_id: call.id!, content: decision.message, status: 'error' });
        }
        const args = (decision.type === 'edit' ? decision.editedAction.args : call.args) as Refund;
        refunds.push(args);
        const output = `refunded $${args.usd} on ${args.orderId}`;
        const content = decision.message ? `${decision.message}\n\nResult:\n${output}` : output;
        return new ToolMessage({ tool_call_id: call.id!, content });
      });
      return { messages };
    })
    .addNode('answer', async (state) => ({ messages: [await writer.invoke(state.messages)] }))
    .addEdge(START, 'plan')
    .addEdge('plan', 'review')
    .addEdge('review', 'answer')
    .addEdge('answer', END)
    .compile({ checkpointer });
  return { graph, plans };
}

const asked = (id: string) =>
  eventually(
    () => g.gatehouse.gate.get(id).catch(() => null),
    (record) => record?.message != null,
    15_000,
  ) as Promise<ApprovalRecord>;

const input = () => ({ messages: [new HumanMessage('Refund order A-12')] });
const toolMessage = (messages: BaseMessage[]) => messages.find((m) => ToolMessage.isInstance(m)) as ToolMessage;

describe.concurrent('LangGraph through Gatehouse', () => {
  it('resumes the interrupt with an edit decision carrying the approver modifications', async () => {
    const refunds: Refund[] = [];
    const { graph } = boot(new MemorySaver(), 'call_lg_edit', refunds);
    const reviews = gatehouseReviews({ client, threadId: 'lg-edit', schemas: { refund: refundSchema } });
    const run = reviews.run(graph, input());
    const record = await asked('lg-edit:call_lg_edit');
    expect(record).toMatchObject({
      context: { tool: 'refund', orderId: 'A-12', usd: 120 },
      modificationsSchema: refundSchema,
      requestedBy: 'langgraph',
    });
    await client.decide(record.id, {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      modifications: { orderId: 'A-12', usd: 40 },
    });
    const result = await run;

    expect(refunds).toEqual([{ orderId: 'A-12', usd: 40 }]);
    const told = String(toolMessage(result.messages).content);
    expect(told).toContain('U0ALICE approved this call with changes');
    expect(told).toContain('usd: 120 → 40');
    expect(told).toContain('refunded $40 on A-12');
    expect(String(result.messages.at(-1)?.content)).toBe('All done.');
  });

  it('resumes with a reject decision and the reason', async () => {
    const refunds: Refund[] = [];
    const { graph } = boot(new MemorySaver(), 'call_lg_reject', refunds);
    const reviews = gatehouseReviews({ client, threadId: 'lg-reject' });
    const run = reviews.run(graph, input());
    const record = await asked('lg-reject:call_lg_reject');
    await client.decide(record.id, { decision: 'reject', decidedBy: 'U0BOB', feedback: 'Already refunded' });
    const result = await run;

    expect(refunds).toEqual([]);
    expect(toolMessage(result.messages)).toMatchObject({
      status: 'error',
      content: 'Not run: U0BOB rejected this call. Their reason: "Already refunded"',
    });
  });

  it('approves through a Slack click after a crash, resuming the paused thread without planning again', async () => {
    const refunds: Refund[] = [];
    const saver = new MemorySaver();
    const stop = new AbortController();
    const first = boot(saver, 'call_lg_crash', refunds);
    const run = gatehouseReviews({ client, threadId: 'lg-crash', signal: stop.signal }).run(first.graph, input());
    const record = await asked('lg-crash:call_lg_crash');
    stop.abort(new Error('process died'));
    await expect(run).rejects.toThrow('process died');

    const click = blockActionsPayload({ actionId: ActionId.Approve, value: record.id, messageTs: record.message!.ts });
    expect((await g.slackPost(click)).status).toBe(200);
    const second = boot(saver, 'call_lg_crash', refunds);
    const result = await gatehouseReviews({ client, threadId: 'lg-crash' }).run(second.graph, input());

    expect(second.plans).toEqual([]);
    expect(refunds).toEqual([{ orderId: 'A-12', usd: 120 }]);
    expect(toolMessage(result.messages).content).toBe('refunded $120 on A-12');
    const posts = g.slack!.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body).includes('lg-crash:'));
    expect(posts).toHaveLength(1);
  });
});
