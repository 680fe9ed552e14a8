import Anthropic from '@anthropic-ai/sdk';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../clock.js';
import { DEFAULT_MODEL } from '../../config.js';
import type { TaskBudget } from '../budget.js';
import { logClaudeCall } from '../logger.js';
import { requestCacheKey } from './cache-key.js';
import { mapWithConcurrency } from './pool.js';
import { type Cost, costOf, findPrice, type ModelPrice, priceOf } from './pricing.js';
import { defaultSleep, isOverloaded, type RetryPolicy, type Sleep, withRetries } from './retry.js';

export interface ClaudeClientOptions {
  /** A ready SDK client; it is always called with `maxRetries: 0`, since retrying is done here. */
  anthropic?: Anthropic;
  /** For the client built when `anthropic` is not given. */
  apiKey?: string;
  baseURL?: string;
  /** Model of requests that name none; default DEFAULT_MODEL. */
  model?: string;
  /** Tried once (with the same retries) when the requested model stays overloaded. */
  fallbackModel?: string;
  /** Response cache (e.g. `store.keyv('claude-cache')`); off when absent. */
  cache?: Keyv;
  /** How long a cached response is served; default 24 h. */
  cacheTtlMs?: number;
  /** Retries after the first attempt; default 5. */
  retries?: number;
  /** Wait before the first retry; default 1 s, doubling each time. */
  baseDelayMs?: number;
  /** Longest computed wait; default 30 s (a longer `retry-after` is still honoured). */
  maxDelayMs?: number;
  /** Per-attempt timeout in ms; default the SDK's. */
  timeoutMs?: number;
  /** Prices added to or overriding the built-in table, by model id. */
  prices?: Record<string, ModelPrice>;
  /** Price of models in neither table; without it such a model is refused before any call. */
  defaultPrice?: ModelPrice;
  clock?: Clock;
  logger?: Logger;
  sleep?: Sleep;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

/** A Messages API request; `model` defaults to the client's, and `sensitive` turns the cache off. */
export type ClaudeRequest = Omit<Anthropic.MessageCreateParamsNonStreaming, 'model'> & {
  model?: Anthropic.Model;
  /** Neither read from nor written to the response cache, and kept out of the logs. */
  sensitive?: boolean;
};

export interface CallOptions {
  /** Checked before the call, charged after it. */
  budget?: TaskBudget;
  /** Cancels the request and any wait between retries. */
  signal?: AbortSignal;
  /** For the log line; defaults to the budget's task id. */
  taskId?: string;
}

/** What a call returns. */
export interface ClaudeResult {
  message: Anthropic.Message;
  /** The text blocks of the answer, joined. */
  text: string;
  /** The response's usage; for a cached answer, that of the call that first got it. */
  usage: Anthropic.Usage;
  /** What this call cost: 0 for a cached answer. */
  costUsd: number;
  cost: Cost;
  /** The model that answered: the requested one or the fallback. */
  model: string;
  cached: boolean;
  /** HTTP attempts made, over both models; 0 for a cached answer. */
  attempts: number;
}

/** One entry of `batch`: its result, or what it failed with. */
export type BatchResult = ClaudeResult | { error: unknown };

interface CachedAnswer {
  message: Anthropic.Message;
  model: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The SDK refuses a non-streaming request it expects to take over 10 minutes: one asking for
 * more than 128,000 tokens an hour × 10 minutes. Longer ones are streamed and assembled instead.
 */
export const MAX_NON_STREAMING_TOKENS = Math.floor((128_000 * 10) / 60);
const FREE: Cost = { usd: 0, breakdown: { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 } };

/** A system prompt as one block marked for prompt caching, for long prompts reused across calls. */
export function cachedSystem(text: string): Anthropic.TextBlockParam[] {
  return [{ type: 'text', text, cache_control: { type: 'ephemeral' } }];
}

/**
 * The Claude client agents use: one retry layer with backoff, a fallback model, a response cache,
 * cost from each response's real usage, and the task budget checked before and charged after.
 */
export class ClaudeClient {
  readonly model: string;
  readonly fallbackModel: string | undefined;
  readonly #anthropic: Anthropic;
  readonly #cache: Keyv | undefined;
  readonly #cacheTtlMs: number;
  // `maxRetries: 0` on every call keeps this the only retry layer, whatever client was passed in.
  readonly #requestOptions: { maxRetries: 0; timeout?: number };
  readonly #pricing: { prices?: Record<string, ModelPrice>; defaultPrice?: ModelPrice };
  readonly #policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;

