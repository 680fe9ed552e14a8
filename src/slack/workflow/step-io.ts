import { z } from 'zod';
import type { ApprovalRecord, ApprovalRequest } from '../../approvals/types.js';

/** The callback id of the "Request approval" step, as declared under `functions` in manifest.yml. */
export const REQUEST_APPROVAL_STEP = 'request_approval';

/** A Slack user id, as Workflow Builder passes `slack#/types/user_id` values. */
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/**
 * The step's inputs as Workflow Builder sends them. Loose on purpose where Slack is loose (an
 * unset optional input may arrive as null or an empty string); the gate's own schema then checks
 * the request built from them, so the step has exactly the API's rules.
 */
const inputsSchema = z.object({
  title: z.string('the title input is required').trim().min(1, 'the title input is empty'),
  details: z.string().nullish(),
  approvers: z.array(z.string()).nullish(),
  /** Minutes: what a person setting up a workflow thinks in. */
  timeout: z.number('the timeout input must be a number of minutes').positive().nullish(),
  requested_by: z.string().nullish(),
  /** Where to ask; empty: the approvals channel. With many workspaces, a channel of the workflow's own. */
  channel: z.string().nullish(),
});

/** What the workflow's run adds to the request, so approvers see where it came from. */
export interface StepOrigin {
  functionExecutionId: string;
  workflowExecutionId?: string;
}

/** The approval id of a step run: a re-delivered `function_executed` event joins the same approval. */
export function approvalIdFor(functionExecutionId: string): string {
  return `workflow:${functionExecutionId}`;
}

/**
 * Turns the step's inputs into an approval request, or names what is wrong with them. Empty
 * approvers mean the configured defaults (the input is optional in Workflow Builder).
 */
export function requestFromInputs(
  inputs: unknown,
  origin: StepOrigin,
): { request: ApprovalRequest } | { error: string } {
  const parsed = inputsSchema.safeParse(inputs ?? {});
  if (!parsed.success) {
    return { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'inputs'}: ${i.message}`).join('; ') };
  }
  const { title, details, approvers, timeout, requested_by: requestedBy, channel } = parsed.data;
  const request: ApprovalRequest = {
    id: approvalIdFor(origin.functionExecutionId),
    title,
    context: {
      source: 'Slack workflow',
      ...(origin.workflowExecutionId ? { workflowExecution: origin.workflowExecutionId } : {}),
    },
  };
  if (details) request.explanation = details;
  if (approvers && approvers.length > 0) request.approvers = approvers;
  if (timeout) request.timeoutSeconds = Math.round(timeout * 60);
  if (requestedBy) request.requestedBy = requestedBy;
  if (channel) request.channel = channel;
  return { request };
}

/** How a decided approval ends the step: outputs for `functions.completeSuccess`, or an error. */
export type StepOutcome = { outputs: Record<string, string> } | { error: string };

/**
 * Approved and rejected complete the step (the workflow branches on `decision`); a timeout or a
 * cancellation fails it, since nobody decided. `decided_by` is filled only with a Slack user id,
 * the type the manifest declares; `edited_values` is the approver's changes as JSON text.
 */
export function stepOutcome(record: ApprovalRecord): StepOutcome {
  const decision = record.decision;
  if (record.status === 'timeout') {
    return { error: `Nobody decided "${record.title}" within ${describeSeconds(record.timeoutSeconds)}.` };
  }
  if (record.status === 'cancelled') {
    const why = decision?.feedback ? `: ${decision.feedback}` : '';
    return { error: `The approval request "${record.title}" was cancelled${why}.` };
  }
  const outputs: Record<string, string> = {
    decision: record.status,
    reason: decision?.feedback ?? '',
    edited_values: decision?.modifications == null ? '' : JSON.stringify(decision.modifications),
  };
  if (decision && SLACK_USER.test(decision.decidedBy)) outputs.decided_by = decision.decidedBy;
  return { outputs };
}

function describeSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
