import { z } from 'zod';
import { changedFields } from '../../approvals/modifications.js';
import type { ApprovalResponse, JsonValue } from '../../approvals/types.js';
import type { FieldIssue } from '../../errors.js';
import type { StageApprovalRequest } from '../types.js';
import type { AnyAgentTool, ToolApproval } from './types.js';

type JsonObject = { [key: string]: JsonValue };

// The context carries the tool's name (and risk) beside its input. Flat (`{ tool, risk, ...input }`)
// lets approvers edit the input in a form; an input using these names itself is nested under `input`.
const RESERVED = ['tool', 'risk'];

/** How one tool call's approval is asked, and how its modifications map back to the tool's input. */
export interface ToolApprovalShape {
  request: StageApprovalRequest;
  /** The tool input an approval's modifications stand for. */
  inputOf(modifications: JsonValue): JsonValue;
}

/**
 * The approval for a call of `tool` with `input`: the context is the tool and its input, and the
 * modifications an approver may submit are the input, checked by the tool's `input_schema`.
 */
export function toolApproval(tool: AnyAgentTool, input: JsonObject, how: ToolApproval): ToolApprovalShape {
  const risk: JsonObject = how.risk ? { risk: how.risk } : {};
  const nested = Object.keys(input).some((key) => RESERVED.includes(key));
  const schema = tool.input_schema as unknown as JsonObject;
  const request: StageApprovalRequest = {
    title: how.title ?? `Claude wants to run ${tool.name}`,
    explanation:
      how.explanation ?? [tool.description, how.risk ? `Risk: ${how.risk}.` : ''].filter(Boolean).join('\n\n'),
    context: nested ? { tool: tool.name, ...risk, input } : { tool: tool.name, ...risk, ...input },
    modificationsSchema: nested
      ? { type: 'object', properties: { input: schema }, required: ['input'], additionalProperties: false }
      : schema,
    ...(how.approvers ? { approvers: how.approvers } : {}),
    ...(how.channel ? { channel: how.channel } : {}),
    ...(how.timeoutSeconds ? { timeoutSeconds: how.timeoutSeconds } : {}),
  };
  return {
    request,
    inputOf: (modifications) => (nested ? ((modifications as JsonObject | null)?.input ?? null) : modifications),
  };
}

/** Problems of `input` against the tool's `input_schema`, with the fields named; none when it fits. */
export function checkToolInput(tool: AnyAgentTool, input: unknown): FieldIssue[] {
  const schema = z.fromJSONSchema(tool.input_schema as Parameters<typeof z.fromJSONSchema>[0]);
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : 'input',
    message: issue.message,
  }));
}

/** Issues as one line for Claude: `to: Invalid email address; subject: Required`. */
export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
}

/** Why a call was not run, told to Claude plainly (an `is_error` result). */
export function refusal(tool: string, response: ApprovalResponse): string {
  const reason = response.feedback ? ` Their reason: "${response.feedback}"` : ' They gave no reason.';
  switch (response.status) {
    case 'rejected':
      return `Not run: ${response.decidedBy ?? 'an approver'} rejected this call of ${tool}.${reason}`;
    case 'timeout':
      return `Not run: nobody approved this call of ${tool} before its deadline.`;
    default:
      return `Not run: the approval of this call of ${tool} was cancelled.`;
  }
}

/**
 * What Claude is told before the result of a call an approver edited: who changed which fields,
 * from what to what, and the input the tool ran with, so the transcript matches what happened.
 */
export function editNote(response: ApprovalResponse, asked: JsonValue, ran: JsonValue): string {
  const who = response.decidedBy ?? 'An approver';
  const changes = changedFields(asked, ran).map(({ name, from, to }) => `${name}: ${show(from)} → ${show(to)}`);
  const lines = [
    `${who} approved this call with changes: the tool ran with their input, not yours.`,
    ...(changes.length > 0 ? [`Changed: ${changes.join('; ')}.`] : []),
    `Input it ran with: ${JSON.stringify(ran)}`,
    ...(response.feedback ? [`Their note: "${response.feedback}"`] : []),
  ];
  return lines.join('\n');
}

/** A note for an approval as asked that came with words from the approver, or null. */
export function approvalNote(response: ApprovalResponse): string | null {
  if (!response.feedback) return null;
  return `${response.decidedBy ?? 'An approver'} approved this call. Their note: "${response.feedback}"`;
}

function show(value: JsonValue | undefined): string {
  return value === undefined ? '(removed)' : JSON.stringify(value);
}
