import { z } from 'zod';
import type { FieldIssue } from '../../../errors.js';

/** A `/agent` command as read from its text. */
export type AgentCommand =
  | { kind: 'start'; agent: string; params: Record<string, string> }
  | { kind: 'resume'; taskId: string }
  | { kind: 'cancel'; taskId: string }
  | { kind: 'status'; taskId: string | null }
  | { kind: 'list' }
  | { kind: 'help' };

/** The command, or what is wrong with its text (shown above the usage). */
export type ParsedCommand = { ok: true; command: AgentCommand } | { ok: false; problem: string };

const taskId = z.string().regex(/^[A-Za-z0-9._@-]{1,120}$/, 'expected a task id like campaign-launch-7f3a2c');
const agentName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'expected an agent name like campaign-launch');
const paramKey = /^([A-Za-z_][A-Za-z0-9_.-]{0,59})=([\s\S]*)$/;

const SUBCOMMANDS = ['start', 'resume', 'status', 'list', 'cancel', 'help'] as const;

/** Reads `/agent …` text; quotes group a value with spaces (`product="Trail shoes"`, Slack's “smart” quotes too). */
export function parseAgentCommand(text: string): ParsedCommand {
  const words = tokenize(text);
  const [sub = 'help', ...rest] = words;
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    return { ok: false, problem: `Unknown subcommand \`${sub}\`: expected one of ${SUBCOMMANDS.join(', ')}.` };
  }
  switch (sub as (typeof SUBCOMMANDS)[number]) {
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'list':
      return rest.length === 0 ? { ok: true, command: { kind: 'list' } } : tooMany('list', rest);
    case 'status':
      if (rest.length > 1) return tooMany('status', rest.slice(1));
      return rest[0] === undefined
        ? { ok: true, command: { kind: 'status', taskId: null } }
        : withTaskId('status', rest);
    case 'resume':
    case 'cancel':
      return withTaskId(sub as 'resume' | 'cancel', rest);
    case 'start':
      return start(rest);
  }
}

/** Each issue on one line, naming the key and the value given: `budget=abc: expected a number`. */
export function describeIssues(issues: readonly FieldIssue[], params: Record<string, string>): string {
  return issues
    .map((issue) => {
      const given = params[issue.field];
      return given === undefined ? `${issue.field}: ${issue.message}` : `${issue.field}=${given}: ${issue.message}`;
    })
    .join('\n');
}

function start(words: string[]): ParsedCommand {
  const [agent, ...pairs] = words;
  if (agent === undefined) return { ok: false, problem: 'Which agent? `/agent start <agent> [key=value …]`' };
  const name = agentName.safeParse(agent);
  if (!name.success) return { ok: false, problem: `\`${agent}\`: ${name.error.issues[0]?.message}` };
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const match = paramKey.exec(pair);
    if (!match) return { ok: false, problem: `\`${pair}\`: expected key=value` };
    const [, key = '', value = ''] = match;
    if (key in params) return { ok: false, problem: `\`${key}\` is given twice` };
    params[key] = value;
  }
  return { ok: true, command: { kind: 'start', agent, params } };
}

function withTaskId(kind: 'resume' | 'cancel' | 'status', words: string[]): ParsedCommand {
  const [id, ...extra] = words;
  if (id === undefined) return { ok: false, problem: `Which task? \`/agent ${kind} <task-id>\`` };
  if (extra.length > 0) return tooMany(kind, extra);
  const parsed = taskId.safeParse(id);
  if (!parsed.success) return { ok: false, problem: `\`${id}\`: ${parsed.error.issues[0]?.message}` };
  return { ok: true, command: { kind, taskId: id } };
}

function tooMany(kind: string, extra: string[]): ParsedCommand {
  return { ok: false, problem: `\`/agent ${kind}\` takes no more than that: \`${extra.join(' ')}\` is left over.` };
}

const QUOTES: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’' };

/** Splits on whitespace; a quoted run (anywhere in a word) keeps its spaces and loses its quotes. */
function tokenize(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let closing: string | null = null;
  for (const char of text.trim()) {
    if (closing !== null) {
      if (char === closing) closing = null;
      else word = (word ?? '') + char;
    } else if (QUOTES[char] !== undefined) {
      closing = QUOTES[char];
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
