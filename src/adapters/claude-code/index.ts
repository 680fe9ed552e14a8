import { AlreadyDecidedError, type Approval, type GatehouseClient, ValidationError } from '../../client/index.js';
import { approvalRequestOf, type HookInput, type HookRequestOptions, hookInputSchema } from './input.js';
import { matchesTool } from './matcher.js';
import { decisionOutput, type HookOutput, type OnTimeout, timeoutOutput } from './output.js';

export type { HookInput, HookRequestOptions } from './input.js';
export { approvalIdOf, approvalRequestOf, editableSchema } from './input.js';
export { matcherProblem, matchesTool } from './matcher.js';
export type { HookOutput, OnTimeout } from './output.js';

/** How the hook gates, waits and gives up. */
export interface ClaudeCodeHookOptions extends HookRequestOptions {
  /** Tools that need approval, as a Claude Code matcher (`Bash|Write|Edit`); default every tool. */
  tools?: string;
  /** How long the hook waits for a decision; keep it under the hook's `timeout` in settings.json. */
  waitSeconds: number;
  /** What to answer when the wait is over with no decision. */
  onTimeout: OnTimeout;
  signal?: AbortSignal;
}

/** What the hook prints (null: nothing, Claude Code goes on as without the hook) and a line for stderr. */
export interface HookResult {
  output: HookOutput | null;
  note: string;
}

/** The hook input in `text`, or a ValidationError naming what is wrong with it. */
export function parseHookInput(text: string): HookInput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ValidationError([{ field: 'stdin', message: 'is not the JSON of a Claude Code hook' }]);
  }
  const parsed = hookInputSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || 'stdin', message: issue.message })),
  );
}

/**
 * A Claude Code `PreToolUse` / `PermissionRequest` hook: asks Gatehouse about the tool call in
 * `stdin` (idempotently, by session and tool call), waits up to `waitSeconds`, and answers with the
 * decision. Errors are thrown: the caller exits 2 so that Claude Code blocks the call.
 */
export async function runClaudeCodeHook(
  client: GatehouseClient,
  stdin: string,
  options: ClaudeCodeHookOptions,
): Promise<HookResult> {
  const input = parseHookInput(stdin);
  if (!matchesTool(options.tools, input.tool_name)) {
    return { output: null, note: `${input.tool_name} needs no approval (not in ${JSON.stringify(options.tools)})` };
  }
  const { signal } = options;
  let approval = await client.create(approvalRequestOf(input, options), { signal });
  if (approval.status === 'pending')
    approval = await client.wait(approval.id, { timeoutSeconds: options.waitSeconds, signal });
  if (approval.status !== 'pending') return { output: decisionOutput(input, approval), note: noteOf(approval) };

  const waited = waitedFor(options.waitSeconds);
  const keepOpen = options.onTimeout === 'defer' && input.hook_event_name === 'PreToolUse';
  if (keepOpen) {
    return {
      output: timeoutOutput(input, approval, 'defer', waited),
      note: `deferred: ${approval.id} is still pending`,
    };
  }
  // Nobody will act on the answer of an abandoned request: it is withdrawn, unless a decision beat us to it.
  const decided = await client
    .cancel(
      approval.id,
      { reason: `no decision within ${waited}: the Claude Code hook stopped waiting`, cancelledBy: 'claude-code' },
      { signal },
    )
    .then(
      () => null,
      (error: unknown) => {
        if (error instanceof AlreadyDecidedError) return error.approval as Approval;
        throw error;
      },
    );
  if (decided) return { output: decisionOutput(input, decided), note: noteOf(decided) };
  return {
    output: timeoutOutput(input, approval, options.onTimeout, waited),
    note: `no decision within ${waited}: ${approval.id} withdrawn, answered ${options.onTimeout}`,
  };
}

const noteOf = (approval: Approval) =>
  `${approval.status}: ${approval.id}${approval.decision ? ` by ${approval.decision.decidedBy} via ${approval.decision.via}` : ''}`;

const waitedFor = (seconds: number) => (seconds % 60 === 0 && seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`);
