import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Server packages a client must never load: they are CommonJS, so they land in require.cache when loaded. */
const SERVER_PACKAGES = /node_modules\/(@slack\/bolt|express|pino|sqlite3|@keyv\/sqlite|nodemailer)\//;

/** Imports `entry` in a fresh node process and lists the CommonJS modules it loaded. */
async function loadedBy(entry: string): Promise<string[]> {
  const probe = [
    "import { createRequire } from 'node:module';",
    `await import(${JSON.stringify(entry)});`,
    'const cache = createRequire(import.meta.url).cache;',
    'process.stdout.write(JSON.stringify(Object.keys(cache)));',
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
  });
  return JSON.parse(stdout) as string[];
}

describe('gatehouse/client', () => {
  it('loads no server code: no Bolt, Express, SQLite, pino or nodemailer', async () => {
    const loaded = await loadedBy('./src/client/index.ts');
    expect(loaded.filter((path) => SERVER_PACKAGES.test(path))).toEqual([]);
  });

  it('nor do the MCP tools that gatehouse mcp serves on stdio, nor the Claude Code hook', async () => {
    for (const entry of ['./src/mcp/tools.ts', './src/adapters/claude-code/index.ts', './src/cli/run.ts']) {
      const loaded = await loadedBy(entry);
      expect(
        loaded.filter((path) => SERVER_PACKAGES.test(path)),
        entry,
      ).toEqual([]);
    }
  });

  it('is told apart from the server entry by the same probe, which sees what the server loads', async () => {
    const loaded = await loadedBy('./src/gatehouse.ts');
    const packages = new Set(loaded.flatMap((path) => SERVER_PACKAGES.exec(path)?.[1] ?? []));
    expect([...packages]).toEqual(expect.arrayContaining(['@slack/bolt', 'express', 'pino']));
  });

  it('is the subpath export gatehouse/client', async () => {
    const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
    expect(pkg.exports['./client']).toEqual({
      types: './dist/client/index.d.ts',
      default: './dist/client/index.js',
    });
  });
});
