import type { types } from '@slack/bolt';
import type { JsonValue } from '../../approvals/types.js';
import { BlockId } from './ids.js';
import { boundedJson } from './json.js';
import { BlockKitLimits, mrkdwnText } from './limits.js';

type SectionBlock = types.SectionBlock;

/** One leaf of a request's context: its dotted path and its value. */
export interface ContextField {
  path: string;
  value: JsonValue;
}

/** Options of `flattenContext`. */
export interface FlattenOptions {
  /** Keep at most this many fields; the rest are only counted. */
  maxFields: number;
  /** Objects nested deeper than this many keys are shown as inline JSON. */
  maxDepth?: number;
}

/** The fields kept, and how many there were in all. */
export interface FlattenedContext {
  fields: ContextField[];
  total: number;
}

const DEFAULT_MAX_DEPTH = 4;
/** Field keys and values are kept short: a field is read at a glance, and twenty must share one message. */
const MAX_KEY_LENGTH = 150;
const MAX_VALUE_LENGTH = 500;

/**
 * Flattens a context into `key.path` → value fields. Objects are walked (up to `maxDepth`); arrays,
 * scalars, empty objects and anything deeper are leaves. A non-object context is one field named
 * `context`; null and `{}` give no fields.
 */
export function flattenContext(context: JsonValue, options: FlattenOptions): FlattenedContext {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const fields: ContextField[] = [];
  let total = 0;
  const visit = (value: JsonValue, path: string[]): void => {
    if (isObject(value) && path.length < maxDepth) {
      const keys = Object.keys(value);
      if (keys.length > 0 || path.length === 0) {
        for (const key of keys) visit(value[key] ?? null, [...path, key]);
        return;
      }
    }
    total += 1;
    if (fields.length < options.maxFields) fields.push({ path: path.length > 0 ? path.join('.') : 'context', value });
  };
  if (context !== null) visit(context, []);
  return { fields, total };
}

/**
 * A field's value as mrkdwn within `max` characters: strings as they are, numbers, booleans and
 * null as inline code, arrays of scalars joined with commas, anything else as inline JSON.
 */
export function formatFieldValue(value: JsonValue, max: number = MAX_VALUE_LENGTH): string {
  if (typeof value === 'string') return value.trim() === '' ? '_(empty)_' : mrkdwnText(value, max);
  if (value === null || typeof value !== 'object') return inlineCode(String(value), max);
  if (Array.isArray(value) && value.length > 0 && value.every((item) => item === null || typeof item !== 'object')) {
    return mrkdwnText(joinScalars(value, max), max);
  }
  return inlineCode(boundedJson(value, max).text, max);
}

/** One `*key*\nvalue` field, within Slack's field limit. */
export function formatField(field: ContextField): string {
  const key = mrkdwnText(field.path === '' ? '""' : field.path, MAX_KEY_LENGTH);
  const valueMax = Math.min(MAX_VALUE_LENGTH, BlockKitLimits.sectionFieldText - key.length - 3);
  return `*${key}*\n${formatFieldValue(field.value, valueMax)}`;
}

/** Context fields as sections of at most ten fields each, and how many fields were left out. */
export function contextFieldSections(
  context: JsonValue,
  options: FlattenOptions,
): { blocks: SectionBlock[]; omitted: number } {
  const { fields, total } = flattenContext(context, options);
  const blocks: SectionBlock[] = [];
  for (let start = 0; start < fields.length; start += BlockKitLimits.sectionFields) {
    blocks.push({
      type: 'section',
      block_id: `${BlockId.FieldsPrefix}${blocks.length}`,
      fields: fields
        .slice(start, start + BlockKitLimits.sectionFields)
        .map((field) => ({ type: 'mrkdwn', text: formatField(field) })),
    });
  }
  return { blocks, omitted: total - fields.length };
}

/** Text as inline code, or as plain escaped text when a backtick would end the code span early. */
export function inlineCode(text: string, max: number): string {
  if (text.includes('`') || max < 3) return mrkdwnText(text, max);
  return `\`${mrkdwnText(text, max - 2)}\``;
}

function joinScalars(items: Array<string | number | boolean | null>, max: number): string {
  const parts: string[] = [];
  let length = 0;
  for (const item of items) {
    // Stop once past `max`: the caller cuts and marks the rest as left out.
    if (length > max) break;
    const part = typeof item === 'string' ? item.slice(0, max + 1) : String(item);
    length += (parts.length > 0 ? 2 : 0) + part.length;
    parts.push(part);
  }
  return parts.join(', ');
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
