import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { homeView } from '../../../src/slack/blocks/home.js';
import { ActionId, approvalOutcomeMessage, approvalRequestMessage, BlockId } from '../../../src/slack/blocks/index.js';
import { assertWithinBlockKitLimits } from './block-kit-limits.js';
import { approvalRecord, decidedRecord } from './fixtures.js';

const buttonsOf = (blocks: types.KnownBlock[], blockId: string = BlockId.Actions) => {
  const actions = blocks.find((b) => b.block_id === blockId) as types.ActionsBlock | undefined;
  return (actions?.elements ?? []) as types.Button[];
};

describe('grant buttons', () => {
  it('adds "Approve for this run" and "Approve for 1 hour" after the usual three when the request offers both', () => {
    const { blocks } = approvalRequestMessage(approvalRecord({ id: 'apr_g', grantOptions: ['run', '1h'] }));
    const buttons = buttonsOf(blocks);
    expect(buttons.map((b) => [b.action_id, b.text.text, b.value, b.style])).toEqual([
      [ActionId.Approve, 'Approve', 'apr_g', 'primary'],
      [ActionId.Reject, 'Reject', 'apr_g', 'danger'],
      [ActionId.ApproveWithChanges, 'Approve with changes', 'apr_g', undefined],
      [ActionId.ApproveForRun, 'Approve for this run', 'apr_g', undefined],
      [ActionId.ApproveForHour, 'Approve for 1 hour', 'apr_g', undefined],
    ]);
    expect(buttons[3]?.accessibility_label).toBe('Approve for this run: Deploy billing-service to production');
    assertWithinBlockKitLimits(blocks);
  });

  it('offers only what the request offers, and none by default', () => {
    const hourOnly = buttonsOf(approvalRequestMessage(approvalRecord({ grantOptions: ['1h'] })).blocks);
    expect(hourOnly.map((b) => b.action_id)).toEqual([
      ActionId.Approve,
      ActionId.Reject,
      ActionId.ApproveWithChanges,
      ActionId.ApproveForHour,
    ]);
    expect(buttonsOf(approvalRequestMessage(approvalRecord()).blocks)).toHaveLength(3);
  });

  it('keeps accessibility labels within 75 characters for long titles', () => {
    const title = 'Run the very long maintenance script on every production database shard tonight';
    const { blocks } = approvalRequestMessage(approvalRecord({ title, grantOptions: ['run', '1h'] }));
    for (const button of buttonsOf(blocks)) expect(button.accessibility_label?.length).toBeLessThanOrEqual(75);
    assertWithinBlockKitLimits(blocks);
  });

  it('shows the grant buttons in App Home too', () => {
    const stats = {
      total: 0,
      running: 0,
      completed: 0,
      failed: 0,
      failureRate: 0,
      avgDurationSeconds: null,
      totalCostUsd: 0,
    };
    const approvals = [approvalRecord({ grantOptions: ['run', '1h'] })];
    const view = homeView({ approvals, tasks: [], alerts: [], stats, now: new Date('2024-05-01T10:00:00Z') });
    const ids = view.blocks
      .filter((b): b is types.ActionsBlock => b.type === 'actions')
      .flatMap((b) => b.elements.map((e) => (e as types.Button).action_id));
    expect(ids).toContain(ActionId.ApproveForRun);
    expect(ids).toContain(ActionId.ApproveForHour);
    assertWithinBlockKitLimits(view.blocks, { surface: 'modal' });
  });

  it('says in the outcome line what was granted, and when a grant approved the request', () => {
    const granted = decidedRecord('approved', {
      granted: { id: 'grant-apr_123', duration: '1h', expiresAt: '2024-05-01T11:42:00.000Z' },
    });
    const line = (record: typeof granted) =>
      (approvalOutcomeMessage(record).blocks.find((b) => b.block_id === BlockId.Outcome) as types.SectionBlock).text
        ?.text;
    expect(line(granted)).toContain('✅ Approved by <@U0ALICE1>');
    expect(line(granted)).toContain('and for 1 hour');
    const viaGrant = decidedRecord('approved', { via: 'grant', grantId: 'grant-apr_1' });
    expect(line(viaGrant)).toContain('via a standing grant');
  });
});