  constructor(options: ClaudeClientOptions = {}) {
    const { retries = 5, baseDelayMs = 1000, maxDelayMs = 30_000, cacheTtlMs = DAY_MS } = options;
    checkOption('retries', retries, 0, true);
    checkOption('baseDelayMs', baseDelayMs, 0);
    checkOption('maxDelayMs', maxDelayMs, baseDelayMs);
    checkOption('cacheTtlMs', cacheTtlMs, 1);
    this.#anthropic =
      options.anthropic ?? new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0 });
    this.model = options.model ?? DEFAULT_MODEL;
    this.fallbackModel = options.fallbackModel;
    this.#cache = options.cache;
    this.#cacheTtlMs = cacheTtlMs;
    // An explicit `timeout: undefined` would replace the SDK's own default, so it is left out.
    this.#requestOptions =
      options.timeoutMs === undefined ? { maxRetries: 0 } : { maxRetries: 0, timeout: options.timeoutMs };
    this.#pricing = { prices: options.prices, defaultPrice: options.defaultPrice };
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#policy = {
      retries,
      baseDelayMs,
      maxDelayMs,
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
      now: () => this.#clock.now(),
    };
    // A model without a price would make every call's cost unknown: refuse it now, not after paying.
    priceOf(this.model, this.#pricing);
    if (this.fallbackModel) priceOf(this.fallbackModel, this.#pricing);
  }

  /**
   * Sends one request (see the class comment for what happens around it); one whose `max_tokens`
   * exceeds MAX_NON_STREAMING_TOKENS is streamed, and resolves with the assembled message.
   */
  async message(request: ClaudeRequest, options: CallOptions = {}): Promise<ClaudeResult> {
    const { sensitive = false, ...params } = request;
    const body: Anthropic.MessageCreateParamsNonStreaming = { ...params, model: params.model ?? this.model };
    const { budget, signal } = options;
    budget?.check();
    signal?.throwIfAborted();
    priceOf(body.model, this.#pricing);
    const log = { taskId: options.taskId ?? budget?.taskId, prompt: sensitive ? '[sensitive]' : promptOf(body) };
    const key = this.#cache && !sensitive ? requestCacheKey(body) : undefined;

    const hit = key === undefined ? undefined : await this.#read(key);
    if (hit) {
      const result = resultOf(hit.message, hit.model, FREE, true, 0);
      this.#logCall(result, log, 0);
      return result;
    }

    const started = this.#clock.now();
    const { message, model, attempts } = await this.#send(body, signal, log.taskId);
    // Priced as the model that answered; an id missing from the tables is priced as the one asked for.
    const priced = findPrice(message.model, this.#pricing.prices) ? message.model : model;
    const cost = costOf(priced, message.usage, this.#pricing);
    const result = resultOf(message, model, cost, false, attempts);
    // Only answers of the model asked for are kept: a fallback answer is not served once it recovers.
    // Stored before the budget is charged, so an answer already paid for is not paid for again on resume.
    if (key !== undefined && model === body.model) await this.#write(key, { message, model });
    this.#logCall(result, log, this.#clock.now() - started);
    budget?.record(cost.usd);
    return result;
  }

  /**
   * Sends many requests, at most `concurrency` (default 4) at a time; each entry of the result is
   * the result or the error of the request at the same index.
   */
  async batch(
    requests: readonly ClaudeRequest[],
    { concurrency = 4, ...options }: CallOptions & { concurrency?: number } = {},
  ): Promise<BatchResult[]> {
    return mapWithConcurrency(requests, concurrency, async (request): Promise<BatchResult> => {
      try {
        return await this.message(request, options);
      } catch (error) {
        return { error };
      }
    });
  }

  async #send(body: Anthropic.MessageCreateParamsNonStreaming, signal: AbortSignal | undefined, taskId?: string) {
    let attempts = 0;
    const streamed = body.max_tokens > MAX_NON_STREAMING_TOKENS;
    const request = (model: string): Promise<Anthropic.Message> =>
      streamed
        ? this.#anthropic.messages.stream({ ...body, model }, { ...this.#requestOptions, signal }).finalMessage()
        : this.#anthropic.messages.create({ ...body, model }, { ...this.#requestOptions, signal });
    const call = (model: string) =>
      withRetries(() => request(model), this.#policy, {
        signal,
        onAttempt: () => attempts++,
        onRetry: ({ attempt, error, delayMs }) =>
          this.#logger?.debug({ event: 'claude_retry', taskId, model, attempt, delayMs, err: error }, 'claude retry'),
      });
    try {
      return { message: await call(body.model), model: body.model, attempts };
    } catch (error) {
      const fallback = this.fallbackModel;
      if (!fallback || fallback === body.model || !isOverloaded(error)) throw error;
      this.#logger?.warn(
        { event: 'claude_fallback', taskId, model: body.model, fallbackModel: fallback, attempts },
        'claude model overloaded, trying the fallback model',
      );
      return { message: await call(fallback), model: fallback, attempts };
    }
  }

  async #read(key: string): Promise<CachedAnswer | undefined> {
    try {
      return (await this.#cache?.get<CachedAnswer>(key)) ?? undefined;
    } catch (error) {
      // A cache that fails costs money, not correctness: ask the API instead.
      this.#logger?.warn({ event: 'claude_cache_error', err: error }, 'claude response cache read failed');
      return undefined;
    }
  }

  async #write(key: string, answer: CachedAnswer): Promise<void> {
    try {
      await this.#cache?.set(key, answer, this.#cacheTtlMs);
    } catch (error) {
      this.#logger?.warn({ event: 'claude_cache_error', err: error }, 'claude response cache write failed');
    }
  }

