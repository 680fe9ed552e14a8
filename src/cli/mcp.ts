import { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../mcp/tools.js';
import { expectPositionals, parseFlags } from './args.js';
import type { Context } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { helpFor } from './help.js';

/**
 * `gatehouse mcp`: an MCP server on stdin/stdout whose tools talk to a Gatehouse server through the
 * typed client. Runs until the client closes stdin or the process is stopped. stdout carries the
 * protocol only: everything else goes to stderr.
 */
export async function mcpCommand(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('mcp', args, { url: { type: 'string' } });
  if (values.help) {
    ctx.io.stdout.write(helpFor('mcp'));
    return ExitCode.Ok;
  }
  expectPositionals('mcp', positionals, []);
  const { stdin, stdout, signal } = ctx.io;
  if (!(stdin instanceof Readable) || !(stdout instanceof Writable)) {
    throw new CliError('gatehouse mcp speaks MCP on stdin and stdout: run it from an MCP client');
  }
  const client = ctx.client(values.url);
  const server = createMcpServer(client);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  await server.connect(new StdioServerTransport(stdin, stdout));
  ctx.say(`gatehouse mcp: serving request_approval, wait_for_approval, get_approval, send_alert for ${client.url}`);
  const stop = () => void server.close();
  signal?.addEventListener('abort', stop, { once: true });
  // The client closing stdin is the end of the session.
  stdin.once('end', stop);
  await closed;
  signal?.removeEventListener('abort', stop);
  return ExitCode.Ok;
}
