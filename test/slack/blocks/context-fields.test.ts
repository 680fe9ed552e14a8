import { describe, expect, it } from 'vitest';
import { flattenContext, formatFieldValue } from '../../../src/slack/blocks/index.js';

describe('flattenContext', () => {
  it('walks objects into dotted paths, in key order', () => {
    expect(flattenContext({ a: { b: 1, c: { d: 'x' } }, e: [1, 2] }, { maxFields: 10 })).toEqual({
      fields: [
        { path: 'a.b', value: 1 },
        { path: 'a.c.d', value: 'x' },
        { path: 'e', value: [1, 2] },
      ],
      total: 3,
    });
  });

  it('stops walking at maxDepth and keeps the rest as one value', () => {
    const { fields } = flattenContext({ a: { b: { c: { d: 1 } } } }, { maxFields: 10, maxDepth: 2 });
    expect(fields).toEqual([{ path: 'a.b', value: { c: { d: 1 } } }]);
  });

  it('keeps maxFields fields and counts them all', () => {
    const context = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const { fields, total } = flattenContext(context, { maxFields: 3 });
    expect(fields.map((f) => f.path)).toEqual(['k0', 'k1', 'k2']);
    expect(total).toBe(5000);
  });
});

describe('formatFieldValue', () => {
  it('shows strings as they are, escaped', () => {
    expect(formatFieldValue('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    expect(formatFieldValue('  ')).toBe('_(empty)_');
  });

  it('shows numbers, booleans and null as code', () => {
    expect([formatFieldValue(1.5), formatFieldValue(true), formatFieldValue(null)]).toEqual([
      '`1.5`',
      '`true`',
      '`null`',
    ]);
  });

  it('joins arrays of scalars and shows anything deeper as inline JSON', () => {
    expect(formatFieldValue(['a', 1, false, null])).toBe('a, 1, false, null');
    expect(formatFieldValue([{ a: 1 }, 2])).toBe('`[{"a":1},2]`');
    expect(formatFieldValue([])).toBe('`[]`');
  });

  it('cuts long values to the limit with an ellipsis', () => {
    expect(formatFieldValue('x'.repeat(10_000), 100)).toBe(`${'x'.repeat(99)}…`);
    expect(
      formatFieldValue(
        Array.from({ length: 10_000 }, (_, i) => i),
        20,
      ),
    ).toBe('0, 1, 2, 3, 4, 5, 6…');
    expect(formatFieldValue({ long: 'y'.repeat(10_000) }, 20)).toBe('`{"long":"yyyyyyyy…`');
  });

  it('does not wrap JSON holding a backtick in code', () => {
    expect(formatFieldValue({ a: '`x`' })).toBe('{"a":"`x`"}');
  });
});
