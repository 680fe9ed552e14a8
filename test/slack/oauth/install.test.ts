import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstallationRecord } from '../../../src/slack/oauth/installations.js';
import { eventually } from '../../support/eventually.js';
import { FakeSlack } from '../../support/fake-slack.js';
import type { TestGatehouse } from '../../support/gatehouse.js';
import { beginInstall, CLIENT_ID, finishInstall, install, startOAuthGatehouse, startTwoWorkspaces } from './support.js';

let g: TestGatehouse;
let slack: FakeSlack;

beforeEach(async () => {
  ({ g, slack } = await startTwoWorkspaces());
});
afterEach(async () => {
  await g.stop();
  await slack.close();
});

const installed = () =>
  g.gatehouse.store.records<InstallationRecord>('slack-installations').findBy('status', 'installed');

describe('OAuth install', () => {
  it('sends the browser to Slack with the manifest scopes and a state bound to it by a cookie', async () => {
    const { page, html, state } = await beginInstall(g.url);
    expect(page.status).toBe(200);
    expect(state).not.toBe('');
    const href = /"(https:\/\/slack\.com\/oauth\/v2\/authorize[^"]*)"/.exec(html)?.[1];
    expect(href).toBeDefined();
    const link = new URL(href?.replaceAll('&amp;', '&') ?? '');
    expect(link.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(link.searchParams.get('state')).toBe(state);
    expect(link.searchParams.get('scope')?.split(',')).toEqual(expect.arrayContaining(['chat:write', 'commands']));
  });

  it('stores one installation per workspace, each with its own token', async () => {
    expect((await install(g.url, 'code-one')).status).toBe(200);
    expect((await install(g.url, 'code-two')).status).toBe(200);
    const exchanges = slack.callsTo('oauth.v2.access');
    expect(exchanges.map((c) => c.body.code)).toEqual(['code-one', 'code-two']);
    expect(exchanges.every((c) => c.body.client_id === CLIENT_ID)).toBe(true);
    const byTeam = Object.fromEntries((await installed()).map((r) => [r.team.teamId, r.installation?.bot?.token]));
    expect(byTeam).toEqual({ T0ONE: 'xoxb-one', T0TWO: 'xoxe.xoxb-two' });
  });

  it('refuses a redirect whose state it did not issue to this browser, and installs nothing', async () => {
    const { state } = await beginInstall(g.url);
    expect((await finishInstall(g.url, 'code-one', state, '')).status).toBe(400);
    expect((await finishInstall(g.url, 'code-one', 'forged-state', 'slack-app-oauth-state=forged-state')).status).toBe(
      400,
    );
    expect((await finishInstall(g.url, 'code-one', '')).status).toBe(400);
    expect(slack.callsTo('oauth.v2.access')).toHaveLength(0);
    expect(await installed()).toEqual([]);
  });

  it('keeps installations across a restart: the next process posts with the stored token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-oauth-'));
    const sqliteFile = join(dir, 'gatehouse.sqlite');
    const other = await FakeSlack.start();
    try {
      const first = await startOAuthGatehouse(other, sqliteFile);
      expect((await install(first.url, 'code-one')).status).toBe(200);
      await first.stop();
      const second = await startOAuthGatehouse(other, sqliteFile);
      try {
        const res = await second.api('/api/v1/approvals', {
          json: { id: 'after-restart', title: 'T', channel: 'C0ONE' },
        });
        expect(res.status).toBe(201);
        const posted = await other.waitFor('chat.postMessage', (c) => JSON.stringify(c.body).includes('after-restart'));
        expect(posted.token).toBe('xoxb-one');
        await eventually(
          () => second.gatehouse.gate.get('after-restart'),
          (r) => r.message !== null,
        );
        expect(other.callsTo('oauth.v2.access')).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
