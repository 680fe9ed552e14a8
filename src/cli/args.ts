import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './errors.js';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Options of the commands that talk to a Gatehouse server. */
export const CLIENT_FLAGS = {
  url: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;

const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsOptionsConfig;

/** What parseArgs gives for `options` plus `--help`, positionals allowed. */
type Parsed<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T & typeof HELP_FLAG; allowPositionals: true; strict: true }>
>;

/**
 * Parses `args` for `command` (e.g. `approval request`) with node's parseArgs, strictly: an unknown
 * option or a missing value is a CliError in plain words that points at the command's help.
 */
export function parseFlags<const T extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: T,
): Parsed<T> {
  try {
    return parseArgs({
      args,
      options: { ...HELP_FLAG, ...options },
      allowPositionals: true,
      strict: true,
    }) as Parsed<T>;
  } catch (error) {
    throw new CliError(`${plainParseError(error)} (see gatehouse ${command} --help)`);
  }
}

function plainParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return /argument missing/.test(message) ? `${option} needs a value` : `${option} does not take a value`;
  }
  return message;
}

/** The positional arguments, or a CliError naming what is missing or extra. */
export function expectPositionals(command: string, positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw new CliError(`missing <${names[positionals.length]}> (usage: gatehouse ${command} <${names.join('> <')}>)`);
  }
  if (positionals.length > names.length) {
    throw new CliError(`unexpected argument ${JSON.stringify(positionals[names.length])} for gatehouse ${command}`);
  }
  return positionals;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `30m`, `2h`, `1d`, `1h30m` or a plain number of seconds, as whole seconds (at least 1). */
export function parseDuration(flag: string, value: string): number {
  const text = value.trim().toLowerCase();
  let seconds: number | undefined;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  else if (/^(\d+(\.\d+)?[smhd])+$/.test(text)) {
    seconds = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
      seconds += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1);
    }
  }
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1) {
    throw new CliError(
      `--${flag} expects a duration like 90s, 30m, 2h or 3600 (seconds, at least 1), got ${JSON.stringify(value)}`,
    );
  }
  return seconds;
}

/** A finite number, or a CliError naming the flag. */
export function parseNumber(flag: string, value: string): number {
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number)) throw new CliError(`--${flag} expects a number, got ${JSON.stringify(value)}`);
  return number;
}

/** JSON text, or a CliError naming where it came from. */
export function parseJson(source: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

/** `U1, U2,U3` → `['U1', 'U2', 'U3']`. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
