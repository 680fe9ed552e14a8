import type { ApprovalRequestInput, JsonValue } from '../client/index.js';
import {
  CLIENT_FLAGS,
  expectPositionals,
  parseDuration,
  parseFlags,
  parseJson,
  parseList,
  parseNumber,
} from './args.js';
import { readEnv } from './client.js';
import type { Context } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { helpFor } from './help.js';
import { describeApproval, exitCodeOf, nameOf } from './waiting.js';

/** `gatehouse approval <request|get|decide|cancel> …` */
export async function approvalCommand(ctx: Context, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'request':
      return request(ctx, rest);
    case 'get':
      return get(ctx, rest);
    case 'decide':
      return decide(ctx, rest);
    case 'cancel':
      return cancel(ctx, rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      ctx.io.stdout.write(helpFor('approval'));
      return ExitCode.Ok;
    default:
      throw new CliError(`unknown command "approval ${sub}" (see gatehouse approval --help)`);
  }
}

const showHelp = (ctx: Context, command: string) => {
  ctx.io.stdout.write(helpFor(command));
  return ExitCode.Ok;
};

async function request(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('approval request', args, {
    ...CLIENT_FLAGS,
    title: { type: 'string' },
    explanation: { type: 'string' },
    context: { type: 'string' },
    'context-file': { type: 'string' },
    approvers: { type: 'string' },
    timeout: { type: 'string' },
    id: { type: 'string' },
    channel: { type: 'string' },
    task: { type: 'string' },
    'requested-by': { type: 'string' },
    'callback-url': { type: 'string' },
    wait: { type: 'boolean' },
  });
  if (values.help) return showHelp(ctx, 'approval request');
  expectPositionals('approval request', positionals, []);
  if (values.title === undefined) throw new CliError('--title is required (see gatehouse approval request --help)');
  const context = await jsonOption(ctx, 'context', values.context, values['context-file']);
  // Checked by the server, which names every wrong field.
  const body = {
    id: values.id,
    title: values.title,
    explanation: values.explanation,
    context,
    approvers: values.approvers === undefined ? undefined : parseList(values.approvers),
    channel: values.channel,
    timeoutSeconds: values.timeout === undefined ? undefined : parseDuration('timeout', values.timeout),
    taskId: values.task,
    requestedBy: values['requested-by'],
    callbackUrl: values['callback-url'],
  } as ApprovalRequestInput;

  const client = ctx.client(values.url);
  let approval = await client.create(body);
  if (values.wait && approval.status === 'pending') {
    ctx.say(`waiting for a decision on ${nameOf(approval)}, open until ${approval.expiresAt}`);
    approval = await client.wait(approval.id);
  }
  ctx.say(describeApproval(approval));
  if (values.json) ctx.print(approval);
  // Without --wait a pending request is a success: it was made.
  return approval.status === 'pending' ? ExitCode.Ok : exitCodeOf(approval);
}

async function get(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('approval get', args, { ...CLIENT_FLAGS, wait: { type: 'string' } });
  if (values.help) return showHelp(ctx, 'approval get');
  const [id = ''] = expectPositionals('approval get', positionals, ['id']);
  const client = ctx.client(values.url);
  const wait = values.wait === undefined ? undefined : parseNumber('wait', values.wait);
  if (wait !== undefined && wait < 0) throw new CliError('--wait must not be negative');
  const approval = wait === undefined ? await client.get(id) : await client.wait(id, { timeoutSeconds: wait });
  ctx.say(describeApproval(approval));
  if (values.json) ctx.print(approval);
  return exitCodeOf(approval);
}

async function decide(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('approval decide', args, {
    ...CLIENT_FLAGS,
    approve: { type: 'boolean' },
    reject: { type: 'boolean' },
    feedback: { type: 'string' },
    by: { type: 'string' },
    modifications: { type: 'string' },
    'modifications-file': { type: 'string' },
  });
  if (values.help) return showHelp(ctx, 'approval decide');
  const [id = ''] = expectPositionals('approval decide', positionals, ['id']);
  if (Boolean(values.approve) === Boolean(values.reject)) throw new CliError('give one of --approve or --reject');
  const modifications = await jsonOption(ctx, 'modifications', values.modifications, values['modifications-file']);
  const client = ctx.client(values.url);
  const approval = await client.decide(id, {
    decision: values.approve ? 'approve' : 'reject',
    decidedBy: values.by ?? whoAmI(ctx),
    feedback: values.feedback,
    modifications: modifications as JsonValue | undefined,
  });
  ctx.say(describeApproval(approval));
  if (values.json) ctx.print(approval);
  return ExitCode.Ok;
}

async function cancel(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('approval cancel', args, {
    ...CLIENT_FLAGS,
    reason: { type: 'string' },
    by: { type: 'string' },
  });
  if (values.help) return showHelp(ctx, 'approval cancel');
  const [id = ''] = expectPositionals('approval cancel', positionals, ['id']);
  const client = ctx.client(values.url);
  const approval = await client.cancel(id, { reason: values.reason, cancelledBy: values.by ?? whoAmI(ctx) });
  ctx.say(describeApproval(approval));
  if (values.json) ctx.print(approval);
  return ExitCode.Ok;
}

/** JSON given inline with `--<flag>` or in a file with `--<flag>-file`, not both; undefined when neither. */
async function jsonOption(ctx: Context, flag: string, inline?: string, file?: string): Promise<unknown> {
  if (inline !== undefined && file !== undefined) throw new CliError(`give --${flag} or --${flag}-file, not both`);
  if (file !== undefined) return parseJson(`--${flag}-file ${file}`, await ctx.read(`${flag}-file`, file));
  return inline === undefined ? undefined : parseJson(`--${flag}`, inline);
}

/** Who decides when `--by` is not given: the login name, as the shell knows it. */
function whoAmI(ctx: Context): string {
  return readEnv(ctx.io.env, 'USER') ?? readEnv(ctx.io.env, 'USERNAME') ?? 'gatehouse-cli';
}
