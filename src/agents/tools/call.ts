import type { JsonValue } from '../../approvals/types.js';
import { maskSecrets } from '../../mask.js';
import { approvalNote, checkToolInput, describeIssues, editNote, refusal, toolApproval } from './approval.js';
import type { ToolRuns } from './records.js';
import type {
  AnyAgentTool,
  ToolApproval,
  ToolCallContext,
  ToolCallOutcome,
  ToolCallSummary,
  ToolLoopContext,
  ToolResultContent,
} from './types.js';

/** What answering one call needs. */
export interface CallDeps {
  ctx: ToolLoopContext;
  runs: ToolRuns;
  tools: ReadonlyMap<string, AnyAgentTool>;
  now: () => string;
}

/** One `tool_use` block of Claude's. */
export interface ToolUse {
  id: string;
  name: string;
  input: JsonValue;
}

interface Answer {
  result: ToolResultContent;
  summary: ToolCallSummary;
}

type JsonObject = { [key: string]: JsonValue };

/**
 * Answers one tool call: a stored run is answered from the store; otherwise the input is checked,
 * approval asked when the tool needs it (id from the `tool_use` id), and the tool run with the
 * input approved, edited or not, its result stored before it is returned.
 */
export async function callTool(deps: CallDeps, use: ToolUse): Promise<Answer> {
  const { ctx, runs, tools } = deps;
  const call: ToolCallContext = {
    taskId: ctx.taskId,
    stage: ctx.stage.name,
    toolUseId: use.id,
    idempotencyKey: `${ctx.taskId}:${ctx.stage.name}:${use.id}`,
    signal: ctx.signal,
    log: ctx.log,
  };
  const summary = (outcome: ToolCallOutcome, extra: Partial<ToolCallSummary> = {}): ToolCallSummary => ({
    toolUseId: use.id,
    tool: use.name,
    outcome,
    approvalId: null,
    decidedBy: null,
    input: null,
    isError: outcome !== 'ran' && outcome !== 'edited',
    ...extra,
  });
  const refuse = (outcome: ToolCallOutcome, content: string, extra: Partial<ToolCallSummary> = {}): Answer => {
    ctx.log.info({ event: 'tool_refused', tool: use.name, toolUseId: use.id, outcome }, 'tool call not run');
    return { result: { content, isError: true }, summary: summary(outcome, extra) };
  };

  const tool = tools.get(use.name);
  if (!tool) return refuse('invalid', `Not run: there is no tool named ${use.name}.`);
  const issues = checkToolInput(tool, use.input);
  if (issues.length > 0) {
    return refuse('invalid', `Not run: the input does not fit the schema of ${tool.name}: ${describeIssues(issues)}`);
  }
  const stored = await runs.get(call.idempotencyKey);
  if (stored?.status === 'done' && stored.result && stored.outcome) {
    const { input, approvalId, decidedBy } = stored;
    return {
      result: stored.result,
      summary: summary(stored.outcome, { input, approvalId, decidedBy, isError: stored.result.isError }),
    };
  }

  let input = use.input;
  let outcome: ToolCallOutcome = 'ran';
  let note: string | null = null;
  let decision: Partial<ToolCallSummary> = {};
  const how = await approvalFor(tool, input, call);
  if (how) {
    const shape = toolApproval(tool, input as JsonObject, how);
    const response = await ctx.requireApproval(shape.request, { key: use.id });
    decision = { approvalId: response.id, decidedBy: response.decidedBy };
    if (response.status !== 'approved') return refuse(response.status, refusal(tool.name, response), decision);
    if (response.edited && response.modifications !== null) {
      const edited = shape.inputOf(response.modifications);
      const problems = checkToolInput(tool, edited);
      if (problems.length > 0) {
        return refuse(
          'invalid',
          `Not run: the approver's changes do not fit the schema of ${tool.name}: ${describeIssues(problems)}`,
          decision,
        );
      }
      note = editNote(response, input, edited);
      input = edited;
      outcome = 'edited';
    } else {
      note = approvalNote(response);
    }
  }

  if (stored?.status === 'running' && !tool.rerunnable) {
    const content =
      `Interrupted: ${tool.name} started running before the process stopped, and may or may not have ` +
      'finished. It was not run again; check its effect before calling it again.';
    await runs.finish(stored, { result: { content, isError: true }, outcome: 'interrupted', finishedAt: deps.now() });
    return refuse('interrupted', content, { ...decision, input: stored.input });
  }
  const started = await runs.start({
    id: call.idempotencyKey,
    taskId: ctx.taskId,
    toolUseId: use.id,
    tool: tool.name,
    input,
    approvalId: decision.approvalId ?? null,
    decidedBy: decision.decidedBy ?? null,
    startedAt: deps.now(),
  });
  ctx.log.info({ event: 'tool_started', tool: tool.name, toolUseId: use.id, outcome }, 'tool started');
  let result: ToolResultContent;
  try {
    const output = await tool.run(input as never, call);
    result = { content: withNote(note, toText(output)), isError: false };
  } catch (error) {
    // A cancelled task leaves the run marked as started: a resume reports it as interrupted.
    if (ctx.signal.aborted) throw error;
    const message = maskSecrets(error instanceof Error ? error.message : String(error));
    result = { content: withNote(note, `The tool failed: ${message}`), isError: true };
    outcome = 'failed';
  }
  await runs.finish(started, { result, outcome, finishedAt: deps.now() });
  ctx.log.info({ event: 'tool_finished', tool: tool.name, toolUseId: use.id, outcome }, 'tool finished');
  return { result, summary: summary(outcome, { ...decision, input, isError: result.isError }) };
}

/** How to ask for `input`, or null when the call needs no approval. */
async function approvalFor(tool: AnyAgentTool, input: JsonValue, call: ToolCallContext): Promise<ToolApproval | null> {
  const needs = tool.needsApproval ?? false;
  const answer = typeof needs === 'function' ? await needs(input as never, call) : needs;
  if (answer === true) return {};
  return answer || null;
}

function withNote(note: string | null, content: string): string {
  return note ? `${note}\n\nResult:\n${content}` : content;
}

/** A tool's output as the text of its `tool_result`. */
function toText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === undefined) return '(no output)';
  return JSON.stringify(output);
}
