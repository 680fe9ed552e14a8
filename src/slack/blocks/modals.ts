import type { types } from '@slack/bolt';
import { z } from 'zod';
import { checkModifications, flatFields, originalValues } from '../../approvals/modifications.js';
import type { ApprovalRecord, JsonValue } from '../../approvals/types.js';
import { BlockId, encodeModalMetadata, InputId, ViewId } from './ids.js';
import { boundedJson, locateJsonError } from './json.js';
import { BlockKitLimits, mrkdwnText, truncate } from './limits.js';
import { blockForField, formBlocks, readForm, restBlock, splitFields } from './modifications-form.js';

type ModalView = types.ModalView;
type InputBlock = types.InputBlock;
type PlainTextElement = types.PlainTextElement;

/** Where the request's message is; either part may be unknown (e.g. a modal opened from elsewhere). */
export interface ModalMessageRef {
  channel?: string | null;
  ts?: string | null;
}

/** The longest reason or note an approver may type. */
export const MAX_REASON_LENGTH = 2000;
const MAX_TITLE_IN_MODAL = 500;

/** The modal behind **Reject**: a reminder of what is rejected and an optional reason. */
export function rejectModal(record: ApprovalRecord, messageRef: ModalMessageRef | null): ModalView {
  return {
    type: 'modal',
    callback_id: ViewId.Reject,
    title: plain('Reject request'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    private_metadata: metadata(record, messageRef),
    blocks: [
      reminder(`You are rejecting *${mrkdwnText(record.title, MAX_TITLE_IN_MODAL)}*.`),
      textInput({
        id: InputId.Reason,
        label: 'Reason (optional)',
        optional: true,
        maxLength: MAX_REASON_LENGTH,
        placeholder: 'Why not? The agent is told.',
      }),
    ],
  };
}

/**
 * The modal behind **Approve with changes**: one input per field when the request has a flat
 * schema; otherwise the request's context as editable JSON (when it fits in an input). Both with an
 * optional note.
 */
export function changesModal(record: ApprovalRecord, messageRef: ModalMessageRef | null): ModalView {
  const fields = flatFields(record.modificationsSchema);
  return {
    type: 'modal',
    callback_id: ViewId.Changes,
    title: plain('Approve with changes'),
    submit: plain('Approve'),
    close: plain('Cancel'),
    private_metadata: metadata(record, messageRef),
    blocks: [
      reminder(`You are approving *${mrkdwnText(record.title, MAX_TITLE_IN_MODAL)}* with changes.`),
      ...(fields ? formInputs(fields, originalValues(record)) : [jsonInput(record)]),
      textInput({
        id: InputId.Feedback,
        label: 'Note for the agent (optional)',
        optional: true,
        maxLength: MAX_REASON_LENGTH,
      }),
    ],
  };
}

/** One input per field, and the fields past the modal's room as one JSON input. */
function formInputs(fields: NonNullable<ReturnType<typeof flatFields>>, original: JsonValue): InputBlock[] {
  const rest = restBlock(splitFields(fields).rest, original);
  return [...formBlocks(fields, original), ...(rest ? [rest] : [])];
}

/** The modifications as JSON, prefilled with the context when it fits: what is submitted replaces it. */
function jsonInput(record: ApprovalRecord): InputBlock {
  const pretty = record.context === null ? null : boundedJson(record.context, BlockKitLimits.inputValue, 2);
  const prefill = pretty?.complete && pretty.text.length <= BlockKitLimits.inputValue ? pretty.text : undefined;
  const hint = prefill
    ? 'Edit the JSON: what you submit replaces the request’s context.'
    : record.context === null
      ? 'Enter the JSON the agent should use.'
      : 'The context is too large to prefill here. The JSON you enter replaces the whole context.';
  return textInput({
    id: InputId.Modifications,
    label: 'Modifications (JSON)',
    optional: false,
    maxLength: BlockKitLimits.inputValue,
    initialValue: prefill,
    hint,
  });
}

/** What a Reject submission says. */
export interface RejectSubmission {
  reason: string | null;
}

/** What an Approve-with-changes submission says, or the errors to show in the modal (keyed by block id). */
export type ChangesSubmission =
  | { ok: true; modifications: JsonValue; feedback: string | null }
  | { ok: false; errors: Record<string, string> };

/** Slack's `view.state.values`: `{ [blockId]: { [actionId]: { type, value } } }`. */
const stateValuesSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.looseObject({
      type: z.string(),
      value: z.string().nullish(),
      selected_option: z.looseObject({ value: z.string() }).nullish(),
    }),
  ),
);
type StateValues = z.infer<typeof stateValuesSchema>;

