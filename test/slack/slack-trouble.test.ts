import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { FakeSlack } from '../support/fake-slack.js';
import { API_TOKEN, SIGNING_SECRET, startGatehouse } from '../support/gatehouse.js';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

/** A real `gatehouse serve` process, its stdout lines as they come, and how it ended. */
interface Served {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: string;
  exit: Promise<number | null>;
}

function serve(env: Record<string, string>): Served {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      STORE_URL: 'memory://',
      GATEHOUSE_API_TOKEN: API_TOKEN,
      APPROVERS: 'U0ALICE',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
      ...env,
    },
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const served: Served = {
    child,
    lines: [],
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let pending = '';
  child.stdout?.on('data', (chunk) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts.filter(Boolean)) served.lines.push(JSON.parse(part));
  });
  child.stderr?.on('data', (chunk) => {
    served.stderr += chunk;
  });
  return served;
}

/** The base URL, from the "listening" line. */
async function baseUrl(served: Served): Promise<string> {
  const line = await eventually(
    async () => served.lines.find((l) => String(l.msg).startsWith('Gatehouse listening on')),
    (l) => l !== undefined,
    15_000,
  );
  return `http://${String(line?.msg).split(' on ')[1]}`;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let slack: FakeSlack;
let running: Served | undefined;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack.close();
});
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGTERM');
    await running.exit;
  }
  running = undefined;
  slack.reset();
});

/** Lines logged at error level or above that mention `text`. */
const errorsAbout = (served: Served, text: string) =>
  served.lines.filter((l) => Number(l.level) >= 50 && String(l.msg).includes(text));

describe('Slack trouble never stops the process', () => {
  it('a refused bot token is one clear line; the API keeps working and /healthz says invalid_auth', async () => {
    slack.respond('auth.test', () => ({ body: { ok: false, error: 'invalid_auth' } }));
    running = serve({ SLACK_BOT_TOKEN: 'xoxb-wrong-token-000', SLACK_API_URL: slack.url });
    const url = await baseUrl(running);
    await eventually(
      async () => errorsAbout(running!, 'SLACK_BOT_TOKEN'),
      (found) => found.length > 0,
      15_000,
    );
    const created = await fetch(`${url}/api/v1/approvals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'still-up', title: 'Still up' }),
    });
    expect(created.status).toBe(201);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok', slack: 'invalid_auth' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).checks.slack).toMatchObject({
      ok: false,
      detail: expect.stringContaining('SLACK_BOT_TOKEN'),
    });
    expect(running.child.exitCode).toBeNull();
    const [line, ...more] = errorsAbout(running, 'SLACK_BOT_TOKEN');
    expect(more).toEqual([]);
    expect(String(line?.msg)).toMatch(/Slack refused SLACK_BOT_TOKEN \(invalid_auth\).*restart/);
    expect(JSON.stringify(running.lines)).not.toContain('xoxb-wrong-token-000');
    expect(running.stderr).toBe('');
  });

  it('an unreachable Slack is down and retried; the API keeps working', async () => {
    const port = await closedPort();
    const g = await startGatehouse({ fakeSlack: slack, env: { SLACK_API_URL: `http://127.0.0.1:${port}/api/` } });
    try {
      await eventually(
        async () => g.gatehouse.slackStatus(),
        (status) => status.state === 'down' && status.detail.includes('ECONNREFUSED'),
      );
      expect((await (await fetch(`${g.url}/healthz`)).json()).slack).toBe('down');
      expect((await fetch(`${g.url}/readyz`)).status).toBe(503);
      expect((await g.api('/api/v1/approvals', { json: { id: 'still-up', title: 'Still up' } })).status).toBe(201);
    } finally {
      await g.stop();
    }
  });

  it('comes back by itself once Slack answers again', async () => {
    slack.down();
    const g = await startGatehouse({ fakeSlack: slack });
    try {
      await eventually(
        async () => g.gatehouse.slackStatus().state,
        (state) => state === 'down',
      );
      slack.up();
      await eventually(
        async () => g.gatehouse.slackStatus().state,
        (state) => state === 'ok',
      );
      expect((await fetch(`${g.url}/readyz`)).status).toBe(200);
    } finally {
      await g.stop();
    }
  });
});

describe('/readyz', () => {
  it('is ready with the store and Slack up, and not ready while Slack is down, until it is back', async () => {
    const g = await startGatehouse({ fakeSlack: slack });
    try {
      await eventually(
        async () => g.gatehouse.slackStatus().state,
        (state) => state === 'ok',
      );
      const ready = await fetch(`${g.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: {
          store: { ok: true },
          workers: { ok: true, detail: expect.stringMatching(/effects owed$/) },
          slack: { ok: true, detail: 'ok: connected (team T0TEST)' },
        },
      });
      expect((await (await fetch(`${g.url}/healthz`)).json()).slack).toBe('ok');
    } finally {
      await g.stop();
    }
  });

  it('without Slack checks only the store', async () => {
    const g = await startGatehouse({ slack: false });
    try {
      expect(await (await fetch(`${g.url}/readyz`)).json()).toEqual({
        status: 'ready',
        checks: { store: { ok: true }, workers: { ok: true, detail: expect.stringMatching(/effects owed$/) } },
      });
    } finally {
      await g.stop();
    }
  });
});
