import { describe, expect, it } from 'vitest';
import { decodeModalMetadata, encodeModalMetadata, InputId, ViewId } from '../../../src/slack/blocks/index.js';

describe('modal metadata', () => {
  it('round-trips the approval id and the message reference', () => {
    const meta = { approvalId: 'apr_123', channel: 'C0APPROVE', ts: '1714557600.000100' };
    expect(decodeModalMetadata(encodeModalMetadata(meta))).toEqual(meta);
  });

  it('round-trips an unknown message', () => {
    const meta = { approvalId: 'apr_123', channel: null, ts: null };
    expect(decodeModalMetadata(encodeModalMetadata(meta))).toEqual(meta);
  });

  it('gives null for anything it did not write', () => {
    for (const raw of [
      undefined,
      null,
      '',
      'not json',
      '[]',
      '{}',
      '{"approvalId":""}',
      '{"approvalId":1,"channel":null,"ts":null}',
    ]) {
      expect(decodeModalMetadata(raw)).toBeNull();
    }
    expect(decodeModalMetadata('{"approvalId":"a","channel":"C1"}')).toBeNull();
  });

  it('stays within 3,000 characters even for an absurd id', () => {
    const encoded = encodeModalMetadata({ approvalId: '"\u0001'.repeat(5000), channel: 'C1', ts: '1.2' });
    expect(encoded.length).toBeLessThanOrEqual(3000);
    expect(decodeModalMetadata(encoded)).toMatchObject({ channel: 'C1', ts: '1.2' });
  });
});

describe('ids', () => {
  it('name the modals and their inputs', () => {
    expect(ViewId).toEqual({ Reject: 'gatehouse_reject_modal', Changes: 'gatehouse_changes_modal' });
    expect(InputId).toEqual({
      Reason: { block: 'reason', action: 'reason_input' },
      Modifications: { block: 'modifications', action: 'modifications_input' },
      Feedback: { block: 'feedback', action: 'feedback_input' },
    });
  });
});
