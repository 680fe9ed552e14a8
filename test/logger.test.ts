import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** util-linux `script` gives the child a terminal; without it the terminal case cannot be run. */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs a script that logs one line with a secret, through a terminal (`script`) or a pipe. */
function logOnce(terminal: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-logger-'));
  const file = join(dir, 'log-once.mts');
  const logger = JSON.stringify(join(ROOT, 'src/logger.ts'));
  writeFileSync(
    file,
    `import { createLogger } from ${logger};\ncreateLogger('info').info({ apiKey: 'sk-do-not-print' }, 'hello from gatehouse');\n`,
  );
  const node = [process.execPath, '--import', 'tsx', file];
  const result = terminal
    ? spawnSync('script', ['-qec', node.map((part) => `'${part}'`).join(' '), '/dev/null'], {
        cwd: ROOT,
        encoding: 'utf8',
      })
    : spawnSync(node[0]!, node.slice(1), { cwd: ROOT, encoding: 'utf8' });
  return result.stdout;
}

describe('logs', () => {
  it('are JSON lines when stdout is not a terminal', () => {
    const [line] = logOnce(false).trim().split('\n');
    expect(JSON.parse(line ?? '')).toMatchObject({ msg: 'hello from gatehouse', apiKey: '[redacted]' });
  });

  it.skipIf(!hasScript)('are human-readable when stdout is a terminal, secrets still redacted', () => {
    const out = logOnce(true);
    expect(out).toContain('hello from gatehouse');
    expect(out).toContain('INFO');
    expect(out).not.toContain('sk-do-not-print');
    expect(() => JSON.parse(out.trim().split('\n')[0] ?? '')).toThrow();
  });
});
