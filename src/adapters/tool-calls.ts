import type { Approval, ApprovalRequestInput, GatehouseClient, JsonValue } from '../client/index.js';

type JsonObject = { [key: string]: JsonValue };

/** How adapters put a tool call to approvers; every field has a default. */
export interface ToolCallApprovalOptions {
  /** Slack user ids; default the server's. */
  approvers?: string[];
  /** Slack channel id; default the approvals channel. */
  channel?: string;
  timeoutSeconds?: number;
  /** Who asks (shown to approvers); default the adapter's name. */
  requestedBy?: string;
  /** Ties the approvals to a Gatehouse task, if the run is one. */
  taskId?: string;
}

/** One tool call as an adapter sees it. */
export interface ToolCall {
  /** The approval's id: derived from the runtime's tool call id, so asking again finds the same request. */
  id: string;
  tool: string;
  input: JsonValue;
  /** JSON Schema of the tool's input; approvers' edits must satisfy it. */
  schema?: JsonValue;
  description?: string;
}

/** What a decided approval means for the call. */
export type ToolCallDecision =
  | { approved: true; input: JsonValue; edited: boolean; decidedBy: string | null; note: string | null }
  | { approved: false; status: Approval['status']; decidedBy: string | null; message: string };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// The context holds the tool's name beside its input: flat, so a flat input is edited in a form,
// unless the input has a `tool` field itself, which nests it under `input`.
function nests(input: JsonValue): boolean {
  return !isObject(input) || 'tool' in input;
}

/** The approval request for a tool call: context the tool and its input, modifications the input. */
export function toolCallRequest(
  call: ToolCall,
  options: ToolCallApprovalOptions,
  adapter: string,
): ApprovalRequestInput {
  const nested = nests(call.input);
  const schema = call.schema ?? { type: 'object' };
  return {
    id: call.id,
    title: `Run ${call.tool}`,
    explanation: call.description ?? `An agent wants to run ${call.tool}.`,
    context: nested ? { tool: call.tool, input: call.input } : { tool: call.tool, ...(call.input as JsonObject) },
    modificationsSchema: nested
      ? { type: 'object', properties: { input: schema }, required: ['input'] }
      : (schema as JsonValue),
    requestedBy: options.requestedBy ?? adapter,
    // Grants cover one tool: "approve for this run" answers this tool's later calls in the task.
    actionKey: call.tool,
    ...(options.taskId ? { taskId: options.taskId } : {}),
    ...(options.approvers ? { approvers: options.approvers } : {}),
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
  };
}

/**
 * Asks Gatehouse about a tool call (idempotently, by its id) and waits for the decision; the
 * server's deadline ends the wait at the latest (as a `timeout`, which is not an approval).
 */
export async function decideToolCall(
  client: GatehouseClient,
  call: ToolCall,
  options: ToolCallApprovalOptions & { signal?: AbortSignal },
  adapter: string,
): Promise<ToolCallDecision> {
  const { signal } = options;
  let approval = await client.create(toolCallRequest(call, options, adapter), { signal });
  while (approval.status === 'pending') approval = await client.wait(approval.id, { signal });
  return decisionOf(approval, call.input);
}

/** What a decided approval of a call asked with `asked` means: the input to run, or why not. */
export function decisionOf(approval: Approval, asked: JsonValue): ToolCallDecision {
  const decision = approval.decision;
  const decidedBy = decision?.decidedBy ?? null;
  if (approval.status !== 'approved') {
    const reason = decision?.feedback ? ` Their reason: "${decision.feedback}"` : '';
    const message =
      approval.status === 'rejected'
        ? `Not run: ${decidedBy ?? 'an approver'} rejected this call.${reason}`
        : approval.status === 'timeout'
          ? 'Not run: nobody approved this call before its deadline.'
          : 'Not run: the approval of this call was cancelled.';
    return { approved: false, status: approval.status, decidedBy, message };
  }
  const modifications = decision?.modifications ?? null;
  const edited = modifications !== null && decision?.edited !== false;
  const input = !edited
    ? asked
    : nests(asked) && isObject(modifications)
      ? (modifications.input ?? null)
      : modifications;
  const changed = edited && JSON.stringify(input) !== JSON.stringify(asked);
  const feedback = decision?.feedback ? `Their note: "${decision.feedback}"` : null;
  const who = decidedBy ?? 'An approver';
  const note = changed
    ? [
        `${who} approved this call with changes: the tool ran with their input, not yours.`,
        ...describeChanges(asked, input),
        `Input it ran with: ${JSON.stringify(input)}`,
        ...(feedback ? [feedback] : []),
      ].join('\n')
    : feedback && `${who} approved this call. ${feedback}`;
  return { approved: true, input, edited: changed, decidedBy, note };
}

/** `Changed: subject: "A" → "B"; cc: (removed).` for top-level fields, when both are objects. */
function describeChanges(from: JsonValue, to: JsonValue): string[] {
  if (!isObject(from) || !isObject(to)) return [];
  const show = (value: JsonValue | undefined) => (value === undefined ? '(removed)' : JSON.stringify(value));
  const names = [...new Set([...Object.keys(from), ...Object.keys(to)])];
  const changes = names
    .filter((name) => JSON.stringify(from[name]) !== JSON.stringify(to[name]))
    .map((name) => `${name}: ${show(from[name])} → ${show(to[name])}`);
  return changes.length > 0 ? [`Changed: ${changes.join('; ')}.`] : [];
}

/**
 * An edit the runtime could not apply (the tool was not wrapped) must not run the original input as
 * if approved: the call is refused instead, saying why.
 */
export function unappliedEdit(decision: ToolCallDecision, applies: boolean): ToolCallDecision {
  if (!decision.approved || !decision.edited || applies) return decision;
  return {
    approved: false,
    status: 'approved',
    decidedBy: decision.decidedBy,
    message:
      `Not run: ${decision.decidedBy ?? 'an approver'} approved this call with changes, but this tool cannot ` +
      'take them (it is not wrapped for Gatehouse edits).',
  };
}

/** A tool's output with the approver's note before it, so the model reads what really happened. */
export function withNote(note: string | null, output: unknown): unknown {
  if (!note) return output;
  return `${note}\n\nResult:\n${typeof output === 'string' ? output : JSON.stringify(output)}`;
}
