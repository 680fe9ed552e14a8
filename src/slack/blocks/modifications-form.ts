import type { types } from '@slack/bolt';
import type { FlatField } from '../../approvals/modifications.js';
import type { JsonValue } from '../../approvals/types.js';
import { BlockKitLimits, truncate } from './limits.js';

/** Block id of the form input for field `name`; its action id is always `value`. */
export const fieldBlockId = (name: string) => `mod:${name}`;
const ACTION = 'value';
const MAX_FORM_FIELDS = 40;

const plain = (text: string, max: number): types.PlainTextElement => ({
  type: 'plain_text',
  text: truncate(text, max),
});

/** One input per field of a flat schema, prefilled with the original values. */
export function formBlocks(fields: FlatField[], original: JsonValue): types.InputBlock[] {
  const values = original && typeof original === 'object' && !Array.isArray(original) ? original : {};
  return fields.slice(0, MAX_FORM_FIELDS).map((field) => {
    const current = values[field.name];
    const initial = current === undefined || current === null ? undefined : String(current);
    const choices = field.type === 'boolean' ? ['true', 'false'] : field.options?.map(String);
    const element: types.InputBlock['element'] = choices
      ? {
          type: 'static_select',
          action_id: ACTION,
          options: choices.slice(0, 100).map((c) => ({ text: plain(c, 75), value: truncate(c, 150) })),
          ...(initial !== undefined && choices.includes(initial)
            ? { initial_option: { text: plain(initial, 75), value: truncate(initial, 150) } }
            : {}),
        }
      : {
          type: 'plain_text_input',
          action_id: ACTION,
          ...(initial !== undefined ? { initial_value: truncate(initial, BlockKitLimits.inputValue) } : {}),
        };
    return {
      type: 'input',
      block_id: fieldBlockId(field.name),
      optional: !field.required,
      label: plain(field.label, BlockKitLimits.inputLabel),
      ...(field.description ? { hint: plain(field.description, BlockKitLimits.inputHint) } : {}),
      element,
    };
  });
}

type StateValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value: string } | null }>
>;

/** The form's values as typed JSON, or the inputs that could not be read (keyed by block id). */
export function readForm(
  fields: FlatField[],
  state: StateValues,
): { ok: true; value: Record<string, JsonValue> } | { ok: false; errors: Record<string, string> } {
  const value: Record<string, JsonValue> = {};
  const errors: Record<string, string> = {};
  for (const field of fields.slice(0, MAX_FORM_FIELDS)) {
    const input = state[fieldBlockId(field.name)]?.[ACTION];
    const raw = (input?.selected_option?.value ?? input?.value ?? '').trim();
    if (raw === '') continue;
    if (field.type === 'boolean') value[field.name] = raw === 'true';
    else if (field.type === 'string') value[field.name] = raw;
    else {
      const number = Number(raw);
      if (!Number.isFinite(number) || (field.type === 'integer' && !Number.isInteger(number))) {
        errors[fieldBlockId(field.name)] = `Enter ${field.type === 'integer' ? 'a whole number' : 'a number'}`;
      } else value[field.name] = number;
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value };
}
