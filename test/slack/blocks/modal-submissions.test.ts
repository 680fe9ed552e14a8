import { describe, expect, it } from 'vitest';
import { parseChangesSubmission, parseRejectSubmission } from '../../../src/slack/blocks/index.js';

/** `view.state.values` as Slack sends it, for the given block id → typed text. */
function stateValues(inputs: Record<string, string | null>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(inputs).map(([block, value]) => [
      block,
      { [`${block}_input`]: { type: 'plain_text_input', value } },
    ]),
  );
}

describe('parseRejectSubmission', () => {
  it('reads the reason, trimmed', () => {
    expect(parseRejectSubmission(stateValues({ reason: '  Not on a Friday \n' }))).toEqual({
      reason: 'Not on a Friday',
    });
  });

  it('gives no reason when none was typed', () => {
    expect(parseRejectSubmission(stateValues({ reason: null }))).toEqual({ reason: null });
    expect(parseRejectSubmission(stateValues({ reason: '   ' }))).toEqual({ reason: null });
    expect(parseRejectSubmission({})).toEqual({ reason: null });
  });

  it('gives no reason for a state it cannot read', () => {
    expect(parseRejectSubmission('garbage')).toEqual({ reason: null });
    expect(parseRejectSubmission({ reason: { reason_input: { value: 42 } } })).toEqual({ reason: null });
  });
});

describe('parseChangesSubmission', () => {
  it('reads the modifications as JSON and the optional note', () => {
    expect(parseChangesSubmission(stateValues({ modifications: '{"replicas": 2}', feedback: ' only two ' }))).toEqual({
      ok: true,
      modifications: { replicas: 2 },
      feedback: 'only two',
    });
    expect(parseChangesSubmission(stateValues({ modifications: '[1, null]', feedback: null }))).toEqual({
      ok: true,
      modifications: [1, null],
      feedback: null,
    });
  });

  it('asks for JSON when the modifications are empty', () => {
    for (const modifications of [null, '', '  \n ']) {
      expect(parseChangesSubmission(stateValues({ modifications }))).toEqual({
        ok: false,
        errors: { modifications: 'Enter the modifications as JSON' },
      });
    }
  });

  it('says where the JSON is wrong, by line and column', () => {
    const typed = '{\n  "replicas": 2,\n  "regions": }\n}';
    expect(parseChangesSubmission(stateValues({ modifications: typed }))).toEqual({
      ok: false,
      errors: { modifications: 'Not valid JSON: Unexpected token } at line 3, column 14' },
    });
    expect(parseChangesSubmission(stateValues({ modifications: '\n\n{"a": 1' }))).toEqual({
      ok: false,
      errors: { modifications: 'Not valid JSON: Unexpected end of input at line 3, column 8' },
    });
  });

  it('reports a state it cannot read on the modifications input', () => {
    const result = parseChangesSubmission({ modifications: 'not an object' });
    expect(result.ok).toBe(false);
    expect(result.ok ? {} : result.errors).toHaveProperty('modifications');
  });
});
