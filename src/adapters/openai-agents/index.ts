import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Agent,
  type FunctionTool,
  type RunResult,
  RunState,
  type RunToolApprovalItem,
  run as runAgent,
} from '@openai/agents';
import type { GatehouseClient, JsonValue } from '../../client/index.js';
import {
  decideToolCall,
  type ToolCallApprovalOptions,
  type ToolCallDecision,
  unappliedEdit,
  withNote,
} from '../tool-calls.js';

/** Where a run's state is kept while it waits for approvals, so another process can resume it. */
export interface RunStateStore {
  get(runId: string): Promise<string | undefined>;
  set(runId: string, state: string): Promise<void>;
  delete(runId: string): Promise<void>;
}

/** RunStates as files in `dir` (one per run id), for a single host. */
export function fileRunStates(dir: string): RunStateStore {
  const path = (runId: string) => join(dir, `${encodeURIComponent(runId)}.json`);
  return {
    get: (runId) => readFile(path(runId), 'utf8').catch(() => undefined),
    set: async (runId, state) => {
      await mkdir(dir, { recursive: true });
      await writeFile(path(runId), state);
    },
    delete: (runId) => rm(path(runId), { force: true }),
  };
}

/** Options of `gatehouseApprovals`. */
export interface OpenAIAgentsApprovalOptions extends ToolCallApprovalOptions {
  client: GatehouseClient;
  /** Names the run: approvals are `${runId}:${callId}`, and the stored RunState is under it. */
  runId: string;
  /** Keeps the RunState while approvals are pending; without one a crashed run starts over. */
  states?: RunStateStore;
  signal?: AbortSignal;
}

// biome-ignore lint/suspicious/noExplicitAny: agents of any context and output type are run alike
type AnyAgent = Agent<any, any>;

/**
 * Gatehouse approvals for an OpenAI Agents run: every interruption (a tool with `needsApproval`)
 * becomes a Gatehouse approval keyed by its tool call id; approvals approve it, rejections reject
 * it with the reason as the text the model sees, and an approver's edits reach the tool through
 * `tool(...)`, which wraps it. The RunState is stored at each interruption, so `run` after a crash
 * resumes it instead of starting over.
 */
export function gatehouseApprovals(options: OpenAIAgentsApprovalOptions) {
  const { client, runId, states, signal } = options;
  const decisions = new Map<string, ToolCallDecision>();
  const wrapped = new Set<string>();
  const idOf = (callId: string) => `${runId}:${callId}`;

  const decide = async (item: RunToolApprovalItem): Promise<ToolCallDecision> => {
    const raw = item.rawItem;
    const callId = 'callId' in raw && typeof raw.callId === 'string' ? raw.callId : (raw.id ?? 'call');
    const tool = item.name ?? raw.type;
    const fn = item.agent.tools.find((t: { name: string }) => t.name === tool) as FunctionTool | undefined;
    const decided = await decideToolCall(
      client,
      {
        id: idOf(callId),
        tool,
        input: parseArguments(item.arguments),
        schema: fn?.parameters as JsonValue | undefined,
        description: fn?.description,
      },
      { ...options, signal },
      'openai-agents',
    );
    const decision = unappliedEdit(decided, wrapped.has(tool));
    decisions.set(callId, decision);
    return decision;
  };

  return {
    /** Wraps a function tool so that it runs with the input an approver edited, told to the model. */
    // biome-ignore lint/suspicious/noExplicitAny: tools of any context, parameters and result are wrapped alike
    tool<T extends FunctionTool<any, any, any>>(tool: T): T {
      wrapped.add(tool.name);
      return {
        ...tool,
        invoke: async (runContext, input, details) => {
          const decision = details?.toolCall ? decisions.get(details.toolCall.callId) : undefined;
          if (!decision?.approved || !decision.edited) return tool.invoke(runContext, input, details);
          const output = await tool.invoke(runContext, JSON.stringify(decision.input), details);
          return withNote(decision.note, output) as Awaited<ReturnType<T['invoke']>>;
        },
      };
    },

    /**
     * Runs `agent` on `input` until it finishes, asking Gatehouse at every interruption; with a
     * stored RunState for this run id (a crash while waiting), resumes that instead.
     */
    async run<A extends AnyAgent>(agent: A, input: string): Promise<RunResult<undefined, A>> {
      const stored = await states?.get(runId);
      let result = stored
        ? await resume(agent, await RunState.fromString<undefined, A>(agent, stored))
        : await runAgent(agent, input, { signal });
      async function resume(a: A, state: RunState<undefined, A>): Promise<RunResult<undefined, A>> {
        for (const item of state.getInterruptions()) {
          const decision = await decide(item);
          if (decision.approved) state.approve(item);
          else state.reject(item, { message: decision.message });
        }
        return runAgent(a, state, { signal });
      }
      while (result.interruptions.length > 0) {
        await states?.set(runId, result.state.toString());
        result = await resume(agent, result.state);
      }
      await states?.delete(runId);
      return result;
    },
  };
}

function parseArguments(text: string | undefined): JsonValue {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
