import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ActionId, approvalRequestMessage, BlockId } from '../../../src/slack/blocks/index.js';
import { assertWithinBlockKitLimits } from './block-kit-limits.js';
import { approvalRecord } from './fixtures.js';

function block<T extends types.KnownBlock['type']>(
  blocks: types.KnownBlock[],
  blockId: string,
): Extract<types.KnownBlock, { type: T }> {
  const found = blocks.find((b) => b.block_id === blockId);
  if (!found) throw new Error(`no block ${blockId} in ${blocks.map((b) => b.block_id).join(', ')}`);
  return found as Extract<types.KnownBlock, { type: T }>;
}

function fieldTexts(blocks: types.KnownBlock[]): string[] {
  return blocks
    .filter((b): b is types.SectionBlock => b.type === 'section' && (b.block_id ?? '').startsWith(BlockId.FieldsPrefix))
    .flatMap((b) => (b.fields ?? []).map((f) => f.text));
}

describe('approvalRequestMessage', () => {
  it('has a header, the explanation, the context fields, a context line and the actions, in that order', () => {
    const { blocks } = approvalRequestMessage(approvalRecord());
    expect(blocks.map((b) => b.block_id)).toEqual([
      BlockId.Header,
      BlockId.Explanation,
      `${BlockId.FieldsPrefix}0`,
      BlockId.Meta,
      BlockId.Actions,
    ]);
    expect(block<'header'>(blocks, BlockId.Header).text).toMatchObject({
      type: 'plain_text',
      text: 'Deploy billing-service to production',
    });
    expect(block<'section'>(blocks, BlockId.Explanation).text).toEqual({
      type: 'mrkdwn',
      text: 'All checks passed on staging. The migration adds one nullable column.',
    });
    assertWithinBlockKitLimits(blocks);
  });

  it('offers Approve (primary), Reject (danger) and Approve with changes (no style), each carrying the approval id', () => {
    const { blocks } = approvalRequestMessage(approvalRecord({ id: 'apr_xyz' }));
    const actions = block<'actions'>(blocks, 'gatehouse_actions');
    const buttons = actions.elements.map((e) => {
      const button = e as types.Button;
      return { action_id: button.action_id, text: button.text.text, style: button.style, value: button.value };
    });
    expect(buttons).toEqual([
      { action_id: ActionId.Approve, text: 'Approve', style: 'primary', value: 'apr_xyz' },
      { action_id: ActionId.Reject, text: 'Reject', style: 'danger', value: 'apr_xyz' },
      { action_id: ActionId.ApproveWithChanges, text: 'Approve with changes', style: undefined, value: 'apr_xyz' },
    ]);
    expect(ActionId).toEqual({
      Approve: 'gatehouse_approve',
      Reject: 'gatehouse_reject',
      ApproveWithChanges: 'gatehouse_approve_changes',
      ApproveForRun: 'gatehouse_approve_run',
      ApproveForHour: 'gatehouse_approve_1h',
    });
  });

  it('gives a short plain fallback text for notifications', () => {
    expect(approvalRequestMessage(approvalRecord({ title: 'Drop table users' })).text).toBe(
      'Approval needed: Drop table users',
    );
  });

  it('shows context as readable key.path fields', () => {
    const context = {
      service: 'billing',
      replicas: 3,
      dryRun: false,
      owner: null,
      regions: ['eu-west-1', 'us-east-1'],
      limits: { cpu: { max: 2 }, memory: '4Gi' },
      steps: [{ name: 'migrate' }],
      tags: {},
    };
    const { blocks } = approvalRequestMessage(approvalRecord({ context }));
    expect(fieldTexts(blocks)).toEqual([
      '*service*\nbilling',
      '*replicas*\n`3`',
      '*dryRun*\n`false`',
      '*owner*\n`null`',
      '*regions*\neu-west-1, us-east-1',
      '*limits.cpu.max*\n`2`',
      '*limits.memory*\n4Gi',
      '*steps*\n`[{"name":"migrate"}]`',
      '*tags*\n`{}`',
    ]);
  });

  it('splits many fields into sections of ten and says how many were left out', () => {
    const context = Object.fromEntries(Array.from({ length: 75 }, (_, i) => [`key${i}`, i]));
    const { blocks } = approvalRequestMessage(approvalRecord({ context }));
    const sections = blocks.filter((b) => (b.block_id ?? '').startsWith(BlockId.FieldsPrefix));
    expect(sections.map((s) => (s as types.SectionBlock).fields?.length)).toEqual([10, 10, 10, 10, 10]);
    expect(fieldTexts(blocks)[0]).toBe('*key0*\n`0`');
    const note = block<'context'>(blocks, BlockId.FieldsNote);
    expect(note.elements).toEqual([{ type: 'mrkdwn', text: '_…25 more fields not shown_' }]);
    expect(blocks.indexOf(note)).toBe(blocks.indexOf(sections.at(-1) as types.KnownBlock) + 1);
    assertWithinBlockKitLimits(blocks);
  });

  it('shows no fields for an empty or null context, and one `context` field for a scalar', () => {
    for (const context of [{}, null]) {
      expect(fieldTexts(approvalRequestMessage(approvalRecord({ context })).blocks)).toEqual([]);
    }
    expect(fieldTexts(approvalRequestMessage(approvalRecord({ context: 'just text' })).blocks)).toEqual([
      '*context*\njust text',
    ]);
  });

  it('names the requester as a mention when it is a Slack user id, else as escaped text', () => {
    const meta = (requestedBy: string | null) =>
      block<'context'>(approvalRequestMessage(approvalRecord({ requestedBy })).blocks, BlockId.Meta).elements.map(
        (e) => (e as types.MrkdwnElement).text,
      );
    expect(meta('U0AGENT1')[0]).toBe('Requested by <@U0AGENT1>');
    expect(meta('W12345')[0]).toBe('Requested by <@W12345>');
    expect(meta('deploy-bot <ci@example.com>')[0]).toBe('Requested by deploy-bot &lt;ci@example.com&gt;');
    expect(meta('u0lowercase')[0]).toBe('Requested by u0lowercase');
    expect(meta(null).some((t) => t.startsWith('Requested by'))).toBe(false);
  });

  it('shows task id, deadline in Slack date syntax and the approval id', () => {
    const { blocks } = approvalRequestMessage(approvalRecord({ expiresAt: '2024-05-01T11:00:00.000Z' }));
    const texts = block<'context'>(blocks, BlockId.Meta).elements.map((e) => (e as types.MrkdwnElement).text);
    expect(texts).toEqual([
      'Requested by <@U0AGENT1>',
      'Task `task-42`',
      '⏳ Decide by <!date^1714561200^{date_short_pretty} {time}|2024-05-01T11:00:00.000Z>',
      'ID `apr_123`',
    ]);
  });

  it('adds the time left when told the time', () => {
    const text = (now: string) =>
      (
        block<'context'>(approvalRequestMessage(approvalRecord(), { now: new Date(now) }).blocks, BlockId.Meta)
          .elements[2] as types.MrkdwnElement
      ).text;
    expect(text('2024-05-01T10:30:00.000Z')).toMatch(/· 30 min left$/);
    expect(text('2024-04-30T09:00:00.000Z')).toMatch(/· about 26 h left$/);
    expect(text('2024-05-01T12:00:00.000Z')).toMatch(/· deadline passed$/);
  });

  it('escapes user text so it cannot inject markup or mentions', () => {
    const record = approvalRecord({
      title: '<script>alert(1)</script> & <!channel>',
      explanation: 'Ping <!here> & <@U0EVIL1> <https://evil.example|click>',
      context: { 'a<b>': '<!everyone> & co', list: ['<x>', '&'] },
      taskId: '<task>',
    });
    const { text, blocks } = approvalRequestMessage(record);
    expect(text).toBe('Approval needed: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;');
    expect(block<'section'>(blocks, BlockId.Explanation).text?.text).toBe(
      'Ping &lt;!here&gt; &amp; &lt;@U0EVIL1&gt; &lt;https://evil.example|click&gt;',
    );
    expect(fieldTexts(blocks)).toEqual(['*a&lt;b&gt;*\n&lt;!everyone&gt; &amp; co', '*list*\n&lt;x&gt;, &amp;']);
    // The header is plain_text, which Slack does not parse: it is shown exactly as written.
    expect(block<'header'>(blocks, BlockId.Header).text.text).toBe('<script>alert(1)</script> & <!channel>');
    assertWithinBlockKitLimits(blocks);
  });
});
