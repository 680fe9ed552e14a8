import { z } from 'zod';
import type { FieldIssue } from '../errors.js';
import type { ApprovalRecord, JsonValue } from './types.js';

/** One input of a flat modifications form. */
export interface FlatField {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  /** Allowed values (a select instead of a text input). */
  options: Array<string | number> | null;
  label: string;
  description: string | null;
  required: boolean;
}

type Schema = { [key: string]: JsonValue };

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON Schema zod can turn into a validator, or an explanation of why not. */
export function readableSchema(schema: unknown): string | null {
  if (!isObject(schema)) return 'must be a JSON Schema object';
  try {
    z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    return null;
  } catch (error) {
    return `is not a JSON Schema Gatehouse can read: ${(error as Error).message}`;
  }
}

/**
 * The schema's fields when it is flat — an object whose properties are all strings, numbers,
 * integers, booleans or enums — so a form can stand in for JSON; otherwise null.
 */
export function flatFields(schema: JsonValue | null | undefined): FlatField[] | null {
  if (!isObject(schema) || schema.type !== 'object' || !isObject(schema.properties)) return null;
  const required = Array.isArray(schema.required) ? schema.required : [];
  const fields: FlatField[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!isObject(property)) return null;
    const options = Array.isArray(property.enum) ? property.enum : null;
    const type = options ? (typeof options[0] === 'number' ? 'number' : 'string') : property.type;
    if (type !== 'string' && type !== 'number' && type !== 'integer' && type !== 'boolean') return null;
    if (options && !options.every((o) => typeof o === 'string' || typeof o === 'number')) return null;
    fields.push({
      name,
      type,
      options: options as Array<string | number> | null,
      label: typeof property.title === 'string' ? property.title : name,
      description: typeof property.description === 'string' ? property.description : null,
      required: required.includes(name),
    });
  }
  return fields.length > 0 ? fields : null;
}

/** What approvers start editing from: the context's values for the schema's properties, or the whole context. */
export function originalValues(record: Pick<ApprovalRecord, 'context' | 'modificationsSchema'>): JsonValue {
  const schema = record.modificationsSchema;
  if (!isObject(schema) || !isObject(schema.properties) || !isObject(record.context)) return record.context;
  const context = record.context;
  return Object.fromEntries(
    Object.keys(schema.properties).flatMap((key) => (key in context ? [[key, context[key] as JsonValue]] : [])),
  );
}

/** Problems of `value` against the request's schema, as field issues under `modifications`; none when valid or unschema'd. */
export function checkModifications(schema: JsonValue | null | undefined, value: JsonValue): FieldIssue[] {
  if (!isObject(schema)) return [];
  const result = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    field: ['modifications', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/** Top-level keys whose value changed between the original and the approved values. */
export function changedFields(
  original: JsonValue,
  final: JsonValue,
): Array<{ name: string; from: JsonValue | undefined; to: JsonValue | undefined }> {
  if (!isObject(original) || !isObject(final)) return [];
  const names = [...new Set([...Object.keys(original), ...Object.keys(final)])];
  return names
    .filter((name) => JSON.stringify(original[name]) !== JSON.stringify(final[name]))
    .map((name) => ({ name, from: original[name], to: final[name] }));
}
