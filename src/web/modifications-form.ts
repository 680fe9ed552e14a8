import { checkModifications, type FlatField, flatFields, originalValues } from '../approvals/modifications.js';
import type { ApprovalRecord, JsonValue } from '../approvals/types.js';
import { html, type SafeHtml } from './html.js';

/** The form's values as typed JSON, or what is wrong, keyed by field name (`json` for the JSON input). */
export type FormReading = { ok: true; value: JsonValue } | { ok: false; errors: Record<string, string> };

/** The name of the one input of a request whose schema is not flat (or that has none). */
export const JSON_INPUT = 'json';
const fieldName = (name: string) => `f.${name}`;

type SchemaProperty = Record<string, JsonValue>;

function propertyOf(record: ApprovalRecord, name: string): SchemaProperty {
  const schema = record.modificationsSchema as { properties?: Record<string, SchemaProperty> } | null | undefined;
  return schema?.properties?.[name] ?? {};
}

/**
 * Reads the posted form the way the Slack modal reads its inputs (empty means left out; numbers
 * must be numbers, integers whole), then checks the result against the request's schema with the
 * gate's own rules (`checkModifications`), so what the page accepts the gate accepts.
 */
export function readModifications(record: ApprovalRecord, body: Record<string, unknown>): FormReading {
  const fields = flatFields(record.modificationsSchema);
  const errors: Record<string, string> = {};
  let value: JsonValue;
  if (fields) {
    const values: Record<string, JsonValue> = {};
    for (const field of fields) {
      const posted = body[fieldName(field.name)];
      const raw = (typeof posted === 'string' ? posted : '').trim();
      if (raw === '') continue;
      if (field.type === 'boolean') values[field.name] = raw === 'true';
      else if (field.type === 'string') values[field.name] = raw;
      else {
        const number = Number(raw);
        if (!Number.isFinite(number) || (field.type === 'integer' && !Number.isInteger(number))) {
          errors[field.name] = `Enter ${field.type === 'integer' ? 'a whole number' : 'a number'}`;
        } else values[field.name] = number;
      }
    }
    value = values;
  } else {
    const posted = body[JSON_INPUT];
    try {
      value = JSON.parse(typeof posted === 'string' ? posted : '') as JsonValue;
    } catch (error) {
      return { ok: false, errors: { [JSON_INPUT]: `Not valid JSON: ${(error as Error).message}` } };
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  for (const issue of checkModifications(record.modificationsSchema, value)) {
    const [, name = JSON_INPUT] = issue.field.split('.');
    const key = fields?.some((f) => f.name === name) ? name : JSON_INPUT;
    errors[fields ? key : JSON_INPUT] ??= issue.message;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value };
}

/** What the form shows: the posted values after a refusal, else what approvers start from. */
function shownValue(field: FlatField, original: JsonValue, posted: Record<string, unknown> | null): string {
  if (posted) {
    const raw = posted[fieldName(field.name)];
    return typeof raw === 'string' ? raw : '';
  }
  const value = original && typeof original === 'object' && !Array.isArray(original) ? original[field.name] : undefined;
  return value === undefined || value === null ? '' : String(value);
}

/** "A whole number from 1 to 10": the bounds the page checks, said before anyone types. */
function boundsHint(field: FlatField, property: SchemaProperty): string | null {
  if (field.type !== 'number' && field.type !== 'integer') return null;
  const kind = field.type === 'integer' ? 'A whole number' : 'A number';
  const { minimum: min, maximum: max } = property;
  if (typeof min === 'number' && typeof max === 'number') return `${kind} from ${min} to ${max}.`;
  if (typeof min === 'number') return `${kind}, at least ${min}.`;
  if (typeof max === 'number') return `${kind}, at most ${max}.`;
  return `${kind}.`;
}

function fieldInput(record: ApprovalRecord, field: FlatField, value: string, error: string | undefined): SafeHtml {
  const id = `field-${field.name}`;
  const property = propertyOf(record, field.name);
  const help = [field.description, boundsHint(field, property)].filter(Boolean).join(' ');
  const describedBy = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const common = html` id="${id}" name="${fieldName(field.name)}"${field.required ? html` required` : ''}${
    describedBy ? html` aria-describedby="${describedBy}"` : ''
  }${error ? html` aria-invalid="true"` : ''}`;
  const choices = field.options ?? (field.type === 'boolean' ? ['true', 'false'] : null);
  let input: SafeHtml;
  if (choices) {
    const options = choices.map(
      (option) =>
        html`<option value="${String(option)}"${String(option) === value ? html` selected` : ''}>${String(option)}</option>`,
    );
    input = html`<select${common}>${field.required ? '' : html`<option value="">(leave out)</option>`}${options}</select>`;
  } else if (field.type === 'string') {
    const limits = html`${typeof property.minLength === 'number' ? html` minlength="${property.minLength}"` : ''}${
      typeof property.maxLength === 'number' ? html` maxlength="${property.maxLength}"` : ''
    }`;
    input = html`<input type="text"${common}${limits} value="${value}">`;
  } else {
    const limits = html`${typeof property.minimum === 'number' ? html` min="${property.minimum}"` : ''}${
      typeof property.maximum === 'number' ? html` max="${property.maximum}"` : ''
    }`;
    input = html`<input type="number" inputmode="decimal" step="${field.type === 'integer' ? '1' : 'any'}"${common}${limits} value="${value}">`;
  }
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${id}">${field.label}${field.required ? html` <span class="muted">(required)</span>` : ''}</label>
    ${help ? html`<p class="help" id="${id}-help">${help}</p>` : ''}
    ${input}
    ${error ? html`<p class="error" id="${id}-error">${error}</p>` : ''}
  </div>`;
}

/**
 * The "Approve with changes" inputs generated from the request's modificationsSchema: one input
 * per field of a flat schema (selects for enums and booleans, number inputs with the schema's
 * bounds), otherwise one JSON input. `posted` and `errors` redisplay a refused attempt.
 */
export function modificationsInputs(
  record: ApprovalRecord,
  posted: Record<string, unknown> | null = null,
  errors: Record<string, string> = {},
): SafeHtml {
  const original = originalValues(record);
  const fields = flatFields(record.modificationsSchema);
  if (fields)
    return html`${fields.map((field) => fieldInput(record, field, shownValue(field, original, posted), errors[field.name]))}`;
  const raw = posted ? String(posted[JSON_INPUT] ?? '') : JSON.stringify(original, null, 2);
  const error = errors[JSON_INPUT];
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="field-json">Values to approve (JSON)</label>
    <textarea id="field-json" name="${JSON_INPUT}" rows="10" class="code" spellcheck="false"${
      error ? html` aria-invalid="true" aria-describedby="field-json-error"` : ''
    }>${raw}</textarea>
    ${error ? html`<p class="error" id="field-json-error">${error}</p>` : ''}
  </div>`;
}
