import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import type { CliResult } from './support.js';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

/** Runs the real `gatehouse` binary, as a shell script would. */
function gatehouse(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // Only what a CI job would have: no inherited GATEHOUSE_* or .env surprises.
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let g: TestGatehouse;
let env: Record<string, string>;
beforeAll(async () => {
  g = await startGatehouse({ slack: false });
  env = { GATEHOUSE_URL: g.url, GATEHOUSE_API_TOKEN: API_TOKEN };
});
afterAll(async () => {
  await g.stop();
});

/** Decides `id` through the API once the binary has asked for it. */
async function decideWhenAsked(id: string, decision: 'approve' | 'reject', feedback: string) {
  await eventually(
    () => g.api(`/api/v1/approvals/${id}`),
    (res) => res.status === 200,
    15_000,
  );
  const res = await g.api(`/api/v1/approvals/${id}/decision`, { json: { decision, decidedBy: 'U0ALICE', feedback } });
  expect(res.status).toBe(200);
}

describe.concurrent('the gatehouse binary', () => {
  it('waits for the decision and exits 0 when approved, printing the approval as JSON', async () => {
    const run = gatehouse(
      [
        'approval',
        'request',
        '--title',
        'Deploy v2',
        '--id',
        'bin-approve',
        '--context',
        '{"env":"prod"}',
        '--wait',
        '--json',
      ],
      env,
    );
    await decideWhenAsked('bin-approve', 'approve', 'ship it');
    const { code, stdout, stderr } = await run;
    expect(code).toBe(0);
    const approval = JSON.parse(stdout);
    expect(approval).toMatchObject({
      id: 'bin-approve',
      status: 'approved',
      context: { env: 'prod' },
      decision: { decidedBy: 'U0ALICE', via: 'api', feedback: 'ship it' },
    });
    expect(stderr).toContain('waiting for a decision on "Deploy v2" (bin-approve)');
    expect(stderr).toContain('approved: "Deploy v2" (bin-approve) by U0ALICE via api: "ship it"');
  });

  it('exits 1 when rejected', async () => {
    const run = gatehouse(['approval', 'request', '--title', 'Drop the table', '--id', 'bin-reject', '--wait'], env);
    await decideWhenAsked('bin-reject', 'reject', 'no');
    const { code, stdout, stderr } = await run;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('rejected: "Drop the table" (bin-reject) by U0ALICE via api: "no"');
  });

  it('exits 2 when the server times the request out', async () => {
    const { code, stderr } = await gatehouse(
      ['approval', 'request', '--title', 'Quick one', '--id', 'bin-timeout', '--timeout', '1s', '--wait'],
      env,
    );
    expect(code).toBe(2);
    expect(stderr).toContain('timed out: "Quick one" (bin-timeout) was not decided by');
  });

  it('exits 3 with a plain message when the server cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, stdout, stderr } = await gatehouse(['approval', 'request', '--title', 'x', '--wait'], {
      GATEHOUSE_URL: url,
    });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(`gatehouse: cannot reach Gatehouse at ${url}: connection refused\n`);
  });
});

describe('gatehouse audit verify', () => {
  it('exits 0 on an intact trail and 1, naming the entry, once an entry was edited', async () => {
    await g.gatehouse.audit.idle();
    const intact = await gatehouse(['audit', 'verify'], env);
    expect(intact.stderr).toMatch(/audit trail intact: \d+ entries/);
    expect(intact.code).toBe(0);

    const entries = g.gatehouse.store.records<{ id: string; version: number; actor: string | null }>('audit');
    const first = await entries.get('000000000001');
    expect(first).toBeDefined();
    expect(await entries.replace({ ...first!, actor: 'someone-else' }, first!.version)).toBe(true);
    const broken = await gatehouse(['audit', 'verify', '--json'], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/audit trail BROKEN at entry 1/);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, brokenAt: 1 });
  });
});
