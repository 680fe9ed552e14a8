import type { types } from '@slack/bolt';
import { surrogateSafeEnd, truncate } from '../../text.js';
import { BlockId } from './ids.js';

type KnownBlock = types.KnownBlock;
type SectionBlock = types.SectionBlock;

/**
 * Slack's Block Kit limits, counted in UTF-16 code units (`String#length`), which is never fewer
 * than the characters Slack counts. Builders stay within these so Slack never refuses a message.
 */
export const BlockKitLimits = {
  headerText: 150,
  sectionText: 3000,
  sectionFieldText: 2000,
  sectionFields: 10,
  buttonText: 75,
  buttonValue: 2000,
  contextElementText: 2000,
  contextElements: 10,
  messageBlocks: 50,
  modalBlocks: 100,
  /** `initial_value` and `max_length` of a `plain_text_input`. */
  inputValue: 3000,
  inputLabel: 2000,
  inputHint: 2000,
  inputPlaceholder: 150,
  /** A modal's title, submit and close texts. */
  modalTitle: 24,
  privateMetadata: 3000,
  /** Past about this many characters of text in all blocks together, Slack answers `msg_blocks_too_long`. */
  messageText: 12_000,
  /**
   * What `fitMessage` aims for. Slack's cumulative limit is undocumented and also counts block
   * containers: messages with a little over 11,000 characters of text have been refused.
   */
  messageTextBudget: 10_000,
} as const;

/** Escapes the three characters Slack treats as control characters in mrkdwn: `&`, `<`, `>`. */
export function mrkdwnEscape(text: string): string {
  return text.replace(/[&<>]/g, (char) => (char === '&' ? '&amp;' : char === '<' ? '&lt;' : '&gt;'));
}

/** Like `truncate`, for text that is already escaped: never cuts inside `&amp;`, `&lt;` or `&gt;`. */
export function truncateMrkdwn(escaped: string, max: number): string {
  const limit = Math.floor(max);
  if (escaped.length <= limit) return escaped;
  if (limit <= 0) return '';
  let end = limit - 1;
  const amp = escaped.lastIndexOf('&', end - 1);
  if (amp !== -1 && amp > end - 5) {
    const semicolon = escaped.indexOf(';', amp);
    if (semicolon === -1 || semicolon >= end) end = amp;
  }
  return `${escaped.slice(0, surrogateSafeEnd(escaped, end))}…`;
}

/** User text made safe for mrkdwn: escaped, then cut to `max` (costs no more than `max`, whatever the input size). */
export function mrkdwnText(text: string, max: number): string {
  // Escaping only lengthens, so one character past `max` is enough to know the text was cut.
  const head = text.length > max ? text.slice(0, Math.max(0, Math.floor(max)) + 1) : text;
  return truncateMrkdwn(mrkdwnEscape(head), max);
}

/** Total length of every `text` string in the blocks: what Slack's cumulative limit counts. */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item: unknown) => sum + blocksTextLength(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  let sum = 0;
  for (const [key, item] of Object.entries(value)) {
    sum += key === 'text' && typeof item === 'string' ? item.length : blocksTextLength(item);
  }
  return sum;
}

/** Options of `fitMessage`. */
export interface FitMessageOptions {
  /** Context fields the builder already left out, added to the "not shown" note. */
  omittedFields?: number;
  /** At most this many blocks (default: Slack's 50). */
  maxBlocks?: number;
  /** At most this many characters of text (default: `BlockKitLimits.messageTextBudget`). */
  maxText?: number;
}

const PROTECTED: ReadonlySet<string> = new Set([BlockId.Header, BlockId.Actions, BlockId.Outcome]);

/**
 * Brings an approval message within the block count and the text budget. Least important first:
 * context fields are dropped from the end (and counted in a "…N more fields not shown" note), then
 * the explanation is shortened, then other blocks are dropped from the end. The header, the
 * actions or outcome block and the note are always kept.
 */
export function fitMessage(blocks: KnownBlock[], options: FitMessageOptions = {}): KnownBlock[] {
  const maxBlocks = options.maxBlocks ?? BlockKitLimits.messageBlocks;
  const maxText = options.maxText ?? BlockKitLimits.messageTextBudget;
  let omitted = options.omittedFields ?? 0;

  const sections = blocks.filter(isFieldSection).map((block) => ({ ...block, fields: [...(block.fields ?? [])] }));
  // The fields and their note move as one slot, which stays where the first field section was.
  const rest: Array<KnownBlock | typeof FIELDS_SLOT> = blocks.filter(
    (block) => !isFieldSection(block) && block.block_id !== BlockId.FieldsNote,
  );
  const firstField = blocks.findIndex(isFieldSection);
  const slotAt =
    firstField !== -1
      ? blocks.slice(0, firstField).filter((block) => block.block_id !== BlockId.FieldsNote).length
      : slotWithoutFields(blocks);
  rest.splice(slotAt, 0, FIELDS_SLOT);

  const assemble = (): KnownBlock[] =>
    rest.flatMap((item) =>
      item === FIELDS_SLOT ? [...sections, ...(omitted > 0 ? [fieldsNote(omitted)] : [])] : [item],
    );
  let message = assemble();
  const over = (): boolean => message.length > maxBlocks || blocksTextLength(message) > maxText;

  while (message.length > maxBlocks && sections.length > 0) {
    omitted += sections.pop()?.fields.length ?? 0;
    message = assemble();
  }
  while (over() && sections.length > 0) {
    const last = sections[sections.length - 1];
    last?.fields.pop();
    omitted += 1;
    if (!last || last.fields.length === 0) sections.pop();
    message = assemble();
  }

  const explanation = rest.findIndex((item) => item !== FIELDS_SLOT && item.block_id === BlockId.Explanation);
  const explained = rest[explanation];
  if (over() && explained && explained !== FIELDS_SLOT && explained.type === 'section' && explained.text) {
    const excess = blocksTextLength(message) - maxText;
    const shortened = truncateMrkdwn(explained.text.text, explained.text.text.length - excess);
    if (shortened.length > 0) rest[explanation] = { ...explained, text: { ...explained.text, text: shortened } };
    else rest.splice(explanation, 1);
    message = assemble();
  }

  while (over()) {
    const droppable = rest.findLastIndex((item) => item !== FIELDS_SLOT && !PROTECTED.has(item.block_id ?? ''));
    if (droppable === -1) break;
    rest.splice(droppable, 1);
    message = assemble();
  }
  return message;
}

const FIELDS_SLOT = Symbol('fields');

function isFieldSection(block: KnownBlock): block is SectionBlock {
  return block.type === 'section' && (block.block_id ?? '').startsWith(BlockId.FieldsPrefix);
}

/** Where the note goes when there are no field sections: after the explanation, else after the header. */
function slotWithoutFields(blocks: KnownBlock[]): number {
  const kept = blocks.filter((block) => block.block_id !== BlockId.FieldsNote);
  for (const id of [BlockId.Explanation, BlockId.Header]) {
    const index = kept.findIndex((block) => block.block_id === id);
    if (index !== -1) return index + 1;
  }
  return 0;
}

function fieldsNote(count: number): KnownBlock {
  return {
    type: 'context',
    block_id: BlockId.FieldsNote,
    elements: [{ type: 'mrkdwn', text: `_…${count} more field${count === 1 ? '' : 's'} not shown_` }],
  };
}

/** Re-exported: every Block Kit builder cuts text with the same rule. */
export { truncate };
