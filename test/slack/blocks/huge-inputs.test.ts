import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, JsonValue } from '../../../src/approvals/types.js';
import {
  alreadyDecidedText,
  approvalOutcomeMessage,
  approvalRequestMessage,
  BlockId,
  changesModal,
  notAllowedText,
  rejectModal,
} from '../../../src/slack/blocks/index.js';
import { assertModalWithinLimits, assertWithinBlockKitLimits } from './block-kit-limits.js';
import { approvalRecord, decidedRecord } from './fixtures.js';

function nested(depth: number): JsonValue {
  let value: JsonValue = 'bottom';
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? { level: value } : [value];
  return value;
}

const tenKb = 'x'.repeat(10_000);
const huge: Record<string, Partial<ApprovalRecord>> = {
  '1 MB explanation': { explanation: 'Lorem ipsum <dolor> & sit. '.repeat(40_000) },
  '10,000-character title': { title: 'T'.repeat(10_000) },
  'title of 10,000 emoji': { title: '🚀'.repeat(10_000) },
  'context with 5,000 keys': { context: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) },
  '10 KB values': { context: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`key${i}`, tenKb])) },
  '10 KB keys': { context: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${i}${tenKb}`, 'v'])) },
  'deeply nested JSON': { context: { deep: nested(20_000), wide: { a: { b: { c: { d: { e: { f: 1 } } } } } } } },
  'a huge array': { context: { items: Array.from({ length: 100_000 }, (_, i) => ({ i })) } },
  'a huge array of scalars': { context: Array.from({ length: 100_000 }, (_, i) => `item-${i}`) },
  'escapes everywhere': {
    title: '&'.repeat(5000),
    explanation: '<'.repeat(50_000),
    context: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`${'>'.repeat(300)}${i}`, '&'.repeat(3000)])),
  },
  'long requester, task and ids': {
    requestedBy: 'r'.repeat(10_000),
    taskId: 't'.repeat(10_000),
    id: 'i'.repeat(2500),
    approvers: Array.from({ length: 500 }, (_, i) => `someone-${i}-${'n'.repeat(200)}`),
  },
  'everything at once': {
    title: 'T'.repeat(10_000),
    explanation: 'E'.repeat(1_000_000),
    context: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, { deep: nested(50), v: tenKb }])),
    requestedBy: '<!channel>'.repeat(1000),
  },
};

const decisionText = '“quoted” <b> & '.repeat(10_000);

describe('any input size stays within every Block Kit limit', () => {
  for (const [name, overrides] of Object.entries(huge)) {
    describe(name, () => {
      const record = approvalRecord(overrides);

      it('request message', () => {
        const { text, blocks } = approvalRequestMessage(record, { now: new Date('2024-05-01T10:00:00.000Z') });
        assertWithinBlockKitLimits(blocks);
        expect(text.length).toBeLessThanOrEqual(200);
        expect(blocks[0]?.block_id).toBe(BlockId.Header);
        expect(blocks.at(-1)?.block_id).toBe(BlockId.Actions);
      });

      it('outcome message for every status', () => {
        for (const status of ['approved', 'rejected', 'timeout', 'cancelled'] as const) {
          const decided = decidedRecord(
            status,
            { decidedBy: 'd'.repeat(5000), feedback: decisionText, modifications: record.context },
            overrides,
          );
          const { blocks } = approvalOutcomeMessage(decided);
          assertWithinBlockKitLimits(blocks);
          expect(blocks.some((b) => b.block_id === BlockId.Outcome)).toBe(true);
          expect(alreadyDecidedText(decided).length).toBeLessThanOrEqual(500);
        }
      });

      it('modals and ephemeral texts', () => {
        assertModalWithinLimits(rejectModal(record, { channel: 'C0APPROVE', ts: '1714557600.000100' }));
        assertModalWithinLimits(changesModal(record, null));
        expect(notAllowedText(record).length).toBeLessThanOrEqual(3000);
      });
    });
  }

  it('keeps the note on left-out fields when fields must go', () => {
    const { blocks } = approvalRequestMessage(approvalRecord(huge['10 KB values']));
    const note = blocks.find((b) => b.block_id === BlockId.FieldsNote);
    expect(note).toMatchObject({ elements: [{ text: expect.stringMatching(/^_…\d+ more fields not shown_$/) }] });
  });
});
