import { generateText, type ModelMessage, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { gatehouseToolApprovals } from '../../src/adapters/ai-sdk/index.js';
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

type CallOptions = Parameters<MockLanguageModelV3['doGenerate']>[0];
type GenerateResult = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>;

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

/** What the model was told about `toolCallId` in the prompt of a call, if anything. */
function toolOutput(options: CallOptions, toolCallId: string): unknown {
  for (const message of options.prompt) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type === 'tool-result' && part.toolCallId === toolCallId) return part.output;
    }
  }
  return undefined;
}

/** `ai/test`'s mock model: calls `refund` until it sees the call's result, then says what it saw. */
function mockModel(toolCallId: string) {
  return new MockLanguageModelV3({
    doGenerate: async (options): Promise<GenerateResult> => {
      const output = toolOutput(options, toolCallId);
      if (output === undefined) {
        return {
          content: [{ type: 'tool-call', toolCallId, toolName: 'refund', input: '{"orderId":"A-12","usd":120}' }],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage,
          warnings: [],
        };
      }
      return {
        content: [{ type: 'text', text: `Saw: ${JSON.stringify(output)}` }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage,
        warnings: [],
      };
    },
  });
}

type Refund = { orderId: string; usd: number };

/** One "process": a Gatehouse-approved refund tool and a conversation driven to its end. */
function boot(runId: string, refunds: Refund[], signal?: AbortSignal) {
  const approvals = gatehouseToolApprovals({ client, runId, signal, approvers: ['U0ALICE'] });
  const tools = approvals.tools({
    refund: tool({
      description: 'Refunds an order.',
      inputSchema: z.object({ orderId: z.string(), usd: z.number().positive() }),
      needsApproval: true,
      execute: async (input: Refund) => {
        refunds.push(input);
        return `refunded $${input.usd} on ${input.orderId}`;
      },
    }),
  });
  const converse = async (model: MockLanguageModelV3, messages: ModelMessage[]) => {
    for (;;) {
      const result = await generateText({ model, tools, messages });
      messages.push(...result.response.messages);
      const answer = await approvals.respond(result);
      if (!answer) return { text: result.text, messages };
      messages.push(answer);
    }
  };
  return { approvals, converse };
}

const asked = (id: string) =>
  eventually(
    () => g.gatehouse.gate.get(id).catch(() => null),
    (record) => record?.message != null,
    15_000,
  ) as Promise<ApprovalRecord>;

const prompt = (): ModelMessage[] => [{ role: 'user', content: 'Refund order A-12' }];

describe.concurrent('Vercel AI SDK through Gatehouse', () => {
  it('answers the approval request and runs an edited input through the wrapped execute', async () => {
    const refunds: Refund[] = [];
    const model = mockModel('call_ai_edit');
    const run = boot('ai-edit', refunds).converse(model, prompt());
    const record = await asked('ai-edit:call_ai_edit');
    expect(record).toMatchObject({ context: { tool: 'refund', orderId: 'A-12', usd: 120 }, requestedBy: 'ai-sdk' });
    expect(record.modificationsSchema).toMatchObject({ properties: { usd: { type: 'number' } } });
    await client.decide(record.id, {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      modifications: { orderId: 'A-12', usd: 40 },
    });
    const { text, messages } = await run;

    expect(refunds).toEqual([{ orderId: 'A-12', usd: 40 }]);
    expect(text).toContain('U0ALICE approved this call with changes');
    expect(text).toContain('usd: 120 → 40');
    expect(text).toContain('refunded $40 on A-12');
    const responses = messages.flatMap((m) => (m.role === 'tool' ? m.content : []));
    expect(responses).toContainEqual(expect.objectContaining({ type: 'tool-approval-response', approved: true }));
  });

  it('denies a rejected call with the reason the model then reads', async () => {
    const refunds: Refund[] = [];
    const model = mockModel('call_ai_reject');
    const run = boot('ai-reject', refunds).converse(model, prompt());
    const record = await asked('ai-reject:call_ai_reject');
    await client.decide(record.id, { decision: 'reject', decidedBy: 'U0BOB', feedback: 'Already refunded' });
    const { text } = await run;

    expect(refunds).toEqual([]);
    expect(text).toContain('execution-denied');
    expect(text).toContain('Not run: U0BOB rejected this call. Their reason: \\"Already refunded\\"');
  });

  it('picks up the same approval from a fresh process after a crash, approved by a Slack click', async () => {
    const refunds: Refund[] = [];
    const stop = new AbortController();
    const messages = prompt();
    const run = boot('ai-crash', refunds, stop.signal).converse(mockModel('call_ai_crash'), messages);
    const record = await asked('ai-crash:call_ai_crash');
    stop.abort(new Error('process died'));
    await expect(run).rejects.toThrow('process died');

    const click = blockActionsPayload({ actionId: ActionId.Approve, value: record.id, messageTs: record.message!.ts });
    expect((await g.slackPost(click)).status).toBe(200);
    // The conversation as stored before the crash: the user's message and the model's approval request.
    const { text } = await boot('ai-crash', refunds).converse(mockModel('call_ai_crash'), prompt());

    expect(refunds).toEqual([{ orderId: 'A-12', usd: 120 }]);
    expect(text).toBe('Saw: {"type":"text","value":"refunded $120 on A-12"}');
    const posts = g.slack!.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body).includes('ai-crash:'));
    expect(posts).toHaveLength(1);
  });
});
