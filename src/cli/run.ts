import { GatehouseError } from '../errors.js';
import { alertCommand } from './alert.js';
import { approvalCommand } from './approval.js';
import { auditCommand } from './audit.js';
import { type CliIo, createContext } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { hasHelp, helpFor } from './help.js';
import { hookCommand } from './hook.js';

export type { CliIo } from './context.js';
export { ExitCode } from './errors.js';

/**
 * Runs `gatehouse <argv…>` and resolves to its exit code. Every failure is a plain line on stderr,
 * never a stack: 3 for errors, or the command's own code (see ExitCode).
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const ctx = createContext(io);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        // Loaded on demand: the commands that only talk to a server start without the server's modules.
        return await (await import('./serve.js')).serveCommand(ctx, rest);
      case 'approval':
      case 'approvals':
        return await approvalCommand(ctx, rest);
      case 'alert':
        return await alertCommand(ctx, rest);
      case 'audit':
        return await auditCommand(ctx, rest);
      case 'hook':
        return await hookCommand(ctx, rest);
      case 'mcp':
        return await (await import('./mcp.js')).mcpCommand(ctx, rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest.join(' ');
        if (topic && !hasHelp(topic)) throw new CliError(`no help for "${topic}": there is no such command`);
        io.stdout.write(helpFor(topic || undefined));
        return ExitCode.Ok;
      }
      default:
        throw new CliError(`unknown command "${command}" (see gatehouse help)`);
    }
  } catch (error) {
    if (io.signal?.aborted) {
      ctx.say('gatehouse: interrupted');
      return ExitCode.Interrupted;
    }
    if (error instanceof GatehouseError) {
      ctx.say(`gatehouse: ${ctx.describe(error)}`);
      return ExitCode.Error;
    }
    if (error instanceof CliError) {
      ctx.say(`gatehouse: ${error.message}`);
      return error.exitCode;
    }
    ctx.say(`gatehouse: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.Error;
  }
}
