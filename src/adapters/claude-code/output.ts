import type { Approval, JsonValue } from '../../client/index.js';
import type { HookInput } from './input.js';

/** What the hook does when its own wait is over and nobody has decided yet. */
export type OnTimeout = 'defer' | 'ask' | 'deny';

/** The JSON a command hook prints on stdout (Claude Code's hooks reference). */
export type HookOutput =
  | {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse';
        permissionDecision: 'allow' | 'deny' | 'ask' | 'defer';
        permissionDecisionReason?: string;
        updatedInput?: Record<string, JsonValue>;
        additionalContext?: string;
      };
    }
  | {
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest';
        decision:
          | { behavior: 'allow'; updatedInput?: Record<string, JsonValue> }
          | { behavior: 'deny'; message: string };
      };
    };

const isObject = (value: unknown): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const quoted = (value: JsonValue | undefined) => {
  const text = value === undefined ? '(none)' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
};

/** Who decided, for the reasons: `U0ALICE via slack`. */
const byWhom = (approval: Approval) =>
  approval.decision ? `${approval.decision.decidedBy} via ${approval.decision.via}` : 'Gatehouse';

/**
 * The input the tool runs with once approved: the approver's modifications over the original (Claude
 * Code replaces the whole input, so unchanged fields are kept), or null when nothing changed.
 */
export function editedInput(input: HookInput, approval: Approval): Record<string, JsonValue> | null {
  const modifications = approval.decision?.modifications;
  if (!isObject(modifications)) return null;
  const updated = { ...input.tool_input, ...modifications };
  return JSON.stringify(updated) === JSON.stringify(input.tool_input) ? null : updated;
}

/** What the model is told when a person changed its tool call: plainly, field by field. */
export function describeEdit(input: HookInput, approval: Approval, updated: Record<string, JsonValue>): string {
  const changes = Object.keys(updated)
    .filter((name) => JSON.stringify(updated[name]) !== JSON.stringify(input.tool_input[name]))
    .map((name) => `${name}: ${quoted(input.tool_input[name])} → ${quoted(updated[name])}`);
  const note = approval.decision?.feedback ? ` Their note: ${JSON.stringify(approval.decision.feedback)}` : '';
  return `A person (${byWhom(approval)}) approved this ${input.tool_name} call only after changing it; it runs as changed, not as you wrote it. Changes: ${changes.join('; ')}.${note}`;
}

const preToolUse = (
  decision: 'allow' | 'deny' | 'ask' | 'defer',
  fields: { reason?: string; updatedInput?: Record<string, JsonValue>; context?: string } = {},
): HookOutput => ({
  hookSpecificOutput: {
    hookEventName: 'PreToolUse',
    permissionDecision: decision,
    ...(fields.reason ? { permissionDecisionReason: fields.reason } : {}),
    ...(fields.updatedInput ? { updatedInput: fields.updatedInput } : {}),
    ...(fields.context ? { additionalContext: fields.context } : {}),
  },
});

const permissionRequest = (
  decision: { behavior: 'allow'; updatedInput?: Record<string, JsonValue> } | { behavior: 'deny'; message: string },
): HookOutput => ({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision } });

/** Why a decided approval does not let the tool run, for the model. */
function refusal(approval: Approval): string {
  const feedback = approval.decision?.feedback ? `: ${approval.decision.feedback}` : '';
  switch (approval.status) {
    case 'rejected':
      return `Rejected by ${byWhom(approval)}${feedback || ' (no reason given)'}`;
    case 'cancelled':
      return `The approval request was withdrawn (${byWhom(approval)})${feedback}`;
    default:
      return `Nobody decided on the approval request ${approval.id} by its deadline (${approval.expiresAt}), so the call is not allowed`;
  }
}

/** The hook's answer for a decided approval: allow (with the edited input), or deny with the reason. */
export function decisionOutput(input: HookInput, approval: Approval): HookOutput {
  const updated = approval.status === 'approved' ? editedInput(input, approval) : null;
  if (input.hook_event_name === 'PermissionRequest') {
    if (approval.status !== 'approved') return permissionRequest({ behavior: 'deny', message: refusal(approval) });
    return permissionRequest({ behavior: 'allow', ...(updated ? { updatedInput: updated } : {}) });
  }
  if (approval.status !== 'approved') return preToolUse('deny', { reason: refusal(approval) });
  const feedback = approval.decision?.feedback;
  return preToolUse('allow', {
    reason: `Approved in Gatehouse by ${byWhom(approval)}`,
    ...(updated
      ? { updatedInput: updated, context: describeEdit(input, approval, updated) }
      : feedback
        ? { context: `The approver (${byWhom(approval)}) noted: ${JSON.stringify(feedback)}` }
        : {}),
  });
}

/**
 * The hook's answer when its wait ran out with the approval still pending. `defer` (PreToolUse
 * only) leaves the request open for a resumed session; `ask` hands the call to Claude Code's own
 * permission prompt (for PermissionRequest: no answer, so the dialog shows); `deny` refuses it.
 * Null means: print nothing.
 */
export function timeoutOutput(
  input: HookInput,
  approval: Approval,
  onTimeout: OnTimeout,
  waited: string,
): HookOutput | null {
  const note = `No decision in Gatehouse within ${waited} on ${approval.id}`;
  if (input.hook_event_name === 'PermissionRequest') {
    if (onTimeout === 'ask') return null;
    return permissionRequest({
      behavior: 'deny',
      message: `${note}: the request was withdrawn. Ask again later if it is still needed.`,
    });
  }
  if (onTimeout === 'defer') return preToolUse('defer');
  if (onTimeout === 'ask')
    return preToolUse('ask', { reason: `${note}: the request was withdrawn there; decide here.` });
  return preToolUse('deny', {
    reason: `${note}: the request was withdrawn and the call is not allowed. Ask the user, or try again later if it is still needed.`,
  });
}
