import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICES, priceOf } from '../../src/agents/claude/pricing.js';
import { DEFAULT_MODEL } from '../../src/config.js';
import { ErrorCode, ValidationError } from '../../src/errors.js';
import { sdkDeprecatedModels, sdkModels } from './sdk-models.js';

const usage = (u: Partial<Parameters<typeof costOf>[1]>) => ({ input_tokens: 0, output_tokens: 0, ...u });

describe('price table', () => {
  it('prices every model of the SDK Model union the SDK does not mark deprecated, the default model included', () => {
    const deprecated = sdkDeprecatedModels();
    const missing = sdkModels().filter((model) => {
      if (model in deprecated) return false;
      try {
        priceOf(model);
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
    expect(sdkModels()).toContain(DEFAULT_MODEL);
    expect(deprecated).not.toHaveProperty(DEFAULT_MODEL);
  });

  it('holds no model the SDK marks deprecated or no longer lists', () => {
    const deprecated = sdkDeprecatedModels();
    const listed = new Set(sdkModels());
    expect(Object.keys(deprecated).length).toBeGreaterThan(0);
    expect(Object.keys(DEFAULT_PRICES).filter((model) => model in deprecated || !listed.has(model))).toEqual([]);
  });

  it('charges 1.25 × input for a cache write, and at most 0.1 × input for a cache read', () => {
    for (const [model, price] of Object.entries(DEFAULT_PRICES)) {
      expect(price.cacheWrite, model).toBeCloseTo(price.input * 1.25, 10);
      expect(price.cacheRead, model).toBeLessThanOrEqual(price.input * 0.1 + 1e-12);
    }
  });

  it('holds the published list prices', () => {
    expect(DEFAULT_PRICES['claude-sonnet-5-5']).toMatchObject({
      input: 2,
      output: 10,
      cacheWrite: 2.5,
      cacheRead: 0.1,
    });
    expect(DEFAULT_PRICES['claude-opus-4-8']).toMatchObject({ input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 });
    expect(DEFAULT_PRICES['claude-haiku-4-5']).toMatchObject({ input: 1, output: 5 });
  });
});

describe('costOf', () => {
  it('adds up all four kinds of token at the model rates', () => {
    // claude-sonnet-5-5: $2 input, $10 output, $2.50 cache write, $0.10 cache read per million.
    const cost = costOf(
      'claude-sonnet-5-5',
      usage({
        input_tokens: 1200,
        output_tokens: 300,
        cache_creation_input_tokens: 2000,
        cache_read_input_tokens: 5000,
      }),
    );
    expect(cost.breakdown.input).toBeCloseTo(0.0024, 12);
    expect(cost.breakdown.output).toBeCloseTo(0.003, 12);
    expect(cost.breakdown.cacheWrite).toBeCloseTo(0.005, 12);
    expect(cost.breakdown.cacheRead).toBeCloseTo(0.0005, 12);
    expect(cost.usd).toBeCloseTo(0.0109, 12);
  });

  it('treats null cache counts as zero', () => {
    const cost = costOf(
      'claude-opus-4-8',
      usage({
        input_tokens: 1_000_000,
        output_tokens: 0,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
      }),
    );
    expect(cost.usd).toBeCloseTo(5, 12);
  });

  it('charges 1-hour cache writes at 2 × input', () => {
    // 600 of the 1000 written tokens have a 1-hour lifetime: 400 × $6.25 + 600 × $10 per million.
    const cost = costOf(
      'claude-opus-4-8',
      usage({
        cache_creation_input_tokens: 1000,
        cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 600 },
      }),
    );
    expect(cost.breakdown.cacheWrite).toBeCloseTo((400 * 6.25 + 600 * 10) / 1e6, 12);
  });

  it('bills every token of a long Haiku 5.5 prompt at the higher rates', () => {
    const short = costOf('claude-haiku-5-5', usage({ input_tokens: 100_000, output_tokens: 1000 }));
    expect(short.usd).toBeCloseTo((100_000 * 0.1 + 1000 * 0.5) / 1e6, 12);
    const long = costOf(
      'claude-haiku-5-5',
      usage({ input_tokens: 90_000, cache_read_input_tokens: 20_000, output_tokens: 1000 }),
    );
    expect(long.usd).toBeCloseTo((90_000 * 0.5 + 20_000 * 0.05 + 1000 * 2.5) / 1e6, 12);
  });

  it('prices a dated snapshot id as its alias', () => {
    const cost = costOf('claude-haiku-4-5-20251001', usage({ input_tokens: 1_000_000 }));
    expect(cost.usd).toBeCloseTo(1, 12);
  });

  it('refuses an unknown model, naming it', () => {
    let thrown: unknown;
    try {
      costOf('claude-imaginary-9', usage({ input_tokens: 1 }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).code).toBe(ErrorCode.ValidationError);
    expect((thrown as ValidationError).message).toContain('claude-imaginary-9');
  });

  it('uses the caller prices first, then the default price', () => {
    const prices = { 'claude-sonnet-5-5': { input: 1, output: 1, cacheWrite: 1, cacheRead: 1 } };
    expect(costOf('claude-sonnet-5-5', usage({ input_tokens: 1_000_000 }), { prices }).usd).toBeCloseTo(1, 12);
    const defaultPrice = { input: 7, output: 7, cacheWrite: 7, cacheRead: 7 };
    expect(costOf('in-house-model', usage({ output_tokens: 1_000_000 }), { defaultPrice }).usd).toBeCloseTo(7, 12);
  });
});
