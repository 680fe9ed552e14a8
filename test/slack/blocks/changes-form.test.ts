import type { types } from '@slack/bolt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readableSchema } from '../../../src/approvals/modifications.js';
import type { JsonValue } from '../../../src/approvals/types.js';
import { changesModal, parseChangesSubmission } from '../../../src/slack/blocks/index.js';
import { hostileKey } from '../../fuzz/arbitraries.js';
import { assertModalWithinLimits } from './block-kit-limits.js';
import { approvalRecord } from './fixtures.js';

type Input = types.InputBlock;

const modalFor = (schema: JsonValue, context: JsonValue = {}) => {
  expect(readableSchema(schema), 'a schema the API accepts').toBeNull();
  const record = approvalRecord({ modificationsSchema: schema, context });
  return { record, view: changesModal(record, null) };
};
const inputs = (view: types.ModalView) => view.blocks.filter((b): b is Input => b.type === 'input');
const state = (values: Record<string, { value?: string; selected_option?: { value: string } }>) =>
  Object.fromEntries(Object.entries(values).map(([block, v]) => [block, { value: { type: 'x', ...v } }]));

describe('the Approve-with-changes form, for every schema the API accepts', () => {
  it('hashes a block id that would pass 255 characters, and still reads its value back', () => {
    const name = 'n'.repeat(300);
    const { view, record } = modalFor({ type: 'object', properties: { [name]: { type: 'string' } } });
    assertModalWithinLimits(view);
    const field = inputs(view).find((b) => b.block_id?.startsWith('mod'));
    expect(field?.block_id?.length).toBeLessThanOrEqual(255);
    const submitted = parseChangesSubmission(state({ [field!.block_id!]: { value: 'hello' } }), record);
    expect(submitted).toMatchObject({ ok: true, modifications: { [name]: 'hello' } });
  });

  it('never gives an empty label (empty title, empty or blank key)', () => {
    const { view } = modalFor({
      type: 'object',
      properties: { '': { type: 'string', title: '' }, '  ': { type: 'number', title: ' ' } },
    });
    assertModalWithinLimits(view);
    expect(inputs(view).every((b) => b.label.text.trim().length > 0)).toBe(true);
  });

  it('uses a text input for enum: [] and for more than 100 options; a select for 1–100, values short and unique', () => {
    const long = (i: number) =>
      `${'a very long option value that shares its start with all the others '.repeat(2)}${i}`;
    const { view, record } = modalFor({
      type: 'object',
      properties: {
        none: { enum: [] },
        many: { enum: Array.from({ length: 200 }, (_, i) => long(i)) },
        some: { enum: Array.from({ length: 100 }, (_, i) => long(i)) },
        dupes: { enum: ['a', 'a', 'b'] },
      },
    });
    assertModalWithinLimits(view);
    const byId = Object.fromEntries(inputs(view).map((b) => [b.block_id, b.element]));
    expect(byId['mod:none']?.type).toBe('plain_text_input');
    expect(byId['mod:many']?.type).toBe('plain_text_input');
    const select = byId['mod:some'] as types.StaticSelect;
    expect(select.type).toBe('static_select');
    const values = select.options?.map((o) => o.value ?? '') ?? [];
    expect(values).toHaveLength(100);
    expect(new Set(values).size).toBe(100);
    expect(values.every((v) => v.length <= 75)).toBe(true);
    expect(select.options?.every((o) => o.text.text.length <= 75)).toBe(true);
    expect((byId['mod:dupes'] as types.StaticSelect).options).toHaveLength(2);
    const submitted = parseChangesSubmission(
      state({ 'mod:some': { selected_option: { value: values[57]! } }, 'mod:many': { value: long(150) } }),
      record,
    );
    expect(submitted).toMatchObject({ ok: true, modifications: { some: long(57), many: long(150) } });
  });

  it('moves fields past the form to a JSON input, so a required field there is reachable and its error is in the view', () => {
    const properties = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, { type: 'string' }]));
    const { view, record } = modalFor({ type: 'object', properties, required: ['f45'] });
    assertModalWithinLimits(view);
    const ids = new Set(view.blocks.map((b) => b.block_id));
    expect(ids.has('mod_rest')).toBe(true);
    const missing = parseChangesSubmission(state({}), record);
    expect(missing.ok).toBe(false);
    if (!missing.ok) for (const block of Object.keys(missing.errors)) expect(ids.has(block), block).toBe(true);
    const given = parseChangesSubmission(state({ mod_rest: { value: '{"f45": "here", "f59": "too"}' } }), record);
    expect(given).toMatchObject({ ok: true, modifications: { f45: 'here', f59: 'too' } });
  });

  it('property: any flat schema gives a modal within limits, whose errors name only its blocks', () => {
    const property = fc.oneof(
      fc.record({
        type: fc.constantFrom('string', 'number', 'integer', 'boolean'),
        title: fc.string({ maxLength: 300 }),
      }),
      fc.record({ enum: fc.array(fc.oneof(fc.string({ maxLength: 200 }), fc.integer()), { maxLength: 150 }) }),
    );
    const schema = fc
      .tuple(
        fc.dictionary(fc.oneof(hostileKey, fc.string({ minLength: 250, maxLength: 400 })), property, {
          minKeys: 1,
          maxKeys: 70,
        }),
        fc.boolean(),
      )
      .map(([properties, allRequired]) => ({
        type: 'object',
        properties,
        ...(allRequired ? { required: Object.keys(properties) } : {}),
      }));
    fc.assert(
      fc.property(schema, (s) => {
        if (readableSchema(s as JsonValue) !== null) return;
        const record = approvalRecord({ modificationsSchema: s as JsonValue, context: {} });
        const view = changesModal(record, null);
        assertModalWithinLimits(view);
        const ids = new Set(view.blocks.map((b) => b.block_id));
        const submitted = parseChangesSubmission(state({}), record);
        if (!submitted.ok) for (const block of Object.keys(submitted.errors)) expect(ids.has(block), block).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
