import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../../src/approvals/types.js';
import { ActionId } from '../../../src/slack/blocks/ids.js';
import type { InstallationRecord } from '../../../src/slack/oauth/installations.js';
import { approvalIdFor } from '../../../src/slack/workflow/step-io.js';
import { eventually } from '../../support/eventually.js';
import type { FakeSlack } from '../../support/fake-slack.js';
import { SIGNING_SECRET, type TestGatehouse } from '../../support/gatehouse.js';
import { blockActionsPayload, postSlack } from '../../support/slack-requests.js';
import { functionExecutedBody } from '../workflow/function-executed.js';
import { install, postEvent, startTwoWorkspaces } from './support.js';

let g: TestGatehouse;
let slack: FakeSlack;
/** Team two's token after Gatehouse refreshed the expiring one it got at install. */
const ROTATED = 'xoxe.xoxb-two-r1';

beforeEach(async () => {
  ({ g, slack } = await startTwoWorkspaces());
  expect((await install(g.url, 'code-one')).status).toBe(200);
  expect((await install(g.url, 'code-two')).status).toBe(200);
});
afterEach(async () => {
  await g.stop();
  await slack.close();
});

async function requestIn(channel: string, id: string): Promise<ApprovalRecord> {
  expect((await g.api('/api/v1/approvals', { json: { id, title: `Deploy ${id}`, channel } })).status).toBe(201);
  return eventually(
    () => g.gatehouse.gate.get(id),
    (r) => r.message !== null,
  );
}

const postsOf = (id: string) =>
  slack.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body.blocks ?? '').includes(id));

/** A button click from a user of `teamId`, as that workspace's Slack sends it. */
const clickFrom = (teamId: string, userId: string, record: ApprovalRecord) =>
  blockActionsPayload({
    actionId: ActionId.Approve,
    value: record.id,
    userId,
    channelId: record.message?.channel,
    messageTs: record.message?.ts,
    overrides: { team: { id: teamId, domain: teamId.toLowerCase() }, user: { team_id: teamId } },
  });

const installation = async (teamId: string) =>
  g.gatehouse.store.records<InstallationRecord>('slack-installations').get(`team:${teamId}`);

describe('many workspaces', () => {
  it("posts each team's approvals with that team's token, and answers its clicks with it", async () => {
    const one = await requestIn('C0ONE', 'one-1');
    const two = await requestIn('C0TWO', 'two-1');
    expect(postsOf('one-1').map((c) => c.token)).toEqual(['xoxb-one']);
    expect(postsOf('two-1').map((c) => c.token)).toEqual([ROTATED]);

    // Ben is an approver, but in the other workspace's message nothing of team one's is used.
    expect((await g.slackPost(clickFrom('T0TWO', 'U0BEN', two))).status).toBe(200);
    const update = await slack.waitFor('chat.update', (c) => c.body.ts === two.message?.ts);
    expect(update.token).toBe(ROTATED);
    // A user who may not decide is told privately, through their own workspace.
    await g.slackPost(clickFrom('T0ONE', 'U0STRANGER', one));
    const told = await slack.waitFor('chat.postEphemeral', (c) => c.body.user === 'U0STRANGER');
    expect(told.token).toBe('xoxb-one');
    expect((await g.gatehouse.gate.get('one-1')).status).toBe('pending');

    expect(slack.callsWithToken('xoxb-one').some((c) => JSON.stringify(c.body).includes('two-1'))).toBe(false);
    expect(slack.callsWithToken(ROTATED).some((c) => JSON.stringify(c.body).includes('one-1'))).toBe(false);
  });

  it('refreshes an expiring rotated token once, stores the new one, and keeps using it', async () => {
    await requestIn('C0TWO', 'two-a');
    await requestIn('C0TWO', 'two-b');
    const refreshes = slack.callsTo('oauth.v2.access').filter((c) => c.body.grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]?.body.refresh_token).toBe('xoxe-1-two-refresh');
    expect(slack.tokensOf('T0TWO')).toEqual(['xoxe.xoxb-two', ROTATED]);
    const stored = await installation('T0TWO');
    expect(stored?.installation?.bot).toMatchObject({ token: ROTATED, refreshToken: 'xoxe-1-two-refresh' });
    expect(stored?.installation?.bot?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 11 * 3600);
    expect([...postsOf('two-a'), ...postsOf('two-b')].map((c) => c.token)).toEqual([ROTATED, ROTATED]);
  });

  it("routes alerts to the team of their channel, and completes a team's workflow step with its token", async () => {
    const res = await g.api('/api/v1/alerts', { json: { kind: 'failure', taskId: 'nightly', error: 'disk full' } });
    expect(res.status).toBe(202);
    const alert = await slack.waitFor('chat.postMessage', (c) => c.body.channel === 'C0TWOALERTS');
    expect(alert.token).toBe(ROTATED);

    const step = functionExecutedBody({
      inputs: { title: 'Open the gates', approvers: ['U0ANN'], channel: 'C0ONE' },
      teamId: 'T0ONE',
    });
    await postSlack(g.url, JSON.stringify(step), { signingSecret: SIGNING_SECRET, contentType: 'application/json' });
    const id = approvalIdFor(step.event.function_execution_id);
    const asked = await eventually(
      () => g.gatehouse.gate.get(id).catch(() => null),
      (r) => r?.message != null,
    );
    expect(postsOf(id).map((c) => c.token)).toEqual(['xoxb-one']);
    await g.slackPost(clickFrom('T0ONE', 'U0ANN', asked as ApprovalRecord));
    const completed = await slack.waitFor(
      'functions.completeSuccess',
      (c) => c.body.function_execution_id === step.event.function_execution_id,
    );
    expect(completed.token).toBe('xoxb-one');
  });

  it('forgets a workspace on app_uninstalled and on tokens_revoked', async () => {
    const one = await requestIn('C0ONE', 'one-before');
    expect((await postEvent(g, 'T0ONE', { type: 'app_uninstalled' })).status).toBe(200);
    await eventually(
      () => installation('T0ONE'),
      (r) => r?.status === 'uninstalled',
    );
    expect((await installation('T0ONE'))?.installation).toBeNull();
    const usedBefore = slack.callsWithToken('xoxb-one').length;

    // Team one's requests and clicks get nowhere; team two carries on.
    expect(
      (await g.api('/api/v1/approvals', { json: { id: 'gone-1', title: 'After', channel: 'C0ONE' } })).status,
    ).toBe(201);
    // Bolt answers a request from a workspace it has no installation for with 401.
    expect((await g.slackPost(clickFrom('T0ONE', 'U0ANN', one))).status).toBe(401);
    await requestIn('C0TWO', 'two-after');
    expect((await g.gatehouse.gate.get('gone-1')).message).toBeNull();
    expect((await g.gatehouse.gate.get('one-before')).status).toBe('pending');
    expect(slack.callsWithToken('xoxb-one')).toHaveLength(usedBefore);

    // Only user tokens revoked, or a malformed event: team two stays installed.
    expect((await postEvent(g, 'T0TWO', { type: 'tokens_revoked', tokens: { oauth: ['U0BEN'] } })).status).toBe(200);
    expect((await postEvent(g, 'T0TWO', { type: 'tokens_revoked', tokens: null })).status).toBe(200);
    await requestIn('C0TWO', 'two-still');
    expect((await installation('T0TWO'))?.status).toBe('installed');
    await postEvent(g, 'T0TWO', { type: 'tokens_revoked', tokens: { bot: ['U0BOTT0TWO'] } });
    await eventually(
      () => installation('T0TWO'),
      (r) => r?.status === 'uninstalled' && r.installation === null,
    );
  });
});
