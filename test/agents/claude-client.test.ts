import Anthropic from '@anthropic-ai/sdk';
import Keyv from 'keyv';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BudgetExceededError, type BudgetInfo, TaskBudget } from '../../src/agents/budget.js';
import { ClaudeClient, type ClaudeClientOptions, cachedSystem } from '../../src/agents/claude/client.js';
import { DEFAULT_MODEL } from '../../src/config.js';
import { ValidationError } from '../../src/errors.js';
import {
  type AnthropicCall,
  errorReply,
  FakeAnthropic,
  lastUserText,
  messageReply,
  replies,
} from '../support/fake-anthropic.js';
import { ManualClock } from '../support/manual-clock.js';
import { sdkDeprecatedModels, sdkModels } from './sdk-models.js';

let fake: FakeAnthropic;
let delays: number[];

beforeAll(async () => {
  fake = await FakeAnthropic.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  delays = [];
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A client on the fake whose backoff waits are only recorded, with no jitter. */
function client(options: ClaudeClientOptions = {}) {
  return new ClaudeClient({
    anthropic: new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 }),
    sleep: async (ms, signal) => {
      delays.push(ms);
      signal?.throwIfAborted();
    },
    random: () => 0,
    ...options,
  });
}

const ask = (content: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) => ({
  max_tokens: 256,
  messages: [{ role: 'user' as const, content }],
  ...extra,
});

/** Every reply carries this usage: on claude-sonnet-5-5 it costs $0.0109 (see the pricing test). */
const FIXED_USAGE = {
  input_tokens: 1200,
  output_tokens: 300,
  cache_creation_input_tokens: 2000,
  cache_read_input_tokens: 5000,
};
const fixedUsage = (call: AnthropicCall) => messageReply(call, { text: 'ok', usage: FIXED_USAGE });

