import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../src/approvals/types.js';
import { boundedJson, locateJsonError } from '../../../src/slack/blocks/index.js';

describe('boundedJson', () => {
  const samples: JsonValue[] = [
    null,
    0,
    -1.5e-7,
    'text with "quotes" and \n newline',
    [],
    {},
    [1, 'two', [3, { four: 4 }], {}],
    { a: { b: [true, false, null] }, 'key with "quote"': 'v', empty: [] },
  ];

  it('writes what JSON.stringify writes, compact and pretty', () => {
    for (const value of samples) {
      expect(boundedJson(value, 10_000)).toEqual({ text: JSON.stringify(value), complete: true });
      expect(boundedJson(value, 10_000, 2)).toEqual({ text: JSON.stringify(value, null, 2), complete: true });
    }
  });

  it('stops soon after the limit on huge and deeply nested values', () => {
    let deep: JsonValue = 0;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const result = boundedJson(deep, 100);
    expect(result.complete).toBe(false);
    expect(result.text.startsWith('[[[[')).toBe(true);
    expect(result.text.length).toBeLessThanOrEqual(101);

    const long = boundedJson({ s: 'x'.repeat(1_000_000) }, 50);
    expect(long.complete).toBe(false);
    expect(long.text.length).toBeLessThan(100);
  });
});

describe('locateJsonError', () => {
  it('is null for valid JSON', () => {
    for (const text of ['{}', ' [1, 2.5e3, -0, "a\\u00e9\\n"] ', 'null', '{"a":{"b":[true,false]}}']) {
      expect(locateJsonError(text)).toBeNull();
    }
  });

  it('gives the line and column of the first error', () => {
    expect(locateJsonError('{\n  "a": 1,\n  "b": }\n}')).toEqual({
      position: 19,
      line: 3,
      column: 8,
      message: 'Unexpected token }',
    });
    expect(locateJsonError('{"a": 1,}')).toMatchObject({ line: 1, column: 9, message: 'Unexpected token }' });
    expect(locateJsonError("{'a': 1}")).toMatchObject({ line: 1, column: 2, message: "Unexpected token '" });
    expect(locateJsonError('[1, 2')).toMatchObject({ line: 1, column: 6, message: 'Unexpected end of input' });
    expect(locateJsonError('"open')).toMatchObject({ message: 'Unterminated string' });
    expect(locateJsonError('{"a": 01}')).toMatchObject({ column: 8, message: 'Unexpected token 1' });
    expect(locateJsonError('"tab\there"')).toMatchObject({ column: 5, message: 'Bad control character in string' });
    expect(locateJsonError('1 2')).toMatchObject({ column: 3, message: 'Unexpected token 2' });
  });

  it('agrees with JSON.parse on what is valid', () => {
    for (const text of ['[1,]', '{"a" 1}', '--1', '1.', '.5', 'nul', '"\\x"', '[1]]', '']) {
      expect(() => JSON.parse(text)).toThrow();
      expect(locateJsonError(text)).not.toBeNull();
    }
  });

  it('does not overflow the stack on deep nesting', () => {
    expect(locateJsonError('['.repeat(100_000))).toMatchObject({ message: 'Nested too deeply' });
  });
});