/** Reads the reason of a Reject submission. The reason is optional, so an unreadable form means none. */
export function parseRejectSubmission(stateValues: unknown): RejectSubmission {
  const parsed = stateValuesSchema.safeParse(stateValues);
  return { reason: parsed.success ? textValue(parsed.data, InputId.Reason) : null };
}

/**
 * Reads and checks an Approve-with-changes submission: the form's fields, or JSON, valid against
 * the request's schema when it has one (errors keyed by the block they belong to).
 */
export function parseChangesSubmission(
  stateValues: unknown,
  record?: Pick<ApprovalRecord, 'modificationsSchema'>,
): ChangesSubmission {
  const field = InputId.Modifications.block;
  const parsed = stateValuesSchema.safeParse(stateValues);
  if (!parsed.success) return { ok: false, errors: { [field]: 'This form could not be read: please try again.' } };
  const fields = flatFields(record?.modificationsSchema);
  if (fields) {
    const form = readForm(fields, parsed.data);
    if (!form.ok) return form;
    const issues = checkModifications(record?.modificationsSchema, form.value);
    if (issues.length > 0) {
      const errors: Record<string, string> = {};
      for (const issue of issues) {
        // `modifications.<name>…`: the name is everything up to the next dot only when it is a field.
        const path = issue.field.replace(/^modifications\.?/, '');
        const name = fields.find((f) => path === f.name || path.startsWith(`${f.name}.`))?.name;
        const block = blockForField(fields, name);
        errors[block] ??= truncate(
          name && block.startsWith('mod_rest') ? `${name}: ${issue.message}` : issue.message,
          150,
        );
      }
      return { ok: false, errors };
    }
    return { ok: true, modifications: form.value, feedback: textValue(parsed.data, InputId.Feedback) };
  }
  // Untrimmed, so that line and column of an error match what the approver sees.
  const raw = parsed.data[field]?.[InputId.Modifications.action]?.value ?? '';
  if (raw.trim() === '') return { ok: false, errors: { [field]: 'Enter the modifications as JSON' } };
  if (raw.length > BlockKitLimits.inputValue) {
    return { ok: false, errors: { [field]: `At most ${BlockKitLimits.inputValue} characters, please` } };
  }
  let modifications: JsonValue;
  try {
    modifications = JSON.parse(raw) as JsonValue;
  } catch {
    return { ok: false, errors: { [field]: jsonErrorMessage(raw) } };
  }
  const issues = checkModifications(record?.modificationsSchema, modifications);
  if (issues.length > 0) {
    const text = issues.map((i) => `${i.field.replace(/^modifications\.?/, '') || 'value'}: ${i.message}`).join('; ');
    return { ok: false, errors: { [field]: truncate(text, 300) } };
  }
  return { ok: true, modifications, feedback: textValue(parsed.data, InputId.Feedback) };
}

function jsonErrorMessage(raw: string): string {
  const location = locateJsonError(raw);
  if (!location) return 'Not valid JSON';
  return `Not valid JSON: ${location.message} at line ${location.line}, column ${location.column}`;
}

function textValue(values: StateValues, id: { block: string; action: string }): string | null {
  const value = values[id.block]?.[id.action]?.value?.trim();
  return value ? value : null;
}

function metadata(record: ApprovalRecord, messageRef: ModalMessageRef | null): string {
  return encodeModalMetadata({
    approvalId: record.id,
    channel: messageRef?.channel ?? record.message?.channel ?? null,
    ts: messageRef?.ts ?? record.message?.ts ?? null,
  });
}

function plain(text: string): PlainTextElement {
  return { type: 'plain_text', text: truncate(text, BlockKitLimits.modalTitle), emoji: true };
}

function reminder(text: string): types.SectionBlock {
  return { type: 'section', block_id: BlockId.Reminder, text: { type: 'mrkdwn', text } };
}

interface TextInputOptions {
  id: { block: string; action: string };
  label: string;
  optional: boolean;
  maxLength: number;
  initialValue?: string | undefined;
  placeholder?: string;
  hint?: string;
}

function textInput(options: TextInputOptions): InputBlock {
  return {
    type: 'input',
    block_id: options.id.block,
    optional: options.optional,
    label: { type: 'plain_text', text: truncate(options.label, BlockKitLimits.inputLabel) },
    ...(options.hint ? { hint: { type: 'plain_text', text: truncate(options.hint, BlockKitLimits.inputHint) } } : {}),
    element: {
      type: 'plain_text_input',
      action_id: options.id.action,
      multiline: true,
      max_length: Math.min(options.maxLength, BlockKitLimits.inputValue),
      ...(options.initialValue ? { initial_value: truncate(options.initialValue, BlockKitLimits.inputValue) } : {}),
      ...(options.placeholder
        ? { placeholder: { type: 'plain_text', text: truncate(options.placeholder, BlockKitLimits.inputPlaceholder) } }
        : {}),
    },
  };
}
