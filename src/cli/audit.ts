import { z } from 'zod';
import { CLIENT_FLAGS, expectPositionals, parseFlags } from './args.js';
import type { Context } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { helpFor } from './help.js';

const verification = z.union([
  z.looseObject({ ok: z.literal(true), entries: z.number(), head: z.string() }),
  z.looseObject({ ok: z.literal(false), brokenAt: z.number(), reason: z.string() }),
]);

/** `gatehouse audit verify`: checks the audit trail's hash chain. Exits 0 intact, 1 broken, 3 on error. */
export async function auditCommand(ctx: Context, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags('audit', rest, { ...CLIENT_FLAGS });
  if (values.help || sub === undefined || sub === 'help') {
    ctx.io.stdout.write(helpFor('audit'));
    return sub === undefined ? ExitCode.Error : ExitCode.Ok;
  }
  if (sub !== 'verify') throw new CliError(`unknown audit command "${sub}" (see gatehouse audit --help)`);
  expectPositionals('audit verify', positionals, []);
  const client = ctx.client(values.url);
  // A broken chain is answered 409 with where it breaks: that is the command's result, not an error.
  const answer = await client.request('GET', '/api/v1/audit/verify', { answerStatuses: [409] });
  const result = verification.safeParse(answer);
  if (!result.success) throw new CliError(`${client.url} answered with something that is not an audit verification`);
  if (values.json) ctx.print(result.data);
  if (result.data.ok) {
    ctx.say(`audit trail intact: ${result.data.entries} entries, head ${result.data.head.slice(0, 12)}…`);
    return ExitCode.Ok;
  }
  ctx.say(`audit trail BROKEN at entry ${result.data.brokenAt}: ${result.data.reason}`);
  return ExitCode.Rejected;
}
