import { FakeSlack } from '../../support/fake-slack.js';
import { SIGNING_SECRET, startGatehouse, type TestGatehouse } from '../../support/gatehouse.js';
import { postSlack } from '../../support/slack-requests.js';

export const CLIENT_ID = '1234567890.0987654321';

/** Two fake workspaces; the second has token rotation on and an install token that is about to expire. */
export async function startTwoWorkspaces(): Promise<{ g: TestGatehouse; slack: FakeSlack }> {
  const slack = await FakeSlack.start();
  return { g: await startOAuthGatehouse(slack), slack };
}

/** Gatehouse in OAuth mode (no bot token) against `slack`, optionally on a given SQLite file. */
export function startOAuthGatehouse(slack: FakeSlack, sqliteFile?: string): Promise<TestGatehouse> {
  if (slack.tokensOf('T0ONE').length === 0) addWorkspaces(slack);
  return startGatehouse({
    fakeSlack: slack,
    sqliteFile,
    env: {
      // Many workspaces instead of one bot token.
      SLACK_BOT_TOKEN: '',
      SLACK_APPROVALS_CHANNEL: '',
      SLACK_CLIENT_ID: CLIENT_ID,
      SLACK_CLIENT_SECRET: 'client-secret-0123456789abcdef',
      SLACK_STATE_SECRET: 'state-secret-0123456789abcdef',
      SLACK_ALERTS_CHANNEL: 'C0TWOALERTS',
      APPROVERS: 'U0ANN,U0BEN',
    },
  });
}

function addWorkspaces(slack: FakeSlack): void {
  slack.addWorkspace({
    teamId: 'T0ONE',
    code: 'code-one',
    botToken: 'xoxb-one',
    channels: ['C0ONE'],
    users: ['U0ANN'],
  });
  slack.addWorkspace({
    teamId: 'T0TWO',
    code: 'code-two',
    botToken: 'xoxe.xoxb-two',
    channels: ['C0TWO', 'C0TWOALERTS'],
    users: ['U0BEN'],
    refreshToken: 'xoxe-1-two-refresh',
    // Within Bolt's two-hour refresh window from the start.
    expiresIn: 3600,
  });
}

/** Starts an install at /slack/install the way a browser does; returns the state and its cookie. */
export async function beginInstall(url: string): Promise<{ page: Response; html: string; state: string }> {
  const page = await fetch(`${url}/slack/install`, { redirect: 'manual' });
  const html = await page.text();
  const state = /slack-app-oauth-state=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
  return { page, html, state };
}

/** Slack's redirect back after the user allowed the install, from the browser that started it. */
export function finishInstall(url: string, code: string, state: string, cookie = `slack-app-oauth-state=${state}`) {
  return fetch(`${url}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, {
    headers: cookie ? { cookie } : {},
    redirect: 'manual',
  });
}

/** Installs the app into the workspace whose OAuth code is `code`. */
export async function install(url: string, code: string): Promise<Response> {
  const { state } = await beginInstall(url);
  return finishInstall(url, code, state);
}

/** Posts a signed Events API callback from `teamId`. */
export function postEvent(g: TestGatehouse, teamId: string, event: Record<string, unknown>) {
  const body = {
    token: 'verification-token',
    team_id: teamId,
    api_app_id: 'A0GATEHOUSE',
    type: 'event_callback',
    event_id: `Ev0${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event,
  };
  return postSlack(g.url, JSON.stringify(body), { signingSecret: SIGNING_SECRET, contentType: 'application/json' });
}
