import { asSchema, type ToolApprovalResponse, type ToolModelMessage, type ToolSet } from 'ai';
import type { GatehouseClient, JsonValue } from '../../client/index.js';
import {
  decideToolCall,
  decisionOf,
  type ToolCallApprovalOptions,
  type ToolCallDecision,
  unappliedEdit,
  withNote,
} from '../tool-calls.js';

/** Options of `gatehouseToolApprovals`. */
export interface AiSdkApprovalOptions extends ToolCallApprovalOptions {
  client: GatehouseClient;
  /** Names the conversation: approvals are `${runId}:${toolCallId}`. */
  runId: string;
  signal?: AbortSignal;
}

/** The part of a `generateText` / `streamText` result (or a step) the approvals are read from. */
export interface WithContent {
  content: ReadonlyArray<{ type: string }>;
}

interface ApprovalRequestPart {
  type: 'tool-approval-request';
  approvalId: string;
  toolCall: { toolCallId: string; toolName: string; input: unknown };
}

const isRequest = (part: { type: string }): part is ApprovalRequestPart => part.type === 'tool-approval-request';

/**
 * Gatehouse approvals for the Vercel AI SDK 6: `respond` answers every `tool-approval-request`
 * part of a result with the `tool-approval-response` a Gatehouse approval (keyed by the tool call
 * id) came to, a rejection carrying the approver's reason; `tools` wraps the tools' `execute` so an
 * approved edit runs with the edited input, the model told what changed.
 */
export function gatehouseToolApprovals(options: AiSdkApprovalOptions) {
  const { client, runId, signal } = options;
  const decisions = new Map<string, ToolCallDecision>();
  const idOf = (toolCallId: string) => `${runId}:${toolCallId}`;
  let tools: ToolSet = {};
  const editable = new Set<string>();

  /** The decision of a call, from this process or, after a restart, from Gatehouse itself. */
  const decisionFor = async (toolCallId: string, input: unknown): Promise<ToolCallDecision | undefined> => {
    const known = decisions.get(toolCallId);
    if (known) return known;
    const approval = await client.get(idOf(toolCallId), { signal }).catch(() => undefined);
    return approval && approval.status !== 'pending' ? decisionOf(approval, input as JsonValue) : undefined;
  };

  return {
    /** The tools, each `execute` wrapped to run an approver's edit; pass these to `generateText`. */
    tools<T extends ToolSet>(set: T): T {
      const wrapped = Object.fromEntries(
        Object.entries(set).map(([name, tool]) => {
          const execute = tool.execute;
          if (!execute || !tool.needsApproval) return [name, tool];
          editable.add(name);
          return [
            name,
            {
              ...tool,
              execute: async (input: unknown, call: Parameters<typeof execute>[1]) => {
                const decision = await decisionFor(call.toolCallId, input);
                if (!decision?.approved || !decision.edited) return execute(input, call);
                return withNote(decision.note, await execute(decision.input, call));
              },
            },
          ];
        }),
      ) as T;
      tools = wrapped;
      return wrapped;
    },

    /**
     * Asks Gatehouse about every approval request in `result.content`, waits for the decisions,
     * and returns the tool message answering them (null when there were none): add it to the
     * messages and call `generateText` again.
     */
    async respond(result: WithContent): Promise<ToolModelMessage | null> {
      const requests = result.content.filter(isRequest);
      if (requests.length === 0) return null;
      const content: ToolApprovalResponse[] = [];
      for (const { approvalId, toolCall } of requests) {
        const tool = tools[toolCall.toolName];
        const schema = tool?.inputSchema ? await asSchema(tool.inputSchema).jsonSchema : undefined;
        const decided = await decideToolCall(
          client,
          {
            id: idOf(toolCall.toolCallId),
            tool: toolCall.toolName,
            input: toolCall.input as JsonValue,
            schema: schema as JsonValue | undefined,
            description: tool?.description,
          },
          { ...options, signal },
          'ai-sdk',
        );
        const decision = unappliedEdit(decided, editable.has(toolCall.toolName));
        decisions.set(toolCall.toolCallId, decision);
        content.push(
          decision.approved
            ? { type: 'tool-approval-response', approvalId, approved: true, reason: decision.note ?? undefined }
            : { type: 'tool-approval-response', approvalId, approved: false, reason: decision.message },
        );
      }
      return { role: 'tool', content };
    },
  };
}
