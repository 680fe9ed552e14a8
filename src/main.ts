import { existsSync } from 'node:fs';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createGatehouse } from './gatehouse.js';

/** The process: config → Gatehouse → start; SIGTERM/SIGINT → stop and exit 0. */
async function main(): Promise<void> {
  // Variables already in the environment win over the file.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example for every variable and its meaning.\n`);
    process.exit(2);
  }
  const gatehouse = await createGatehouse(config);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gatehouse.logger.info({ signal }, 'stopping');
    gatehouse.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        gatehouse.logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  // Registered before listening, so a signal that arrives as soon as the port is open is handled.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await gatehouse.start();
}

main().catch((error: unknown) => {
  process.stderr.write(`Gatehouse could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