  #logCall(result: ClaudeResult, log: { taskId: string | undefined; prompt: string }, durationMs: number): void {
    if (!this.#logger?.isLevelEnabled('debug')) return;
    logClaudeCall(this.#logger.child({ taskId: log.taskId, attempts: result.attempts }), {
      model: result.model,
      ...tokenCounts(result.usage),
      costUsd: result.costUsd,
      prompt: log.prompt,
      durationMs,
      cached: result.cached,
    });
  }
}

function resultOf(
  message: Anthropic.Message,
  model: string,
  cost: Cost,
  cached: boolean,
  attempts: number,
): ClaudeResult {
  const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  return { message, text, usage: message.usage, costUsd: cost.usd, cost, model, cached, attempts };
}

/** The text of the last user message, for the log preview. */
function promptOf(body: Anthropic.MessageCreateParamsNonStreaming): string {
  const last = body.messages.findLast((message) => message.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((block) => (block.type === 'text' ? block.text : '')).join(' ');
}

function checkOption(name: string, value: number, min: number, integer = false): void {
  if (!(Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value)))) {
    throw new TypeError(`Expected \`${name}\` to be ${integer ? 'an integer' : 'a number'} ≥ ${min}.`);
  }
}

/** The four token counts of a response's `usage`, named as logs and results show them. */
export function tokenCounts(usage: ClaudeResult['usage']) {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
  };
}
