import { describe, expect, it } from 'vitest';
import { buildRecord, DEFAULTS } from '../../../src/approvals/record.js';
import type { ApprovalRecord, Decision } from '../../../src/approvals/types.js';
import { requestFromInputs, stepOutcome } from '../../../src/slack/workflow/step-io.js';

const origin = { functionExecutionId: 'Fx0000000001', workflowExecutionId: 'Wx0000000001' };

function decided(status: ApprovalRecord['status'], decision: Partial<Decision>): ApprovalRecord {
  const record = buildRecord({ title: 'Ship it', timeoutSeconds: 7200 }, DEFAULTS, Date.now(), 'workflow:Fx1');
  const full: Decision = {
    decidedBy: 'U0ALICE',
    decidedAt: new Date().toISOString(),
    via: 'slack',
    feedback: null,
    modifications: null,
    ...decision,
  };
  return { ...record, status, decision: full };
}

describe('workflow step inputs', () => {
  it('turns minutes into the timeout, details into the explanation, and leaves empty approvers to the defaults', () => {
    const built = requestFromInputs(
      {
        title: ' Ship it ',
        details: 'v2 to prod',
        approvers: [],
        timeout: 90,
        requested_by: 'U0CAROL',
        channel: 'C0OPS',
      },
      origin,
    );
    expect(built).toEqual({
      request: {
        id: 'workflow:Fx0000000001',
        title: 'Ship it',
        explanation: 'v2 to prod',
        timeoutSeconds: 5400,
        requestedBy: 'U0CAROL',
        channel: 'C0OPS',
        context: { source: 'Slack workflow', workflowExecution: 'Wx0000000001' },
      },
    });
  });

  it('names the input that is wrong', () => {
    expect(requestFromInputs({ details: 'no title' }, origin)).toEqual({
      error: 'title: the title input is required',
    });
    expect(requestFromInputs({ title: 'x', timeout: 'soon' }, origin)).toEqual({
      error: 'timeout: the timeout input must be a number of minutes',
    });
    expect(requestFromInputs(null, origin)).toMatchObject({ error: expect.stringContaining('title') });
  });
});

describe('workflow step outcome', () => {
  it('completes with the edited values as JSON and the reason', () => {
    const outcome = stepOutcome(
      decided('approved', { feedback: 'ok with a smaller budget', modifications: { budget: 5 } }),
    );
    expect(outcome).toEqual({
      outputs: {
        decision: 'approved',
        decided_by: 'U0ALICE',
        reason: 'ok with a smaller budget',
        edited_values: '{"budget":5}',
      },
    });
  });

  it('leaves decided_by out when the decider is not a Slack user', () => {
    const outcome = stepOutcome(decided('approved', { decidedBy: 'gatehouse', via: 'system' }));
    expect(outcome).toEqual({ outputs: { decision: 'approved', reason: '', edited_values: '' } });
  });

  it('fails on a timeout or a cancellation, saying why', () => {
    expect(stepOutcome(decided('timeout', { decidedBy: 'gatehouse', via: 'system' }))).toEqual({
      error: 'Nobody decided "Ship it" within 2 h.',
    });
    expect(stepOutcome(decided('cancelled', { feedback: 'aborted by the requester' }))).toEqual({
      error: 'The approval request "Ship it" was cancelled: aborted by the requester.',
    });
  });
});
