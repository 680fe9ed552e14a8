import { createHash } from 'node:crypto';
import type { types } from '@slack/bolt';
import type { FlatField } from '../../approvals/modifications.js';
import type { JsonValue } from '../../approvals/types.js';
import { BlockKitLimits, truncate } from './limits.js';

/** Slack's limits that the form meets for every schema the API accepts. */
const BLOCK_ID_MAX = 255;
const OPTION_TEXT_MAX = 75;
const OPTION_VALUE_MAX = 75;
const SELECT_OPTIONS_MAX = 100;
/** Inputs shown one per field; the fields past them are edited as JSON in one more input. */
export const MAX_FORM_FIELDS = 40;
const ACTION = 'value';

/** Block id of the JSON input holding the fields past `MAX_FORM_FIELDS`. */
export const REST_BLOCK_ID = 'mod_rest';

/**
 * Block id of the form input for field `name`: `mod:<name>` while that fits Slack's 255
 * characters, else a hash of the name (names of any length and content are valid JSON keys).
 */
export function fieldBlockId(name: string): string {
  const plain = `mod:${name}`;
  if (plain.length <= BLOCK_ID_MAX && !plain.includes('\n')) return plain;
  return `mod#${createHash('sha256').update(name).digest('hex')}`;
}

/** The form's fields and those moved to the JSON input. */
export function splitFields(fields: FlatField[]): { form: FlatField[]; rest: FlatField[] } {
  return { form: fields.slice(0, MAX_FORM_FIELDS), rest: fields.slice(MAX_FORM_FIELDS) };
}

/** A select's choices, when one fits: 1–100 distinct values (as typed JSON); otherwise null. */
function choicesOf(field: FlatField): JsonValue[] | null {
  if (field.type === 'boolean') return [true, false];
  if (!field.options) return null;
  const distinct: JsonValue[] = [];
  const seen = new Set<string>();
  for (const option of field.options) {
    const key = JSON.stringify(option);
    if (!seen.has(key)) distinct.push(option);
    seen.add(key);
  }
  return distinct.length >= 1 && distinct.length <= SELECT_OPTIONS_MAX ? distinct : null;
}

const plain = (text: string, max: number): types.PlainTextElement => ({
  type: 'plain_text',
  text: truncate(text, max),
});

/** A label that is never empty: the title, else the name, else the field's position. */
function labelOf(field: FlatField, index: number): string {
  const label = field.label.replace(/\s+/g, ' ').trim() || field.name.replace(/\s+/g, ' ').trim();
  return label || `Field ${index + 1}`;
}

/**
 * Each option's value is its index (`o0`, `o1`, …): unique and short whatever the enum holds.
 * Texts are the values themselves, shortened to Slack's 75 characters.
 */
function option(choice: JsonValue, index: number): types.PlainTextOption {
  const text = typeof choice === 'string' ? choice : JSON.stringify(choice);
  return {
    text: plain(text.trim() === '' ? '(empty)' : text, OPTION_TEXT_MAX),
    value: `o${index}`.slice(0, OPTION_VALUE_MAX),
  };
}

/** One input per field of a flat schema (the first 40), prefilled with the original values. */
export function formBlocks(fields: FlatField[], original: JsonValue): types.InputBlock[] {
  const values = original && typeof original === 'object' && !Array.isArray(original) ? original : {};
  return splitFields(fields).form.map((field, index) => {
    const current = Object.hasOwn(values, field.name) ? values[field.name] : undefined;
    const choices = choicesOf(field);
    const chosen = choices?.findIndex((c) => JSON.stringify(c) === JSON.stringify(current)) ?? -1;
    const initial = current === undefined || current === null ? undefined : String(current);
    const element: types.InputBlock['element'] = choices
      ? {
          type: 'static_select',
          action_id: ACTION,
          options: choices.map(option),
          ...(chosen >= 0 ? { initial_option: option(choices[chosen] ?? null, chosen) } : {}),
        }
      : {
          type: 'plain_text_input',
          action_id: ACTION,
          ...(initial ? { initial_value: truncate(initial, BlockKitLimits.inputValue) } : {}),
        };
    return {
      type: 'input',
      block_id: fieldBlockId(field.name),
      optional: !field.required,
      label: plain(labelOf(field, index), BlockKitLimits.inputLabel),
      ...(field.description?.trim() ? { hint: plain(field.description, BlockKitLimits.inputHint) } : {}),
      element,
    };
  });
}

