import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { advanceUntil, eventually } from '../support/eventually.js';
import { FakeSlack } from '../support/fake-slack.js';
import { API_TOKEN, SIGNING_SECRET, startGatehouse } from '../support/gatehouse.js';
import { ManualClock } from '../support/manual-clock.js';
import { blockActionsPayload } from '../support/slack-requests.js';

let slack: FakeSlack;
let dir: string;
beforeAll(async () => {
  slack = await FakeSlack.start();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-restart-'));
});
afterAll(async () => {
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm start`'s entry point as a real process and resolves once it listens. */
async function spawnGatehouse(sqliteFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      STORE_URL: `sqlite://${sqliteFile}`,
      GATEHOUSE_API_TOKEN: API_TOKEN,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
      APPROVERS: 'U0ALICE',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    child.once('exit', (code) => reject(new Error(`gatehouse exited with ${code}: ${out}`)));
  });
  return { child, url };
}

const post = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('restart', () => {
  it('a second process on the same SQLite file finishes what a kill -9 interrupted', async () => {
    const sqliteFile = join(dir, 'shared.sqlite');
    const first = await spawnGatehouse(sqliteFile);
    expect((await post(first.url, '/api/v1/approvals', { id: 'survivor', title: 'Drop table users' })).status).toBe(
      201,
    );
    expect((await post(first.url, '/api/v1/approvals', { id: 'expiring', title: 'T', timeoutSeconds: 5 })).status).toBe(
      201,
    );
    await slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.body).includes('survivor'));
    await slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.body).includes('expiring'));
    // Both message references are stored before the crash, as they would be in a real run.
    for (const id of ['survivor', 'expiring']) {
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${first.url}/api/v1/approvals/${id}`, {
          headers: { authorization: `Bearer ${API_TOKEN}` },
        });
        if ((await res.json()).message) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const clock = new ManualClock(Date.now());
    const second = await startGatehouse({ fakeSlack: slack, sqliteFile, clock, env: { APPROVERS: 'U0ALICE' } });
    try {
      const { message } = await second.gatehouse.gate.get('survivor');
      expect(message?.channel).toBe('C0APPROVALS');
      const res = await second.slackPost(
        blockActionsPayload({
          actionId: ActionId.Approve,
          value: 'survivor',
          userId: 'U0ALICE',
          messageTs: message?.ts,
        }),
      );
      expect(res.status).toBe(200);
      const update = await slack.waitFor('chat.update', (c) => c.body.ts === message?.ts);
      expect(JSON.stringify(update.body.blocks)).toContain('Approved by <@U0ALICE>');
      expect((await second.gatehouse.gate.get('survivor')).status).toBe('approved');

      await advanceUntil(
        clock,
        () => second.gatehouse.gate.get('expiring'),
        (r) => r.status === 'timeout',
      );
      // Each request was posted once: the second process did not announce them again.
      const posts = slack.callsTo('chat.postMessage');
      expect(posts.filter((c) => !c.body.thread_ts)).toHaveLength(2);
      // The ladder survived the crash: the reminder (at 50 %) went once, into the request's thread.
      const expiring = await second.gatehouse.gate.get('expiring');
      const reminders = posts.filter((c) => c.body.thread_ts === expiring.message?.ts);
      expect(reminders).toHaveLength(1);
      expect(reminders[0]?.body.text).toMatch(/still waiting/);
    } finally {
      await second.stop();
    }
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const { child } = await spawnGatehouse(join(dir, 'sigterm.sqlite'));
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  });
});

describe('timeout', () => {
  it('marks the request timed out at its deadline and updates the message', async () => {
    const clock = new ManualClock(Date.now());
    const g = await startGatehouse({ fakeSlack: slack, clock });
    try {
      const waiting = g.gatehouse.gate.requireApproval({ id: 'to-1', title: 'Rotate keys', timeoutSeconds: 30 });
      await slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.body).includes('to-1'));
      await eventually(
        () => g.gatehouse.gate.get('to-1'),
        (r) => r.message !== null,
      );
      await advanceUntil(
        clock,
        () => g.gatehouse.gate.get('to-1'),
        (r) => r.status === 'timeout',
      );
      expect(await waiting).toMatchObject({ status: 'timeout', isApproved: false });
      const { message } = await g.gatehouse.gate.get('to-1');
      const update = await slack.waitFor('chat.update', (c) => c.body.ts === message?.ts);
      expect(JSON.stringify(update.body.blocks)).toMatch(/Timed out/);
    } finally {
      await g.stop();
    }
  });
});
