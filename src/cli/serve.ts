import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { createGatehouse } from '../gatehouse.js';
import { expectPositionals, parseFlags } from './args.js';
import type { Context } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { helpFor } from './help.js';

/**
 * `gatehouse serve`: what `src/main.ts` does — config from the environment (over `.env`), the
 * server, a clean stop when `ctx.io.signal` aborts (SIGTERM/SIGINT). Resolves once stopped.
 */
export async function serveCommand(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('serve', args, {});
  if (values.help) {
    ctx.io.stdout.write(helpFor('serve'));
    return ExitCode.Ok;
  }
  expectPositionals('serve', positionals, []);
  const env = { ...(await dotEnv(ctx)), ...ctx.io.env };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(`${error.message}\nSee .env.example for every variable and its meaning.`);
  }
  const gatehouse = await createGatehouse(config).catch((error: unknown) => {
    throw new CliError(`Gatehouse could not start: ${error instanceof Error ? error.message : String(error)}`);
  });
  const { signal } = ctx.io;
  // Listened for before the port opens, so a signal that arrives as soon as it is open is not missed.
  const stopRequested = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    await gatehouse.start();
  } catch (error) {
    await gatehouse.stop().catch(() => {});
    throw new CliError(`Gatehouse could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  await stopRequested;
  gatehouse.logger.info({ signal: String(signal?.reason ?? 'stop') }, 'stopping');
  try {
    await gatehouse.stop();
  } catch (error) {
    gatehouse.logger.error({ err: error }, 'unclean stop');
    return ExitCode.Error;
  }
  return ExitCode.Ok;
}

/** Variables from `.env` in the working directory, if there is one; the environment wins over them. */
async function dotEnv(ctx: Context): Promise<Record<string, string | undefined>> {
  let text: string;
  try {
    text = await ctx.io.readFile(join(ctx.io.cwd, '.env'));
  } catch {
    return {};
  }
  return parseEnv(text);
}
