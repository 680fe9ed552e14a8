import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from 'pino';
import type { JsonValue } from '../../approvals/types.js';
import type { Versioned } from '../../store/types.js';
import type { StageContext } from '../types.js';

/** How much a tool call can do; shown to approvers with the request. */
export type ToolRisk = 'low' | 'medium' | 'high' | 'critical';

/** How one tool call is put to approvers; everything has a default drawn from the tool. */
export interface ToolApproval {
  /** Default: `Claude wants to run <tool>`. */
  title?: string;
  /** Default: the tool's description, with the risk. */
  explanation?: string;
  risk?: ToolRisk;
  /** Slack user ids; default the gate's. */
  approvers?: string[];
  /** Slack channel id; default the approvals channel. */
  channel?: string;
  /** Default the gate's (3600 s). */
  timeoutSeconds?: number;
}

/** What a tool is told about the call it serves. */
export interface ToolCallContext {
  taskId: string;
  stage: string;
  /** Claude's id of the call. */
  toolUseId: string;
  /**
   * `${taskId}:${stage}:${toolUseId}`, the same on every resume: hand it to the system the tool
   * changes, so a call it already took is recognised there too.
   */
  idempotencyKey: string;
  signal: AbortSignal;
  log: Logger;
}

/**
 * Whether a call needs approval: never (`false`), always (`true`, or how to ask), or decided from
 * its input by a function answering `true`, `false`/`null`, or how to ask (e.g.
 * `{ risk: 'high', approvers: ['U0CFO'] }` above some amount).
 */
export type NeedsApproval<I> =
  | boolean
  | ToolApproval
  | ((input: I, call: ToolCallContext) => boolean | ToolApproval | null | Promise<boolean | ToolApproval | null>);

/**
 * A tool Claude may call from a stage. `input_schema` is the JSON Schema Claude is given, every
 * call's input is checked against, and an approver's edits must satisfy. `run` returns text or JSON
 * (sent to Claude as the `tool_result`); what it throws becomes an `is_error` result.
 */
export interface AgentTool<I = Record<string, unknown>> {
  name: string;
  description: string;
  input_schema: Anthropic.Tool.InputSchema;
  /** Default false: the tool runs without asking. */
  needsApproval?: NeedsApproval<I>;
  /**
   * May the tool be run again when the process stopped while it ran, before its result was
   * stored? Default false: such a call is reported to Claude as interrupted instead (at most once).
   */
  rerunnable?: boolean;
  run(input: I, call: ToolCallContext): unknown;
}

/** Any tool, whatever its input type (a tool's `run` only ever gets input checked by its schema). */
export type AnyAgentTool = AgentTool<never>;

/** Declares a tool with its input type, so `run` and `needsApproval` are typed. */
export function defineTool<I>(tool: AgentTool<I>): AgentTool<I> {
  return tool;
}

/** What happened to one tool call. */
export type ToolCallOutcome =
  /** Ran as Claude asked (approved as asked, or no approval needed). */
  | 'ran'
  /** Ran with the input an approver edited. */
  | 'edited'
  | 'rejected'
  | 'timeout'
  | 'cancelled'
  /** Not run: no such tool, or its input (or an approver's edit) did not fit the schema. */
  | 'invalid'
  /** Ran and threw. */
  | 'failed'
  /** Started before the process stopped, not known to have finished; not run again. */
  | 'interrupted';

/** One tool call of a loop, as the stage's result keeps it. */
export interface ToolCallSummary {
  toolUseId: string;
  tool: string;
  outcome: ToolCallOutcome;
  /** The approval's id, when it was asked. */
  approvalId: string | null;
  decidedBy: string | null;
  /** The input the tool ran with (the edited one after an edit), or null when it did not run. */
  input: JsonValue | null;
  isError: boolean;
}

/** A tool's `tool_result` as it was sent to Claude. */
export interface ToolResultContent {
  content: string;
  isError: boolean;
}

/** One tool execution, stored before its result goes to Claude (namespace `tool-runs`). */
export interface ToolRunRecord extends Versioned {
  /** `${taskId}:${stage}:${toolUseId}`. */
  id: string;
  taskId: string;
  toolUseId: string;
  tool: string;
  status: 'running' | 'done';
  input: JsonValue;
  result: ToolResultContent | null;
  outcome: ToolCallOutcome | null;
  /** The approval it ran under, and who decided it; null when it needed none. */
  approvalId: string | null;
  decidedBy: string | null;
  /** How many times it was started (more than 1 only for a rerunnable tool after a crash). */
  starts: number;
  startedAt: string;
  finishedAt: string | null;
}

/** A loop's transcript, saved after every turn (namespace `tool-loops`). */
export interface ToolLoopRecord extends Versioned {
  /** `${taskId}:${stage}:${key}`. */
  id: string;
  taskId: string;
  /** What the loop was started with, to refuse a resume asked to run another conversation. */
  fingerprint: string;
  messages: Anthropic.MessageParam[];
  calls: ToolCallSummary[];
  /** Claude calls made, over every run. */
  turns: number;
  costUsd: number;
  final: { text: string; stopReason: string | null } | null;
}

/** What a stage asks the loop. */
export interface ToolLoopRequest {
  system?: string | Anthropic.TextBlockParam[];
  /** The first user message, or the conversation so far. */
  prompt: string | Anthropic.MessageParam[];
  /** Default 4096; above the SDK's non-streaming limit the calls are streamed. */
  maxTokens?: number;
  model?: string;
  /** Names the loop within its stage, for a stage that runs several; default `tools`. */
  key?: string;
  /** Keeps the calls out of the response cache and the logs. */
  sensitive?: boolean;
}

/** What a loop resolves to once Claude stops calling tools. */
export interface ToolLoopResult {
  text: string;
  stopReason: string | null;
  calls: ToolCallSummary[];
  turns: number;
  /** What this loop's Claude calls cost, over every run. */
  costUsd: number;
  messages: Anthropic.MessageParam[];
}

/** The part of a stage's context the loop uses. */
export type ToolLoopContext = Pick<
  StageContext<unknown>,
  'taskId' | 'stage' | 'signal' | 'log' | 'budget' | 'requireApproval'
>;