describe('ClaudeClient.message', () => {
  it('sends the request to the Messages API and returns the answer with its usage and cost', async () => {
    const result = await client().message(ask('Plan the launch'));
    expect(result).toMatchObject({ text: 'Echo: Plan the launch', model: DEFAULT_MODEL, cached: false, attempts: 1 });
    expect(result.message.type).toBe('message');
    expect(result.usage.input_tokens).toBe(4);
    const [call] = fake.messageCalls;
    expect(call?.headers.authorization).toBe('Bearer test');
    expect(call?.body).toEqual({
      model: DEFAULT_MODEL,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Plan the launch' }],
    });
    // 4 input and 6 output tokens at $2 / $10 per million.
    expect(result.costUsd).toBeCloseTo((4 * 2 + 6 * 10) / 1e6, 12);
  });

  it('builds its own SDK client from apiKey and baseURL', async () => {
    await new ClaudeClient({ apiKey: 'sk-test-key', baseURL: fake.url }).message(ask('hi'));
    expect(fake.messageCalls[0]?.headers.authorization).toBe('Bearer sk-test-key');
  });

  it('computes the cost from the real usage, all four kinds of token', async () => {
    fake.reply = fixedUsage;
    const result = await client().message(ask('hi'));
    // 1200 × $2 + 300 × $10 + 2000 × $2.50 + 5000 × $0.10, per million tokens.
    expect(result.costUsd).toBeCloseTo(0.0109, 12);
    expect(result.cost.breakdown).toEqual({
      input: expect.closeTo(0.0024, 12),
      output: expect.closeTo(0.003, 12),
      cacheWrite: expect.closeTo(0.005, 12),
      cacheRead: expect.closeTo(0.0005, 12),
    });
  });

  it('marks a cached system prompt, which is written once and then read cheaply', async () => {
    const system = cachedSystem('You plan marketing campaigns. '.repeat(100));
    expect(system).toEqual([{ type: 'text', text: system[0]?.text, cache_control: { type: 'ephemeral' } }]);
    const claude = client();
    const first = await claude.message(ask('one', { system }));
    const second = await claude.message(ask('two', { system }));
    expect(fake.messageCalls[0]?.body.system[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(first.usage.cache_creation_input_tokens).toBe(750);
    expect(second.usage.cache_read_input_tokens).toBe(750);
    expect(second.costUsd).toBeLessThan(first.costUsd);
  });

  it('refuses a model without a price before calling the API', async () => {
    await expect(client().message(ask('hi', { model: 'claude-imaginary-9' }))).rejects.toThrow(ValidationError);
    expect(fake.calls).toHaveLength(0);
    expect(() => client({ model: 'claude-imaginary-9' })).toThrow(/claude-imaginary-9/);
    expect(() => client({ fallbackModel: 'claude-imaginary-8' })).toThrow(/claude-imaginary-8/);
  });
});

describe('retries', () => {
  it('retries a 429, waiting at least what retry-after asks', async () => {
    fake.enqueue(replies.rateLimited(2));
    const result = await client().message(ask('hi'));
    expect(result.attempts).toBe(2);
    expect(fake.messageCalls).toHaveLength(2);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(2000);
  });

  it('honours retry-after-ms', async () => {
    fake.enqueue(replies.rateLimited(0), {
      status: 429,
      headers: { 'retry-after-ms': '3500' },
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
    });
    await client().message(ask('hi'));
    // The first wait is the 1 s backoff (retry-after: 0 asks for less), the second what the header asked.
    expect(delays).toEqual([1000, 3500]);
  });

  it('honours retry-after given as an HTTP date', async () => {
    const clock = new ManualClock();
    fake.enqueue(
      errorReply(429, 'rate_limit_error', 'slow down', {
        'retry-after': new Date(clock.now() + 5000).toUTCString(),
      }),
    );
    await client({ clock }).message(ask('hi'));
    expect(delays).toEqual([5000]);
  });

  it('obeys x-should-retry: false', async () => {
    fake.enqueue(errorReply(500, 'api_error', 'do not retry this', { 'x-should-retry': 'false' }));
    await expect(client().message(ask('hi'))).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    expect(fake.messageCalls).toHaveLength(1);
  });

  it('retries 529 and 500 with exponential backoff, then succeeds', async () => {
    fake.enqueue(replies.overloaded(), replies.serverError());
    const result = await client().message(ask('hi'));
    expect(result.attempts).toBe(3);
    expect(fake.messageCalls).toHaveLength(3);
    expect(delays).toEqual([1000, 2000]);
  });

  it('takes up to a quarter off each wait as jitter, and caps it', async () => {
    fake.enqueue(...Array.from({ length: 7 }, replies.serverError));
    await client({ random: () => 0.5, retries: 7 }).message(ask('hi'));
    expect(delays).toEqual([875, 1750, 3500, 7000, 14_000, 26_250, 26_250]);
  });

  it('retries a dropped connection', async () => {
    fake.enqueue(replies.drop());
    const result = await client().message(ask('hi'));
    expect(result.attempts).toBe(2);
    expect(fake.messageCalls).toHaveLength(2);
  });

  it('does not retry a 400', async () => {
    fake.enqueue(replies.badRequest('max_tokens: too large'));
    await expect(client().message(ask('hi'))).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    expect(fake.messageCalls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('gives up after the configured retries with the last error', async () => {
    fake.reply = () => replies.serverError();
    await expect(client({ retries: 2 }).message(ask('hi'))).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    expect(fake.messageCalls).toHaveLength(3);
    expect(delays).toEqual([1000, 2000]);
  });

  it('is the only retry layer, even over an SDK client that retries by itself', async () => {
    fake.reply = () => replies.serverError();
    const claude = new ClaudeClient({ anthropic: new Anthropic({ apiKey: 'test', baseURL: fake.url }), retries: 0 });
    await expect(claude.message(ask('hi'))).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    expect(fake.messageCalls).toHaveLength(1);
  });

  it('stops a backoff wait when the signal aborts', async () => {
    fake.enqueue(replies.serverError());
    const claude = new ClaudeClient({
      anthropic: new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 }),
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
    });
    const controller = new AbortController();
    const started = Date.now();
    const pending = claude.message(ask('hi'), { signal: controller.signal });
    await vi.waitFor(() => expect(fake.messageCalls).toHaveLength(1));
    controller.abort(new Error('task cancelled'));
    await expect(pending).rejects.toThrow('task cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(fake.messageCalls).toHaveLength(1);
  });

  it('passes the signal to the request itself', async () => {
    fake.reply = (call) => messageReply(call, { text: 'late', delayMs: 5000 });
    const controller = new AbortController();
    const pending = client().message(ask('hi'), { signal: controller.signal });
    await vi.waitFor(() => expect(fake.inFlight).toBe(1));
    controller.abort(new Error('task cancelled'));
    await expect(pending).rejects.toThrow('task cancelled');
    expect(delays).toEqual([]);
  });
});

describe('fallback model', () => {
  it('tries the fallback once the primary model stays overloaded', async () => {
    fake.reply = (call) => (call.model === DEFAULT_MODEL ? replies.overloaded() : fake.defaultReply(call));
    const result = await client({ retries: 2, fallbackModel: 'claude-haiku-5-5' }).message(ask('hi'));
    expect(result.model).toBe('claude-haiku-5-5');
    expect(result.attempts).toBe(4);
    expect(fake.messageCalls.map((call) => call.model)).toEqual([
      DEFAULT_MODEL,
      DEFAULT_MODEL,
      DEFAULT_MODEL,
      'claude-haiku-5-5',
    ]);
    // Priced as the model that answered: 1 input and 2 output tokens at $0.10 / $0.50 per million.
    expect(result.costUsd).toBeCloseTo((1 * 0.1 + 2 * 0.5) / 1e6, 12);
  });

  it('does not fall back on other failures', async () => {
    fake.reply = () => replies.serverError();
    await expect(client({ retries: 1, fallbackModel: 'claude-haiku-5-5' }).message(ask('hi'))).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    expect(fake.messageCalls.map((call) => call.model)).toEqual([DEFAULT_MODEL, DEFAULT_MODEL]);
  });
});

describe('response cache', () => {
  it('answers a repeated request from the cache, at no cost', async () => {
    const cache = new Keyv();
    const set = vi.spyOn(cache, 'set');
    const budget = new TaskBudget({ taskId: 'task-1', budgetUsd: 1 });
    const claude = client({ cache });
    fake.reply = fixedUsage;
    const first = await claude.message(ask('hi', { stop_sequences: ['END'], metadata: { user_id: 'u-1' } }), {
      budget,
    });
    const second = await claude.message(
      {
        metadata: { user_id: 'u-1' },
        stop_sequences: ['END'],
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 256,
      },
      { budget },
    );
    expect(fake.messageCalls).toHaveLength(1);
    expect(second).toMatchObject({ cached: true, costUsd: 0, attempts: 0, text: first.text, model: DEFAULT_MODEL });
    expect(budget.spentUsd).toBeCloseTo(first.costUsd, 12);
    expect(set).toHaveBeenCalledWith(expect.stringMatching(/^[0-9a-f]{64}$/), expect.anything(), 24 * 60 * 60 * 1000);
  });

  it('keys on every parameter of the request', async () => {
    const claude = client({ cache: new Keyv() });
    await claude.message(ask('hi'));
    await claude.message(ask('hi', { stop_sequences: ['END'] }));
    await claude.message(ask('hi', { system: 'Be brief.' }));
    await claude.message(ask('hi', { model: 'claude-haiku-5-5' }));
    await claude.message(ask('hi', { max_tokens: 512 }));
    await claude.message(ask('hi', { metadata: { user_id: 'u-2' } }));
    await claude.message(ask('hi', { output_config: { effort: 'low' } }));
    expect(fake.messageCalls).toHaveLength(7);
  });

  it('forgets an answer after cacheTtlMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const claude = client({ cache: new Keyv(), cacheTtlMs: 60_000 });
      await claude.message(ask('hi'));
      vi.setSystemTime(Date.now() + 59_000);
      expect((await claude.message(ask('hi'))).cached).toBe(true);
      vi.setSystemTime(Date.now() + 2000);
      expect((await claude.message(ask('hi'))).cached).toBe(false);
      expect(fake.messageCalls).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('neither reads nor writes the cache for a sensitive request', async () => {
    const cache = new Keyv();
    const claude = client({ cache });
    await claude.message({ ...ask('salary data'), sensitive: true });
    await claude.message({ ...ask('salary data'), sensitive: true });
    expect(fake.messageCalls).toHaveLength(2);
    expect(fake.messageCalls[0]?.body).not.toHaveProperty('sensitive');
    // Not written either: the same request, not sensitive, is a miss.
    expect((await claude.message(ask('salary data'))).cached).toBe(false);
  });

  it('does not keep an answer from the fallback model', async () => {
    fake.enqueue(replies.overloaded());
    const claude = client({ cache: new Keyv(), retries: 0, fallbackModel: 'claude-haiku-5-5' });
    expect((await claude.message(ask('hi'))).model).toBe('claude-haiku-5-5');
    const again = await claude.message(ask('hi'));
    expect(again).toMatchObject({ cached: false, model: DEFAULT_MODEL });
  });
});

describe('budget', () => {
  it('warns past 80 %, lets the call that reaches 100 % through, then stops without a request', async () => {
    fake.reply = fixedUsage;
    const onWarning = vi.fn<(info: BudgetInfo) => void>();
    const onExceeded = vi.fn<(info: BudgetInfo) => void>();
    // Each call costs $0.0109: 27 %, 54.5 %, 81.75 %, then 109 % of $0.04.
    const budget = new TaskBudget({ taskId: 'task-7', budgetUsd: 0.04, onWarning, onExceeded });
    const claude = client();
    for (let i = 0; i < 2; i++) await claude.message(ask(`call ${i}`), { budget });
    expect(onWarning).not.toHaveBeenCalled();
    await claude.message(ask('call 2'), { budget });
    expect(onWarning).toHaveBeenCalledTimes(1);
    expect(onExceeded).not.toHaveBeenCalled();

    const crossing = await claude.message(ask('call 3'), { budget });
    expect(crossing.text).toBe('ok');
    expect(onExceeded).toHaveBeenCalledTimes(1);
    expect(onExceeded.mock.calls[0]?.[0]).toMatchObject({ taskId: 'task-7', percent: expect.closeTo(109, 6) });

    await expect(claude.message(ask('call 4'), { budget })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake.messageCalls).toHaveLength(4);
    expect(onWarning).toHaveBeenCalledTimes(1);
    expect(onExceeded).toHaveBeenCalledTimes(1);
  });
});

describe('ClaudeClient.batch', () => {
  it('keeps the input order with at most `concurrency` requests in flight', async () => {
    // Earlier prompts answer more slowly, so answers arrive out of order.
    fake.reply = (call) => {
      const n = Number(lastUserText(call.body).split(' ')[1]);
      return n === 3 ? replies.badRequest() : messageReply(call, { text: `answer ${n}`, delayMs: 60 - n * 10 });
    };
    const results = await client().batch(
      Array.from({ length: 6 }, (_, n) => ask(`prompt ${n}`)),
      { concurrency: 2 },
    );
    expect(results.map((r) => ('error' in r ? 'error' : r.text))).toEqual([
      'answer 0',
      'answer 1',
      'answer 2',
      'error',
      'answer 4',
      'answer 5',
    ]);
    expect(results[3]).toEqual({ error: expect.any(Anthropic.BadRequestError) });
    expect(fake.maxInFlight).toBe(2);
  });

  it('stops the rest of a batch once the budget is spent', async () => {
    fake.reply = fixedUsage;
    const budget = new TaskBudget({ taskId: 'task-8', budgetUsd: 0.02 });
    const results = await client().batch(
      Array.from({ length: 4 }, (_, n) => ask(`prompt ${n}`)),
      { concurrency: 1, budget },
    );
    expect(results.map((r) => ('error' in r ? r.error instanceof BudgetExceededError : r.costUsd > 0))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(fake.messageCalls).toHaveLength(2);
  });
});

describe('default model', () => {
  it('is in the SDK model list and draws no deprecation warning', async () => {
    expect(sdkModels()).toContain(DEFAULT_MODEL);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await client().message(ask('hi'));
    expect(warn).not.toHaveBeenCalled();
    expect(sdkDeprecatedModels()).not.toHaveProperty(DEFAULT_MODEL);
    // The spy does see the SDK's warning for a deprecated model (priced by the caller: the table holds none).
    const [deprecated] = Object.keys(sdkDeprecatedModels());
    const price = { input: 1, output: 1, cacheWrite: 1, cacheRead: 1 };
    await client({ prices: { [deprecated!]: price } }).message(ask('hi', { model: deprecated }));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('deprecated'));
  });
});

describe('logging', () => {
  it('logs each call at DEBUG with task, model, masked prompt preview, tokens, cost and attempts', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    fake.enqueue(replies.serverError());
    const secret = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz';
    await client({ logger }).message(ask(`Use key ${secret} to ${'x'.repeat(400)}`), { taskId: 'task-9' });
    const line = lines.find((entry) => entry.event === 'claude_call');
    expect(line).toMatchObject({ level: 20, taskId: 'task-9', model: DEFAULT_MODEL, attempts: 2, cached: false });
    expect(line).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(line?.costUsd).toBeGreaterThan(0);
    const preview = String(line?.promptPreview);
    expect(preview).not.toContain('abcdefghij');
    expect(preview).toContain('sk-ant-***');
    expect(preview.length).toBeLessThanOrEqual(200);
    expect(lines.some((entry) => entry.event === 'claude_retry')).toBe(true);

    lines.length = 0;
    await client({ logger }).message({ ...ask(`secret plans ${secret}`), sensitive: true });
    expect(lines.find((entry) => entry.event === 'claude_call')?.promptPreview).toBe('[sensitive]');
  });
});
