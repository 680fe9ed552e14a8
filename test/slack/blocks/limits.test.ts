import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import {
  BlockId,
  BlockKitLimits,
  blocksTextLength,
  fitMessage,
  mrkdwnEscape,
  mrkdwnText,
  truncate,
  truncateMrkdwn,
} from '../../../src/slack/blocks/index.js';
import { assertWithinBlockKitLimits } from './block-kit-limits.js';

describe('truncate', () => {
  it('leaves text that fits alone', () => {
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('', 0)).toBe('');
  });

  it('cuts to at most max characters, the ellipsis included', () => {
    expect(truncate('hello world', 6)).toBe('hello…');
    expect(truncate('hello world', 1)).toBe('…');
    expect(truncate('hello world', 0)).toBe('');
  });

  it('never splits a surrogate pair', () => {
    const cut = truncate('ab😀cd', 4);
    expect(cut).toBe('ab…');
    expect(truncate('😀😀😀', 4)).toBe('😀…');
  });
});

describe('mrkdwnEscape', () => {
  it('escapes &, < and > and nothing else', () => {
    expect(mrkdwnEscape('<script>a & b</script> *bold* "q"')).toBe('&lt;script&gt;a &amp; b&lt;/script&gt; *bold* "q"');
  });

  it('escapes already escaped text again, so it shows as typed', () => {
    expect(mrkdwnEscape('&amp;')).toBe('&amp;amp;');
  });
});

describe('truncateMrkdwn and mrkdwnText', () => {
  it('never cut inside an entity', () => {
    expect(truncateMrkdwn('ab&amp;cd', 5)).toBe('ab…');
    expect(truncateMrkdwn('ab&amp;cd', 8)).toBe('ab&amp;…');
    expect(mrkdwnText('<<<<', 9)).toBe('&lt;&lt;…');
  });

  it('escape first and cut to the limit, whatever the input size', () => {
    const text = mrkdwnText('&'.repeat(1_000_000), 3000);
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/^(&amp;)+…$/);
  });

  it('keep short text whole', () => {
    expect(mrkdwnText('a < b', 100)).toBe('a &lt; b');
  });
});

describe('assertWithinBlockKitLimits', () => {
  it('catches what Slack would refuse', () => {
    const header = (text: string): types.KnownBlock => ({ type: 'header', text: { type: 'plain_text', text } });
    const section = (text: string): types.KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
    expect(() => assertWithinBlockKitLimits([header('h'.repeat(151))])).toThrow();
    expect(() => assertWithinBlockKitLimits([section('a & b')])).toThrow();
    expect(() => assertWithinBlockKitLimits([section('<!channel>')])).toThrow();
    expect(() => assertWithinBlockKitLimits([section('\uD83D')])).toThrow();
    expect(() => assertWithinBlockKitLimits(Array.from({ length: 51 }, () => section('x')))).toThrow();
    expect(() => assertWithinBlockKitLimits(Array.from({ length: 5 }, () => section('x'.repeat(2500))))).toThrow();
    expect(() => assertWithinBlockKitLimits([section('<@U0ALICE1> &amp; <!date^1^{time}|t>')])).not.toThrow();
  });
});

describe('fitMessage', () => {
  const header: types.KnownBlock = {
    type: 'header',
    block_id: BlockId.Header,
    text: { type: 'plain_text', text: 'T' },
  };
  const actions: types.KnownBlock = {
    type: 'actions',
    block_id: BlockId.Actions,
    elements: [
      { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, accessibility_label: 'Go ahead' },
    ],
  };
  const explanation = (text: string): types.KnownBlock => ({
    type: 'section',
    block_id: BlockId.Explanation,
    text: { type: 'mrkdwn', text },
  });
  const fieldSections = (count: number, fieldLength: number): types.KnownBlock[] =>
    Array.from({ length: count }, (_, s) => ({
      type: 'section',
      block_id: `${BlockId.FieldsPrefix}${s}`,
      fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn' as const, text: 'f'.repeat(fieldLength) })),
    }));
  const note = (blocks: types.KnownBlock[]) =>
    (blocks.find((b) => b.block_id === BlockId.FieldsNote) as types.ContextBlock | undefined)?.elements[0] as
      | types.MrkdwnElement
      | undefined;

  it('leaves a message that fits as it is', () => {
    const blocks = [header, explanation('why'), ...fieldSections(1, 10), actions];
    expect(fitMessage(blocks)).toEqual(blocks);
  });

  it('drops whole field sections past 50 blocks and counts the fields', () => {
    const fitted = fitMessage([header, ...fieldSections(60, 1), actions]);
    expect(fitted).toHaveLength(50);
    expect(fitted[0]).toBe(header);
    expect(fitted.at(-1)).toBe(actions);
    expect(note(fitted)).toEqual({ type: 'mrkdwn', text: '_…130 more fields not shown_' });
    assertWithinBlockKitLimits(fitted);
  });

  it('drops fields from the end until the text fits, before touching the explanation', () => {
    const fitted = fitMessage([header, explanation('e'.repeat(3000)), ...fieldSections(5, 1000), actions]);
    expect(blocksTextLength(fitted)).toBeLessThanOrEqual(BlockKitLimits.messageTextBudget);
    expect((fitted[1] as types.SectionBlock).text?.text).toHaveLength(3000);
    expect(note(fitted)?.text).toMatch(/^_…4\d more fields not shown_$/);
    assertWithinBlockKitLimits(fitted);
  });

  it('adds to the fields the builder already left out', () => {
    const fitted = fitMessage([header, ...fieldSections(1, 1), actions], { omittedFields: 7 });
    expect(note(fitted)?.text).toBe('_…7 more fields not shown_');
    expect(fitted.map((b) => b.block_id)).toEqual([
      BlockId.Header,
      `${BlockId.FieldsPrefix}0`,
      BlockId.FieldsNote,
      BlockId.Actions,
    ]);
  });

  it('shortens the explanation once no fields are left, keeping header, note and actions', () => {
    const fitted = fitMessage([header, explanation('e'.repeat(20_000)), actions], { omittedFields: 3, maxText: 5000 });
    expect(fitted.map((b) => b.block_id)).toEqual([
      BlockId.Header,
      BlockId.Explanation,
      BlockId.FieldsNote,
      BlockId.Actions,
    ]);
    expect(blocksTextLength(fitted)).toBeLessThanOrEqual(5000);
    expect((fitted[1] as types.SectionBlock).text?.text).toMatch(/e…$/);
  });

  it('drops other blocks from the end as a last resort, never the protected ones', () => {
    const big = (id: string): types.KnownBlock => ({
      type: 'section',
      block_id: id,
      text: { type: 'mrkdwn', text: 'm'.repeat(2900) },
    });
    const outcome = { ...big(BlockId.Outcome) };
    const fitted = fitMessage([header, big('one'), big('two'), big('three'), outcome], { maxText: 6000 });
    expect(fitted.map((b) => b.block_id)).toEqual([BlockId.Header, 'one', BlockId.Outcome]);
  });
});
