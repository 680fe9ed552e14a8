import type { types } from '@slack/bolt';
import { expect } from 'vitest';

// Slack's numbers, written out again here rather than imported, so the builders are checked
// against the rules and not against themselves.
const MESSAGE_BLOCKS = 50;
const MODAL_BLOCKS = 100;
const MESSAGE_TEXT = 12_000;
const ID_LENGTH = 255;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD_AMPERSAND = /&(?!amp;|lt;|gt;)/;
/** The only `<…>` the builders write themselves: mentions and dates. Anything else is injected markup. */
const UNKNOWN_ANGLE = /<(?!@[UW][A-Z0-9]{2,}>|!date\^\d+\^[^|>]+\|[^>]+>)/;

type Text = { type: string; text: string };

/**
 * Walks every block and checks each Block Kit rule the builders promise to keep; fails listing
 * every violation. `surface: 'modal'` allows 100 blocks and no text budget.
 */
export function assertWithinBlockKitLimits(
  blocks: readonly types.KnownBlock[],
  { surface = 'message' }: { surface?: 'message' | 'modal' } = {},
): void {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  const text = (where: string, object: Text | undefined, max: number): void => {
    if (!object) {
      problems.push(`${where}: missing text`);
      return;
    }
    check(object.text.length <= max, `${where}: ${object.text.length} characters (max ${max})`);
    check(object.text.length > 0, `${where}: empty text`);
    check(!LONE_SURROGATE.test(object.text), `${where}: split surrogate pair`);
    if (object.type === 'mrkdwn') {
      check(!BAD_AMPERSAND.test(object.text), `${where}: unescaped &`);
      check(!UNKNOWN_ANGLE.test(object.text), `${where}: unescaped <`);
    } else {
      check(object.type === 'plain_text', `${where}: unknown text type ${object.type}`);
    }
  };

  check(blocks.length <= (surface === 'modal' ? MODAL_BLOCKS : MESSAGE_BLOCKS), `${blocks.length} blocks`);
  if (surface === 'message') {
    const total = textLength(blocks);
    check(total <= MESSAGE_TEXT, `${total} characters of text in all (max ${MESSAGE_TEXT})`);
  }
  const ids = blocks.map((block) => block.block_id).filter((id) => id !== undefined);
  check(new Set(ids).size === ids.length, `duplicate block_id in ${ids.join(', ')}`);

  blocks.forEach((block, index) => {
    const where = `block ${index} (${block.type} ${block.block_id ?? ''})`;
    check((block.block_id ?? '').length <= ID_LENGTH, `${where}: block_id too long`);
    switch (block.type) {
      case 'header':
        check(block.text.type === 'plain_text', `${where}: header must be plain_text`);
        text(where, block.text, 150);
        break;
      case 'section':
        check(Boolean(block.text || block.fields?.length), `${where}: section without text or fields`);
        if (block.text) text(where, block.text, 3000);
        check((block.fields?.length ?? 0) <= 10, `${where}: ${block.fields?.length} fields`);
        for (const [i, field] of (block.fields ?? []).entries()) text(`${where} field ${i}`, field, 2000);
        break;
      case 'context':
        check(block.elements.length >= 1 && block.elements.length <= 10, `${where}: ${block.elements.length} elements`);
        for (const [i, element] of block.elements.entries()) {
          if ('text' in element && typeof element.text === 'string') text(`${where} element ${i}`, element, 2000);
        }
        break;
      case 'actions':
        check(block.elements.length <= 25, `${where}: ${block.elements.length} elements`);
        for (const [i, element] of block.elements.entries()) {
          if (element.type !== 'button') continue;
          text(`${where} button ${i}`, element.text, 75);
          const label = element.accessibility_label ?? '';
          check(label.length > 0 && label.length <= 75, `${where} button ${i}: accessibility_label missing or over 75`);
          check((element.value ?? '').length <= 2000, `${where} button ${i}: value too long`);
          check((element.action_id ?? '').length <= ID_LENGTH, `${where} button ${i}: action_id too long`);
        }
        break;
      case 'input': {
        text(`${where} label`, block.label, 2000);
        if (block.hint) text(`${where} hint`, block.hint, 2000);
        const element = block.element;
        if (element.type === 'plain_text_input') {
          check((element.initial_value ?? '').length <= 3000, `${where}: initial_value too long`);
          check((element.max_length ?? 0) <= 3000, `${where}: max_length over 3000`);
          if (element.placeholder) text(`${where} placeholder`, element.placeholder, 150);
        }
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${where}: block type the builders do not use`);
    }
  });
  expect(problems).toEqual([]);
}

/** The same checks for a modal, plus its title, buttons and metadata. */
export function assertModalWithinLimits(view: types.ModalView): void {
  for (const [name, element] of [
    ['title', view.title],
    ['submit', view.submit],
    ['close', view.close],
  ] as const) {
    if (element) expect(element.text.length, name).toBeLessThanOrEqual(24);
  }
  expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(3000);
  expect((view.callback_id ?? '').length).toBeLessThanOrEqual(ID_LENGTH);
  assertWithinBlockKitLimits(view.blocks as types.KnownBlock[], { surface: 'modal' });
}

/** Every `text` string in the blocks, added up, as Slack's cumulative limit counts. */
function textLength(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let sum = 0;
  for (const [key, item] of Object.entries(value)) {
    sum += key === 'text' && typeof item === 'string' ? item.length : textLength(item);
  }
  return sum;
}
