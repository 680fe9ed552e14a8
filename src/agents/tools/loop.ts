import type Anthropic from '@anthropic-ai/sdk';
import type { JsonValue } from '../../approvals/types.js';
import { canonicalHash } from '../../canonical-json.js';
import { type Clock, systemClock } from '../../clock.js';
import { ConfigError, ConflictError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import type { ClaudeClient } from '../claude/client.js';
import { callTool } from './call.js';
import { ToolLoops, ToolRuns } from './records.js';
import type {
  AnyAgentTool,
  ToolCallSummary,
  ToolLoopContext,
  ToolLoopRecord,
  ToolLoopRequest,
  ToolLoopResult,
} from './types.js';

/** What a tool-use loop runs on; `store` is the task's (the agent's `this.store`). */
export interface ToolUseLoopOptions {
  claude: ClaudeClient;
  store: Store;
  tools: readonly AnyAgentTool[];
  /** Claude calls one loop may make, over every run of its stage; default 20. */
  maxTurns?: number;
  clock?: Clock;
}

/** A loop used more turns than it was allowed: its stage fails (resuming it fails again). */
export class ToolLoopLimitError extends ConflictError {
  constructor(
    readonly loopId: string,
    readonly maxTurns: number,
  ) {
    super(`tool loop ${loopId} reached its limit of ${maxTurns} Claude calls`);
  }
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/**
 * Claude tool use for a stage: calls Claude with the tools, answers each `tool_use` (asking for
 * approval where the tool needs it, running it, or telling Claude why not) and calls again, until
 * Claude stops calling tools. The transcript is saved after every turn and every tool run is
 * stored before its result is sent, both keyed by `tool_use` id, so a resumed stage carries on:
 * it rejoins the same approvals and never runs a tool twice.
 */
export class ToolUseLoop {
  readonly tools: ReadonlyMap<string, AnyAgentTool>;
  private readonly claude: ClaudeClient;
  private readonly loops: ToolLoops;
  private readonly runs: ToolRuns;
  private readonly maxTurns: number;
  private readonly clock: Clock;

  constructor({ claude, store, tools, maxTurns = 20, clock = systemClock }: ToolUseLoopOptions) {
    if (!(Number.isInteger(maxTurns) && maxTurns >= 1)) {
      throw new TypeError('Expected `maxTurns` to be an integer ≥ 1.');
    }
    const byName = new Map<string, AnyAgentTool>();
    for (const [index, tool] of tools.entries()) {
      const field = `tools.${index}.name`;
      if (!TOOL_NAME.test(tool.name)) throw new ConfigError([{ field, message: 'expected 1-128 of a-z A-Z 0-9 _ -' }]);
      if (byName.has(tool.name)) throw new ConfigError([{ field, message: `${tool.name} is listed twice` }]);
      byName.set(tool.name, tool);
    }
    this.tools = byName;
    this.claude = claude;
    this.loops = new ToolLoops(store);
    this.runs = new ToolRuns(store);
    this.maxTurns = maxTurns;
    this.clock = clock;
  }

  /** Runs the loop for the stage `ctx` belongs to, or carries on with its stored transcript. */
  async run(ctx: ToolLoopContext, request: ToolLoopRequest): Promise<ToolLoopResult> {
    const id = `${ctx.taskId}:${ctx.stage.name}:${request.key ?? 'tools'}`;
    const messages: Anthropic.MessageParam[] =
      typeof request.prompt === 'string' ? [{ role: 'user', content: request.prompt }] : [...request.prompt];
    const fingerprint = canonicalHash({
      system: request.system ?? null,
      messages,
      model: request.model ?? null,
      tools: [...this.tools.keys()],
    });
    let loop = await this.loops.open({
      id,
      taskId: ctx.taskId,
      fingerprint,
      messages,
      calls: [],
      turns: 0,
      costUsd: 0,
      final: null,
    });
    if (loop.fingerprint !== fingerprint) {
      throw new ConflictError(`tool loop ${id} was started with another prompt, model or tools`);
    }
    while (!loop.final) {
      const last = loop.messages.at(-1);
      loop = last?.role === 'assistant' ? await this.answer(ctx, loop, last) : await this.ask(ctx, loop, request, id);
    }
    const { final, calls, turns, costUsd } = loop;
    return { text: final.text, stopReason: final.stopReason, calls, turns, costUsd, messages: loop.messages };
  }

  /** One Claude call over the transcript; its answer is saved before any tool is touched. */
  private async ask(
    ctx: ToolLoopContext,
    loop: ToolLoopRecord,
    request: ToolLoopRequest,
    id: string,
  ): Promise<ToolLoopRecord> {
    if (loop.turns >= this.maxTurns) throw new ToolLoopLimitError(id, this.maxTurns);
    const result = await this.claude.message(
      {
        ...(request.model ? { model: request.model } : {}),
        ...(request.system ? { system: request.system } : {}),
        max_tokens: request.maxTokens ?? 4096,
        tools: [...this.tools.values()].map(({ name, description, input_schema }) => ({
          name,
          description,
          input_schema,
        })),
        messages: loop.messages,
        sensitive: request.sensitive,
      },
      { budget: ctx.budget ?? undefined, signal: ctx.signal, taskId: ctx.taskId },
    );
    const { message } = result;
    const calling = message.stop_reason === 'tool_use' && message.content.some((block) => block.type === 'tool_use');
    // Stored as JSON: a streamed tool input is only materialised when it is read.
    const content = JSON.parse(JSON.stringify(message.content)) as Anthropic.ContentBlockParam[];
    return this.loops.save(loop, (l) => ({
      ...l,
      messages: [...l.messages, { role: 'assistant', content }],
      turns: l.turns + 1,
      costUsd: l.costUsd + result.costUsd,
      final: calling ? null : { text: result.text, stopReason: message.stop_reason },
    }));
  }

  /** Answers every tool call of Claude's last message, in order, as one user message of results. */
  private async answer(
    ctx: ToolLoopContext,
    loop: ToolLoopRecord,
    assistant: Anthropic.MessageParam,
  ): Promise<ToolLoopRecord> {
    const blocks = typeof assistant.content === 'string' ? [] : assistant.content;
    const results: Anthropic.ToolResultBlockParam[] = [];
    const calls: ToolCallSummary[] = [];
    for (const block of blocks) {
      if (block.type !== 'tool_use') continue;
      const { result, summary } = await callTool(
        { ctx, runs: this.runs, tools: this.tools, now: () => new Date(this.clock.now()).toISOString() },
        { id: block.id, name: block.name, input: block.input as JsonValue },
      );
      results.push({
        type: 'tool_result',
        tool_use_id: block.id,
        content: result.content,
        ...(result.isError ? { is_error: true } : {}),
      });
      calls.push(summary);
    }
    return this.loops.save(loop, (l) => ({
      ...l,
      messages: [...l.messages, { role: 'user', content: results }],
      calls: [...l.calls, ...calls],
    }));
  }
}
