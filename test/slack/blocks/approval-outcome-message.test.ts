import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import {
  alreadyDecidedText,
  approvalOutcomeMessage,
  BlockId,
  notAllowedText,
} from '../../../src/slack/blocks/index.js';
import { assertWithinBlockKitLimits } from './block-kit-limits.js';
import { approvalRecord, decidedRecord } from './fixtures.js';

const AT_10_42 = '<!date^1714560120^{time}|2024-05-01T10:42:00.000Z>';

function sectionText(blocks: types.KnownBlock[], blockId: string): string | undefined {
  const found = blocks.find((b) => b.block_id === blockId) as types.SectionBlock | undefined;
  return found?.text?.text;
}

describe('approvalOutcomeMessage', () => {
  it('keeps the request but drops the buttons', () => {
    const { blocks } = approvalOutcomeMessage(decidedRecord('approved'));
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(blocks.map((b) => b.block_id)).toEqual([
      BlockId.Header,
      BlockId.Explanation,
      `${BlockId.FieldsPrefix}0`,
      BlockId.Meta,
      BlockId.Outcome,
    ]);
    assertWithinBlockKitLimits(blocks);
  });

  it('says who approved, when, and their feedback', () => {
    const { text, blocks } = approvalOutcomeMessage(decidedRecord('approved', { feedback: 'Go ahead' }));
    expect(sectionText(blocks, BlockId.Outcome)).toBe(`✅ Approved by <@U0ALICE1> · ${AT_10_42} · “Go ahead”`);
    expect(text).toBe('Approved: Deploy billing-service to production');
  });

  it('says who rejected, when, and why', () => {
    const { text, blocks } = approvalOutcomeMessage(decidedRecord('rejected', { feedback: 'Not on a Friday' }));
    expect(sectionText(blocks, BlockId.Outcome)).toBe(`❌ Rejected by <@U0ALICE1> · ${AT_10_42} · “Not on a Friday”`);
    expect(text).toBe('Rejected: Deploy billing-service to production');
  });

  it('leaves out the quote when there is no feedback', () => {
    const { blocks } = approvalOutcomeMessage(decidedRecord('rejected', { feedback: '   ' }));
    expect(sectionText(blocks, BlockId.Outcome)).toBe(`❌ Rejected by <@U0ALICE1> · ${AT_10_42}`);
  });

  it('says a timeout had no decision by the deadline', () => {
    const { blocks } = approvalOutcomeMessage(decidedRecord('timeout'));
    expect(sectionText(blocks, BlockId.Outcome)).toBe(
      '⏰ Timed out · no decision by <!date^1714561200^{date_short_pretty} {time}|2024-05-01T11:00:00.000Z>',
    );
  });

  it('says who cancelled, showing a caller that is not a Slack user as escaped text', () => {
    const { blocks } = approvalOutcomeMessage(
      decidedRecord('cancelled', { decidedBy: 'ops-api <svc>', via: 'api', feedback: 'Superseded & obsolete' }),
    );
    expect(sectionText(blocks, BlockId.Outcome)).toBe(
      `🚫 Cancelled by ops-api &lt;svc&gt; via the API · ${AT_10_42} · “Superseded &amp; obsolete”`,
    );
  });

  it('names the surface when the decision came from e-mail or the web', () => {
    const { blocks } = approvalOutcomeMessage(
      decidedRecord('approved', { decidedBy: 'alice@example.com', via: 'email' }),
    );
    expect(sectionText(blocks, BlockId.Outcome)).toBe(`✅ Approved by alice@example.com via e-mail · ${AT_10_42}`);
  });

  it('shows the modifications of an approval with changes as a JSON code block', () => {
    const { blocks } = approvalOutcomeMessage(
      decidedRecord('approved', { modifications: { replicas: 2, note: '<b>' } }),
    );
    expect(sectionText(blocks, BlockId.Modifications)).toBe(
      '✏️ *Approved with changes*\n```{\n  "replicas": 2,\n  "note": "&lt;b&gt;"\n}```',
    );
    expect(blocks.at(-1)?.block_id).toBe(BlockId.Modifications);
    assertWithinBlockKitLimits(blocks);
  });

  it('does not show modifications for anything but an approval', () => {
    const { blocks } = approvalOutcomeMessage(decidedRecord('rejected', { modifications: { a: 1 } }));
    expect(sectionText(blocks, BlockId.Modifications)).toBeUndefined();
  });

  it('keeps three backticks in modifications from closing the code block', () => {
    const { blocks } = approvalOutcomeMessage(decidedRecord('approved', { modifications: 'a ``` b' }));
    const text = sectionText(blocks, BlockId.Modifications) ?? '';
    expect(text.match(/```/g)).toHaveLength(2);
  });
});

describe('alreadyDecidedText', () => {
  const at = '<!date^1714560120^{date_short_pretty} at {time}|2024-05-01T10:42:00.000Z>';

  it('tells who decided and when', () => {
    expect(alreadyDecidedText(decidedRecord('approved'))).toBe(
      `This request was already approved by <@U0ALICE1> ${at}.`,
    );
    expect(alreadyDecidedText(decidedRecord('rejected', { decidedBy: 'bob@example.com' }))).toBe(
      `This request was already rejected by bob@example.com ${at}.`,
    );
    expect(alreadyDecidedText(decidedRecord('cancelled'))).toBe(
      `This request was already cancelled by <@U0ALICE1> ${at}.`,
    );
  });

  it('tells when a request timed out', () => {
    expect(alreadyDecidedText(decidedRecord('timeout'))).toBe(
      'This request already timed out: there was no decision by <!date^1714561200^{date_short_pretty} at {time}|2024-05-01T11:00:00.000Z>.',
    );
  });
});

describe('notAllowedText', () => {
  it('lists the approvers', () => {
    expect(notAllowedText(approvalRecord({ approvers: ['U0ALICE1', 'U0BOB22'] }))).toBe(
      'You are not one of the approvers of this request (approvers: <@U0ALICE1>, <@U0BOB22>).',
    );
  });

  it('shortens a long list of approvers', () => {
    const approvers = Array.from({ length: 25 }, (_, i) => `U0USER${i}`);
    expect(notAllowedText(approvalRecord({ approvers }))).toMatch(/<@U0USER19> and 5 more\)\.$/);
  });
});
