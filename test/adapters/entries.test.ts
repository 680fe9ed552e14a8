import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_PACKAGES = /node_modules\/(@slack\/bolt|express|pino|sqlite3|@keyv\/sqlite|nodemailer)\//;
const ADAPTERS = ['openai-agents', 'ai-sdk', 'langgraph'];

describe('the adapter entry points', () => {
  it('are subpath exports of the package', async () => {
    const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
    for (const name of ADAPTERS) {
      expect(pkg.exports[`./${name}` as keyof typeof pkg.exports]).toEqual({
        types: `./dist/adapters/${name}/index.d.ts`,
        default: `./dist/adapters/${name}/index.js`,
      });
    }
    expect(Object.keys(pkg.peerDependenciesMeta)).toEqual(Object.keys(pkg.peerDependencies));
    expect(Object.values(pkg.peerDependenciesMeta).every((meta) => meta.optional)).toBe(true);
  });

  it('load no server code: no Bolt, Express, SQLite, pino or nodemailer', async () => {
    const probe = [
      "import { createRequire } from 'node:module';",
      ...ADAPTERS.map((name) => `await import('./src/adapters/${name}/index.ts');`),
      'process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
    });
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((path) => SERVER_PACKAGES.test(path))).toEqual([]);
  });
});
