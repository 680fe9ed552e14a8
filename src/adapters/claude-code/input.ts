import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ApprovalRequestInput, JsonValue } from '../../client/index.js';

/** What Claude Code sends a `PreToolUse` or `PermissionRequest` command hook on stdin (the fields used here). */
export const hookInputSchema = z.looseObject({
  session_id: z.string().min(1),
  hook_event_name: z.enum(['PreToolUse', 'PermissionRequest']),
  tool_name: z.string().min(1),
  tool_input: z.record(z.string(), z.json()),
  /** PreToolUse only: PermissionRequest input carries none. */
  tool_use_id: z.string().min(1).optional(),
  cwd: z.string().optional(),
  permission_mode: z.string().optional(),
});

/** A parsed hook input. */
export type HookInput = z.infer<typeof hookInputSchema>;

/** Where and to whom the hook's approvals go. */
export interface HookRequestOptions {
  approvers?: string[];
  channel?: string;
  /** The approval's own deadline on the server (default: the server's). */
  approvalTimeoutSeconds?: number;
  requestedBy?: string;
  /** Where Gatehouse POSTs the decision (e.g. the service that resumes deferred runs). */
  callbackUrl?: string;
}

/** A string longer than this is not offered as a form field: Slack would cut it short. */
const MAX_FORM_STRING = 2000;
const ID_PART = /^[A-Za-z0-9._@-]+$/;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The approval id of a tool call: from `session_id` and `tool_use_id`, so the same call asked again
 * (a resumed session, a retried hook) finds the same request and its decision. PermissionRequest
 * input has no tool_use_id: the tool and its input stand in, so the same call in the same session
 * is one request.
 */
export function approvalIdOf(input: HookInput): string {
  const call = input.tool_use_id ?? sha(JSON.stringify([input.tool_name, input.tool_input])).slice(0, 32);
  const id = `claude-code:${input.session_id}:${call}`;
  if (ID_PART.test(input.session_id) && ID_PART.test(call) && id.length <= 200) return id;
  return `claude-code:${sha(`${input.session_id}\n${call}`).slice(0, 48)}`;
}

/** A one-line glimpse of the call for the title: the command, the file, the URL. */
function glimpse(input: Record<string, JsonValue>): string {
  const value = input.command ?? input.file_path ?? input.url ?? input.pattern ?? input.query;
  if (typeof value !== 'string') return '';
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `: ${flat.slice(0, 119)}…` : `: ${flat}`;
}

/**
 * What approvers may edit: a flat form when every field is a short string, a number or a boolean;
 * otherwise any JSON object (the input shown as JSON).
 */
export function editableSchema(input: Record<string, JsonValue>): JsonValue {
  const properties: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value === 'string' && value.length <= MAX_FORM_STRING && value === value.trim()) {
      properties[name] = { type: 'string', title: name };
    } else if (typeof value === 'number') {
      properties[name] = { type: Number.isInteger(value) ? 'integer' : 'number', title: name };
    } else if (typeof value === 'boolean') {
      properties[name] = { type: 'boolean', title: name };
    } else {
      return { type: 'object' };
    }
  }
  if (Object.keys(properties).length === 0) return { type: 'object' };
  const required = Object.entries(input).flatMap(([name, value]) => (value === '' ? [] : [name]));
  return { type: 'object', properties, required };
}

/**
 * The approval a tool call asks for. The context is the tool's input itself, so "Approve with
 * changes" starts from it; nothing that changes between a run and its resume goes in, so the
 * resumed call matches the stored request.
 */
export function approvalRequestOf(input: HookInput, options: HookRequestOptions = {}): ApprovalRequestInput {
  const where = input.cwd ? ` in ${input.cwd}` : '';
  const description = typeof input.tool_input.description === 'string' ? `${input.tool_input.description}\n` : '';
  return {
    id: approvalIdOf(input),
    title: `Claude Code: ${input.tool_name}${glimpse(input.tool_input)}`,
    explanation: `${description}Claude Code wants to use ${input.tool_name}${where} (session ${input.session_id}).`,
    context: input.tool_input,
    modificationsSchema: editableSchema(input.tool_input),
    requestedBy: options.requestedBy ?? 'claude-code',
    // The scope of a grant: "approve Bash for the rest of this session" covers this session only.
    actionKey: input.tool_name,
    taskId: input.session_id,
    ...(options.approvers ? { approvers: options.approvers } : {}),
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.approvalTimeoutSeconds ? { timeoutSeconds: options.approvalTimeoutSeconds } : {}),
    ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
  };
}
