import { ValidationError } from '../../errors.js';

/** Rates of one model in USD per million tokens. */
export interface ModelRates {
  input: number;
  output: number;
  /** Writing the prompt cache with the default 5-minute lifetime. */
  cacheWrite: number;
  cacheRead: number;
  /** Writing the prompt cache with a 1-hour lifetime; 2 × `input` when absent. */
  cacheWrite1h?: number;
}

/** A model's price: its rates, and higher rates for every token of a request with a long prompt. */
export interface ModelPrice extends ModelRates {
  /** Applies when input + cache write + cache read tokens exceed `thresholdTokens`. */
  longPrompt?: ModelRates & { thresholdTokens: number };
}

/** The token counts of a response's `usage` that cost money. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  /** Splits the cache writes by lifetime, when the API reports it. */
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } | null;
}

/** What a response cost, in USD, by kind of token. */
export interface Cost {
  usd: number;
  breakdown: { input: number; output: number; cacheWrite: number; cacheRead: number };
}

/** Prices the caller adds or overrides (by model id), and the price of any model still unknown. */
export interface PricingOptions {
  prices?: Record<string, ModelPrice>;
  defaultPrice?: ModelPrice;
}

/** The usual rates: a cache write costs 1.25 × input and a cache read 0.1 × input. */
function standard(input: number, output: number): ModelPrice {
  return { input, output, cacheWrite: input * 1.25, cacheRead: input * 0.1 };
}

const FABLE_5 = standard(10, 50);
const FABLE_5_1: ModelPrice = { ...FABLE_5, cacheRead: 0.25 };
const FABLE_5_2: ModelPrice = { ...standard(8, 40), cacheRead: 0.2 };
const OPUS = standard(5, 25);
const SONNET_4 = standard(3, 15);
const SONNET_5 = standard(2, 10);
const HAIKU_4_5 = standard(1, 5);

/**
 * Anthropic's list prices (USD per million tokens) for the models of the SDK's `Model` union that
 * the SDK does not mark deprecated (a retired or retiring model is priced only through `prices`).
 * Cache reads of Fable and Mythos 5.1 and 5.2, Opus 5.5 and Sonnet 5.5 are priced below the usual
 * 0.1 × input; Haiku 5.5 costs five times as much for a prompt over 100,000 tokens. Mythos models
 * share the prices of the Fable model of the same version.
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-fable-5-2': FABLE_5_2,
  'claude-mythos-5-2': FABLE_5_2,
  'claude-fable-5-1': FABLE_5_1,
  'claude-mythos-5-1': FABLE_5_1,
  'claude-fable-5': FABLE_5,
  'claude-mythos-5': FABLE_5,
  'claude-opus-5-5': { ...standard(4, 20), cacheRead: 0.2 },
  'claude-opus-5': OPUS,
  'claude-opus-4-8': OPUS,
  'claude-opus-4-7': OPUS,
  'claude-opus-4-6': OPUS,
  'claude-sonnet-5-5': { ...SONNET_5, cacheRead: 0.1 },
  'claude-sonnet-5': SONNET_5,
  'claude-sonnet-4-6': SONNET_4,
  'claude-haiku-5-5': {
    ...standard(0.1, 0.5),
    cacheRead: 0.01,
    longPrompt: { ...standard(0.5, 2.5), cacheRead: 0.05, thresholdTokens: 100_000 },
  },
  'claude-haiku-4-5': HAIKU_4_5,
};

/** A dated snapshot id (`claude-haiku-4-5-20251001`) is priced as its alias. */
const SNAPSHOT_DATE = /-\d{8}$/;

/** The price of `model`: the caller's table first, then ours; a snapshot id falls back to its alias. */
export function findPrice(model: string, prices: Record<string, ModelPrice> = {}): ModelPrice | undefined {
  for (const id of [model, model.replace(SNAPSHOT_DATE, '')]) {
    const price = prices[id] ?? DEFAULT_PRICES[id];
    if (price) return price;
  }
  return undefined;
}

/** Like `findPrice`, but an unknown model without a `defaultPrice` is a ValidationError naming it. */
export function priceOf(model: string, options: PricingOptions = {}): ModelPrice {
  const price = findPrice(model, options.prices) ?? options.defaultPrice;
  if (price) return price;
  throw new ValidationError([
    {
      field: 'model',
      message: `no price for ${JSON.stringify(model)}: add it to \`prices\` or pass a \`defaultPrice\``,
    },
  ]);
}

/** The cost of one response from its real `usage`, every kind of token included. */
export function costOf(model: string, usage: TokenUsage, options: PricingOptions = {}): Cost {
  const price = priceOf(model, options);
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const prompt = usage.input_tokens + cacheWrite + cacheRead;
  const long = price.longPrompt;
  const rates: ModelRates = long && prompt > long.thresholdTokens ? long : price;
  // Tokens written with a 1-hour lifetime cost more; the rest of the writes are 5-minute ones.
  const written1h = Math.min(usage.cache_creation?.ephemeral_1h_input_tokens ?? 0, cacheWrite);
  const perToken = (rate: number) => rate / 1_000_000;
  const breakdown = {
    input: usage.input_tokens * perToken(rates.input),
    output: usage.output_tokens * perToken(rates.output),
    cacheWrite:
      (cacheWrite - written1h) * perToken(rates.cacheWrite) +
      written1h * perToken(rates.cacheWrite1h ?? rates.input * 2),
    cacheRead: cacheRead * perToken(rates.cacheRead),
  };
  return { usd: breakdown.input + breakdown.output + breakdown.cacheWrite + breakdown.cacheRead, breakdown };
}
