import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { FakeSlack } from '../support/fake-slack.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload } from '../support/slack-requests.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => slack.reset());

async function requestApproval(g: TestGatehouse, id: string, extra: Record<string, unknown> = {}) {
  const res = await g.api('/api/v1/approvals', { json: { id, title: `Deploy ${id}`, ...extra } });
  expect(res.status).toBe(201);
  await eventually(
    () => g.gatehouse.gate.get(id),
    (r: ApprovalRecord) => r.message !== null,
  );
}

const click = (g: TestGatehouse, id: string, userId: string) =>
  g.slackPost(blockActionsPayload({ actionId: ActionId.Approve, value: id, userId }));

const ephemeralFor = (user: string) => slack.waitFor('chat.postEphemeral', (c) => c.body.user === user);

describe('with no approvers configured', () => {
  let g: TestGatehouse;
  beforeAll(async () => {
    g = await startGatehouse({ fakeSlack: slack, env: { APPROVERS: '' } });
  });
  afterAll(async () => g.stop());

  it('lets nobody decide, and tells whoever clicks that APPROVERS must be set', async () => {
    await requestApproval(g, 'closed-1');
    expect((await click(g, 'closed-1', 'U0ANYONE')).status).toBe(200);
    const told = await ephemeralFor('U0ANYONE');
    expect(told.body.text).toMatch(/no approvers are configured/);
    expect(told.body.text).toContain('`APPROVERS`');
    expect(told.body.text).toContain('ALLOW_ANY_APPROVER=true');
    expect((await g.gatehouse.gate.get('closed-1')).status).toBe('pending');
  });

  it('opens no modal either', async () => {
    await requestApproval(g, 'closed-2');
    await g.slackPost(blockActionsPayload({ actionId: ActionId.Reject, value: 'closed-2', userId: 'U0ANYONE' }));
    await ephemeralFor('U0ANYONE');
    expect(slack.callsTo('views.open')).toHaveLength(0);
  });
});

describe('with ALLOW_ANY_APPROVER=true', () => {
  it('lets anyone decide a request that names no approvers', async () => {
    const g = await startGatehouse({ fakeSlack: slack, env: { APPROVERS: '', ALLOW_ANY_APPROVER: 'true' } });
    try {
      await requestApproval(g, 'open-1');
      await click(g, 'open-1', 'U0ANYONE');
      const decided = await eventually(
        () => g.gatehouse.gate.get('open-1'),
        (r) => r.status !== 'pending',
      );
      expect(decided.decision?.decidedBy).toBe('U0ANYONE');
    } finally {
      await g.stop();
    }
  });
});

describe('a request with "approvers": []', () => {
  it('is refused with a 400 naming the field, and nothing is stored', async () => {
    const g = await startGatehouse({ fakeSlack: slack });
    try {
      const res = await g.api('/api/v1/approvals', { json: { id: 'empty-1', title: 'T', approvers: [] } });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.issues).toEqual([{ field: 'approvers', message: expect.stringMatching(/at least one approver/) }]);
      expect((await g.api('/api/v1/approvals/empty-1')).status).toBe(404);
    } finally {
      await g.stop();
    }
  });
});

describe('Slack user groups as approvers', () => {
  let g: TestGatehouse;
  beforeAll(async () => {
    g = await startGatehouse({ fakeSlack: slack, env: { APPROVERS: 'S0ONCALL' } });
  });
  afterAll(async () => g.stop());

  it('lets a member of the group decide, resolving it with usergroups.users.list', async () => {
    slack.userGroups.set('S0ONCALL', ['U0CAROL', 'U0DAVE']);
    await requestApproval(g, 'group-1');
    await click(g, 'group-1', 'U0DAVE');
    const decided = await eventually(
      () => g.gatehouse.gate.get('group-1'),
      (r) => r.status !== 'pending',
    );
    expect(decided).toMatchObject({ status: 'approved', decision: { decidedBy: 'U0DAVE' } });
    const lookup = await slack.waitFor('usergroups.users.list');
    expect(lookup.body.usergroup).toBe('S0ONCALL');
    expect(lookup.token).toBe('xoxb-test-token');
  });

  it('refuses someone removed from the group since the last lookup', async () => {
    slack.userGroups.set('S0ONCALL', ['U0CAROL', 'U0DAVE']);
    await requestApproval(g, 'group-2');
    expect(await g.gatehouse.gate.mayDecide(await g.gatehouse.gate.get('group-2'), 'U0DAVE')).toBe(true);
    slack.userGroups.set('S0ONCALL', ['U0CAROL']);
    await click(g, 'group-2', 'U0DAVE');
    const told = await ephemeralFor('U0DAVE');
    expect(told.body.text).toMatch(/not one of the approvers/);
    expect(told.body.text).toContain('<!subteam^S0ONCALL>');
    expect((await g.gatehouse.gate.get('group-2')).status).toBe('pending');
  });

  it('refuses someone outside the group, and a group Slack does not know lets nobody in', async () => {
    await requestApproval(g, 'group-3', { approvers: ['S0UNKNOWN'] });
    await click(g, 'group-3', 'U0EVE');
    await ephemeralFor('U0EVE');
    expect((await g.gatehouse.gate.get('group-3')).status).toBe('pending');
  });
});
