import { Command, type Interrupt, interrupt } from '@langchain/langgraph';
import type { GatehouseClient, JsonValue } from '../../client/index.js';
import { decideToolCall, type ToolCallApprovalOptions } from '../tool-calls.js';

/** One action put to review: a tool call (its `id` keys the approval when present). */
export interface ActionRequest {
  name: string;
  args: Record<string, unknown>;
  description?: string;
  id?: string;
}

/** The interrupt value: the human-in-the-loop request of LangChain's HITL middleware. */
export interface HitlRequest {
  actionRequests: ActionRequest[];
}

/**
 * A reviewer's decision on one action, as LangChain's HITL middleware takes them; `message` on an
 * approval or edit tells the model what the approver said or changed.
 */
export type HitlDecision =
  | { type: 'approve'; message?: string }
  | { type: 'edit'; editedAction: { name: string; args: Record<string, unknown> }; message?: string }
  | { type: 'reject'; message: string };

/** What a review resumes the graph with: one decision per action request, in order. */
export interface HitlResponse {
  decisions: HitlDecision[];
}

/**
 * Inside a node: pauses the graph with `interrupt()` until every tool call is reviewed, and
 * returns the decisions it is resumed with (from `gatehouseReviews`, or any HITL reviewer).
 */
export function reviewToolCalls(
  calls: ReadonlyArray<{ name: string; args: Record<string, unknown>; id?: string }>,
): HitlResponse {
  const request: HitlRequest = {
    actionRequests: calls.map(({ name, args, id }) => ({ name, args, ...(id ? { id } : {}) })),
  };
  return interrupt<HitlRequest, HitlResponse>(request);
}

/** Options of `gatehouseReviews`. */
export interface LangGraphReviewOptions extends ToolCallApprovalOptions {
  client: GatehouseClient;
  /** The graph's `thread_id`: approvals are `${threadId}:${toolCallId}`. */
  threadId: string;
  /** JSON Schemas of the tools' args, by tool name: approvers' edits must satisfy them. */
  schemas?: Record<string, JsonValue>;
  signal?: AbortSignal;
}

/** The part of a compiled graph the reviews drive. */
export interface ReviewableGraph<I, O> {
  invoke(input: I | Command, config: { configurable: { thread_id: string } }): Promise<O>;
  getState(config: {
    configurable: { thread_id: string };
  }): Promise<{ tasks: ReadonlyArray<{ interrupts: Interrupt[] }> }>;
}

/**
 * Gatehouse as the reviewer of LangGraph interrupts: each action request becomes a Gatehouse
 * approval (keyed by its tool call id), and its decision the HITL decision the graph is resumed
 * with: `approve`, `edit` (the approver's modifications as the args) or `reject` (their reason).
 */
export function gatehouseReviews(options: LangGraphReviewOptions) {
  const { client, threadId, schemas = {}, signal } = options;
  const config = { configurable: { thread_id: threadId } };

  /** The decisions for one interrupt of HITL requests. */
  const decide = async (pending: Interrupt): Promise<HitlResponse> => {
    const request = pending.value as HitlRequest;
    const decisions: HitlDecision[] = [];
    for (const [index, action] of request.actionRequests.entries()) {
      const decision = await decideToolCall(
        client,
        {
          id: `${threadId}:${action.id ?? `${pending.id ?? 'interrupt'}.${index}`}`,
          tool: action.name,
          input: action.args as JsonValue,
          schema: schemas[action.name],
          description: action.description,
        },
        { ...options, signal },
        'langgraph',
      );
      decisions.push(
        !decision.approved
          ? { type: 'reject', message: decision.message }
          : decision.edited
            ? {
                type: 'edit',
                editedAction: { name: action.name, args: decision.input as Record<string, unknown> },
                ...(decision.note ? { message: decision.note } : {}),
              }
            : { type: 'approve', ...(decision.note ? { message: decision.note } : {}) },
      );
    }
    return { decisions };
  };

  return {
    decide,

    /** The `Command` resuming every interrupt in `interrupts` with Gatehouse's decisions. */
    async resume(interrupts: readonly Interrupt[]): Promise<Command> {
      const answers: Record<string, HitlResponse> = {};
      for (const pending of interrupts) {
        const response = await decide(pending);
        if (interrupts.length === 1 && !pending.id) return new Command({ resume: response });
        answers[pending.id ?? ''] = response;
      }
      return new Command({ resume: answers });
    },

    /**
     * Runs the thread to its end, reviewing every interrupt through Gatehouse. A thread already
     * paused at interrupts (a process that died while waiting) is resumed instead of started.
     */
    async run<I, O>(graph: ReviewableGraph<I, O>, input: I): Promise<O> {
      const paused = (await graph.getState(config)).tasks.flatMap((task) => task.interrupts);
      let result = await graph.invoke(paused.length > 0 ? await this.resume(paused) : input, config);
      // An interrupted invoke resolves with the state plus `__interrupt__`, which the state type leaves out.
      const interruptsOf = (value: O) => (value as { __interrupt__?: Interrupt[] }).__interrupt__ ?? [];
      while (interruptsOf(result).length > 0)
        result = await graph.invoke(await this.resume(interruptsOf(result)), config);
      return result;
    },
  };
}
