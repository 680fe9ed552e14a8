import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { changesModal, decodeModalMetadata, rejectModal, ViewId } from '../../../src/slack/blocks/index.js';
import { assertModalWithinLimits } from './block-kit-limits.js';
import { approvalRecord } from './fixtures.js';

const ref = { channel: 'C0CLICKED', ts: '1714557999.000200' };

function input(view: types.ModalView, blockId: string): types.InputBlock {
  const found = view.blocks.find((b) => b.block_id === blockId);
  if (found?.type !== 'input') throw new Error(`no input ${blockId}`);
  return found as types.InputBlock;
}

function textInput(view: types.ModalView, blockId: string): types.PlainTextInput {
  return input(view, blockId).element as types.PlainTextInput;
}

function reminder(view: types.ModalView): string | undefined {
  return (view.blocks[0] as types.SectionBlock).text?.text;
}

describe('rejectModal', () => {
  const view = rejectModal(approvalRecord({ title: 'Drop <prod> & staging' }), ref);

  it('is the Reject modal with its title and buttons', () => {
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: ViewId.Reject,
      title: { type: 'plain_text', text: 'Reject request' },
      submit: { type: 'plain_text', text: 'Reject' },
      close: { type: 'plain_text', text: 'Cancel' },
    });
    assertModalWithinLimits(view);
  });

  it('reminds what is rejected, escaped', () => {
    expect(reminder(view)).toBe('You are rejecting *Drop &lt;prod&gt; &amp; staging*.');
  });

  it('asks for an optional multiline reason of at most 2,000 characters', () => {
    expect(input(view, 'reason').optional).toBe(true);
    expect(textInput(view, 'reason')).toMatchObject({
      type: 'plain_text_input',
      action_id: 'reason_input',
      multiline: true,
      max_length: 2000,
    });
  });

  it('remembers the approval and the clicked message', () => {
    expect(decodeModalMetadata(view.private_metadata)).toEqual({ approvalId: 'apr_123', ...ref });
  });

  it('falls back to the stored message, then to nothing', () => {
    expect(decodeModalMetadata(rejectModal(approvalRecord(), null).private_metadata)).toEqual({
      approvalId: 'apr_123',
      channel: 'C0APPROVE',
      ts: '1714557600.000100',
    });
    expect(decodeModalMetadata(rejectModal(approvalRecord({ message: null }), null).private_metadata)).toEqual({
      approvalId: 'apr_123',
      channel: null,
      ts: null,
    });
  });
});

describe('changesModal', () => {
  it('is the Approve-with-changes modal', () => {
    const view = changesModal(approvalRecord(), ref);
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: ViewId.Changes,
      title: { text: 'Approve with changes' },
      submit: { text: 'Approve' },
      close: { text: 'Cancel' },
    });
    expect(decodeModalMetadata(view.private_metadata)).toEqual({ approvalId: 'apr_123', ...ref });
    assertModalWithinLimits(view);
  });

  it('prefills the modifications with the context as pretty JSON', () => {
    const context = { replicas: 3, regions: ['eu'] };
    const view = changesModal(approvalRecord({ context }), ref);
    expect(input(view, 'modifications').optional).toBe(false);
    expect(textInput(view, 'modifications')).toMatchObject({
      action_id: 'modifications_input',
      multiline: true,
      max_length: 3000,
      initial_value: JSON.stringify(context, null, 2),
    });
    expect(input(view, 'modifications').hint?.text).toMatch(/replaces the request’s context/);
  });

  it('leaves the modifications empty, and says why, when the context is too large to prefill', () => {
    const context = { blob: 'x'.repeat(3000) };
    const view = changesModal(approvalRecord({ context }), ref);
    expect(textInput(view, 'modifications').initial_value).toBeUndefined();
    expect(input(view, 'modifications').hint?.text).toBe(
      'The context is too large to prefill here. The JSON you enter replaces the whole context.',
    );
    assertModalWithinLimits(view);
  });

  it('asks for an optional note', () => {
    const view = changesModal(approvalRecord(), ref);
    expect(input(view, 'feedback').optional).toBe(true);
    expect(textInput(view, 'feedback')).toMatchObject({ action_id: 'feedback_input', max_length: 2000 });
  });
});