/** The fields past the form as one JSON input, prefilled with their original values when that fits. */
export function restBlock(rest: FlatField[], original: JsonValue): types.InputBlock | null {
  if (rest.length === 0) return null;
  const values = original && typeof original === 'object' && !Array.isArray(original) ? original : {};
  const prefill = Object.fromEntries(
    rest.flatMap((f) => (Object.hasOwn(values, f.name) ? [[f.name, values[f.name]]] : [])),
  );
  const text = JSON.stringify(prefill, null, 2);
  const required = rest.filter((f) => f.required).map((f) => f.name);
  const hint = `A JSON object with the other ${rest.length} fields${required.length > 0 ? `; required: ${required.join(', ')}` : ''}.`;
  return {
    type: 'input',
    block_id: REST_BLOCK_ID,
    optional: required.length === 0,
    label: plain('Other fields (JSON)', BlockKitLimits.inputLabel),
    hint: plain(hint, BlockKitLimits.inputHint),
    element: {
      type: 'plain_text_input',
      action_id: ACTION,
      multiline: true,
      max_length: BlockKitLimits.inputValue,
      ...(text.length <= BlockKitLimits.inputValue && text !== '{}' ? { initial_value: text } : {}),
    },
  };
}

/** Sets an own property, also one named `__proto__` (a valid JSON key), never a prototype. */
function put(target: Record<string, JsonValue>, key: string, item: JsonValue): void {
  Object.defineProperty(target, key, { value: item, enumerable: true, writable: true, configurable: true });
}

type StateValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value: string } | null }>
>;

/** The form's values as typed JSON, or the inputs that could not be read (keyed by block id, all in the view). */
export function readForm(
  fields: FlatField[],
  state: StateValues,
): { ok: true; value: Record<string, JsonValue> } | { ok: false; errors: Record<string, string> } {
  const value: Record<string, JsonValue> = {};
  const errors: Record<string, string> = {};
  const { form, rest } = splitFields(fields);
  for (const field of form) {
    const block = fieldBlockId(field.name);
    const input = state[block]?.[ACTION];
    const choices = choicesOf(field);
    if (choices && input?.selected_option) {
      const index = Number(input.selected_option.value.slice(1));
      const choice = choices[index];
      if (choice === undefined) errors[block] = 'Choose one of the options';
      else put(value, field.name, choice);
      continue;
    }
    const raw = (input?.value ?? '').trim();
    if (raw === '') continue;
    if (field.type === 'boolean') put(value, field.name, raw === 'true');
    else if (field.type === 'string') put(value, field.name, raw);
    else {
      const number = Number(raw);
      if (!Number.isFinite(number) || (field.type === 'integer' && !Number.isInteger(number))) {
        errors[block] = `Enter ${field.type === 'integer' ? 'a whole number' : 'a number'}`;
      } else put(value, field.name, number);
    }
  }
  const restRaw = (state[REST_BLOCK_ID]?.[ACTION]?.value ?? '').trim();
  if (rest.length > 0 && restRaw !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(restRaw);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      errors[REST_BLOCK_ID] = 'Enter a JSON object, like {"name": "value"}';
    } else {
      const names = new Set(rest.map((f) => f.name));
      const unknown = Object.keys(parsed).filter((key) => !names.has(key));
      if (unknown.length > 0)
        errors[REST_BLOCK_ID] = truncate(`Not fields of this request: ${unknown.join(', ')}`, 150);
      else for (const [key, item] of Object.entries(parsed)) put(value, key, item as JsonValue);
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value };
}

/** The block an issue about field `name` is shown on: its input, or the JSON input of the rest. */
export function blockForField(fields: FlatField[], name: string | undefined): string {
  const { form, rest } = splitFields(fields);
  if (name !== undefined && form.some((f) => f.name === name)) return fieldBlockId(name);
  if (name !== undefined && rest.some((f) => f.name === name)) return REST_BLOCK_ID;
  // An issue about the whole object: the first input there is.
  const first = form[0];
  return first ? fieldBlockId(first.name) : REST_BLOCK_ID;
}
