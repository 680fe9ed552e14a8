import { matcherProblem, type OnTimeout, runClaudeCodeHook } from '../adapters/claude-code/index.js';
import { GatehouseError } from '../errors.js';
import { parseDuration, parseFlags, parseList } from './args.js';
import { readEnv } from './client.js';
import type { Context } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { helpFor } from './help.js';

/** Claude Code blocks the tool call when a command hook exits 2: every failure of the hook does. */
const FAIL_CLOSED = 2;

/** How long the hook waits by default: under the 600 s Claude Code gives a command hook. */
const DEFAULT_WAIT_SECONDS = 300;

const ON_TIMEOUT: OnTimeout[] = ['defer', 'ask', 'deny'];

/** `gatehouse hook claude-code [options]`: a command hook reading the hook's JSON on stdin. */
export async function hookCommand(ctx: Context, args: string[]): Promise<number> {
  const [runtime, ...rest] = args;
  if (runtime === undefined || runtime === 'help' || runtime === '--help' || runtime === '-h') {
    ctx.io.stdout.write(helpFor('hook claude-code'));
    return ExitCode.Ok;
  }
  try {
    if (runtime !== 'claude-code') throw new CliError(`unknown hook "${runtime}" (there is: claude-code)`);
    return await claudeCode(ctx, rest);
  } catch (error) {
    const reason = ctx.io.signal?.aborted
      ? 'interrupted'
      : error instanceof GatehouseError || error instanceof CliError
        ? ctx.describe(error)
        : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    ctx.say(`gatehouse: ${reason} (the tool call is blocked)`);
    return FAIL_CLOSED;
  }
}

async function claudeCode(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('hook claude-code', args, {
    url: { type: 'string' },
    tools: { type: 'string' },
    approvers: { type: 'string' },
    channel: { type: 'string' },
    timeout: { type: 'string' },
    'on-timeout': { type: 'string' },
    'approval-timeout': { type: 'string' },
    'requested-by': { type: 'string' },
    'callback-url': { type: 'string' },
  });
  if (values.help) {
    ctx.io.stdout.write(helpFor('hook claude-code'));
    return ExitCode.Ok;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  // A flag wins over its GATEHOUSE_HOOK_* variable, so one settings.json entry can override a shared environment.
  const option = (flag: keyof typeof values, variable: string) => {
    const value = values[flag];
    return typeof value === 'string' ? value : readEnv(ctx.io.env, variable);
  };
  const tools = option('tools', 'GATEHOUSE_HOOK_TOOLS');
  const problem = tools === undefined ? null : matcherProblem(tools);
  if (problem) throw new CliError(`--tools ${problem}`);
  const onTimeout = option('on-timeout', 'GATEHOUSE_HOOK_ON_TIMEOUT') ?? 'deny';
  if (!ON_TIMEOUT.includes(onTimeout as OnTimeout)) {
    throw new CliError(`--on-timeout expects defer, ask or deny, got ${JSON.stringify(onTimeout)}`);
  }
  const timeout = option('timeout', 'GATEHOUSE_HOOK_TIMEOUT');
  const approvalTimeout = option('approval-timeout', 'GATEHOUSE_HOOK_APPROVAL_TIMEOUT');
  const approvers = option('approvers', 'GATEHOUSE_HOOK_APPROVERS');
  const stdin = await ctx.readStdin();

  const result = await runClaudeCodeHook(ctx.client(values.url), stdin, {
    tools,
    approvers: approvers === undefined ? undefined : parseList(approvers),
    channel: option('channel', 'GATEHOUSE_HOOK_CHANNEL'),
    approvalTimeoutSeconds:
      approvalTimeout === undefined ? undefined : parseDuration('approval-timeout', approvalTimeout),
    requestedBy: option('requested-by', 'GATEHOUSE_HOOK_REQUESTED_BY'),
    callbackUrl: option('callback-url', 'GATEHOUSE_HOOK_CALLBACK_URL'),
    waitSeconds: timeout === undefined ? DEFAULT_WAIT_SECONDS : parseDuration('timeout', timeout),
    onTimeout: onTimeout as OnTimeout,
    signal: ctx.io.signal,
  });
  ctx.say(`gatehouse: ${result.note}`);
  if (result.output) ctx.print(result.output);
  return ExitCode.Ok;
}
