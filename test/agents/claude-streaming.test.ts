import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TaskBudget } from '../../src/agents/budget.js';
import { ClaudeClient, MAX_NON_STREAMING_TOKENS } from '../../src/agents/claude/client.js';
import { costOf } from '../../src/agents/claude/pricing.js';
import { FakeAnthropic, messageReply, replies, toolUseReply } from '../support/fake-anthropic.js';

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

const client = () =>
  new ClaudeClient({
    anthropic: new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 }),
    sleep: async () => {},
    random: () => 0,
  });

const request = (maxTokens: number) => ({
  max_tokens: maxTokens,
  messages: [{ role: 'user' as const, content: 'Write the whole report' }],
});

describe('long requests', () => {
  it('sends a request the SDK would refuse without streaming as a stream, and assembles the message', async () => {
    const usage = { input_tokens: 900, output_tokens: 40_000, cache_read_input_tokens: 100 };
    const text = `Report: ${'all quiet on every channel. '.repeat(20)}`;
    fake.enqueue((call) => messageReply(call, { text, usage }));
    const budget = new TaskBudget({ taskId: 'report-1', budgetUsd: 10 });

    const result = await client().message(request(64_000), { budget });

    expect(fake.messageCalls).toHaveLength(1);
    expect(fake.messageCalls[0]?.body).toMatchObject({ stream: true, max_tokens: 64_000 });
    expect(result.text).toBe(text);
    expect(result.usage).toMatchObject(usage);
    const cost = costOf(result.model, { ...usage, cache_creation_input_tokens: 0 }).usd;
    expect(result.costUsd).toBeCloseTo(cost, 12);
    expect(budget.spentUsd).toBeCloseTo(cost, 12);
  });

  it('assembles streamed tool calls with their whole input', async () => {
    const input = { to: 'team@example.com', subject: 'Weekly numbers', body: 'x'.repeat(300) };
    fake.enqueue((call) =>
      toolUseReply(call, { text: 'Sending it.', tools: [{ id: 'toolu_s1', name: 'send', input }] }),
    );

    const { message } = await client().message(request(MAX_NON_STREAMING_TOKENS + 1));

    expect(fake.messageCalls[0]?.body.stream).toBe(true);
    expect(message.stop_reason).toBe('tool_use');
    expect(JSON.parse(JSON.stringify(message.content))).toEqual([
      { type: 'text', text: 'Sending it.' },
      { type: 'tool_use', id: 'toolu_s1', name: 'send', input },
    ]);
  });

  it('keeps shorter requests unstreamed', async () => {
    await client().message(request(MAX_NON_STREAMING_TOKENS));
    expect(fake.messageCalls[0]?.body).not.toHaveProperty('stream');
  });

  it('retries a streamed request that failed like any other', async () => {
    fake.enqueue(replies.overloaded());
    const result = await client().message(request(64_000));
    expect(result).toMatchObject({ attempts: 2, text: 'Echo: Write the whole report' });
    expect(fake.messageCalls.map((call) => call.body.stream)).toEqual([true, true]);
  });
});
