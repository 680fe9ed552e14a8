import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantRecord } from '../../src/approvals/grants.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { ManualClock } from '../support/manual-clock.js';
import { blockActionsPayload } from '../support/slack-requests.js';

type Grant = GrantRecord & { status: string };

let g: TestGatehouse;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  g = await startGatehouse({ clock });
});
afterAll(async () => {
  await g.stop();
});

/** A tool call of agent-7 asking through the API; `extra` overrides the scope. */
async function ask(id: string, extra: Record<string, unknown> = {}): Promise<ApprovalRecord> {
  const res = await g.api('/api/v1/approvals', {
    json: {
      id,
      title: `Run a shell command (${id})`,
      requestedBy: 'agent-7',
      taskId: 'run-1',
      actionKey: 'Bash',
      ...extra,
    },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as ApprovalRecord;
}

const announced = (id: string) =>
  g.slack!.waitFor('chat.postMessage', (c) => JSON.stringify(c.body.blocks ?? '').includes(`"${id}"`));
const posts = (id: string) =>
  g.slack!.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body.blocks ?? '').includes(`"${id}"`));
const stored = (id: string, ok: (r: ApprovalRecord) => boolean) => eventually(() => g.gatehouse.gate.get(id), ok);

/** Asks, waits for the Slack message, and clicks one of its grant buttons as U0ALICE, signed as Slack signs. */
async function grantThrough(actionId: string, id: string, extra: Record<string, unknown> = {}): Promise<Grant> {
  await ask(id, extra);
  const posted = await announced(id);
  const buttons = posted.body.blocks.flatMap((b: { elements?: Array<{ action_id: string }> }) => b.elements ?? []);
  expect(buttons.map((b: { action_id: string }) => b.action_id)).toContain(actionId);
  const res = await g.slackPost(blockActionsPayload({ actionId, value: id, userId: 'U0ALICE' }));
  expect(res.status).toBe(200);
  await stored(id, (r) => r.status === 'approved');
  const found = await eventually(
    () => grantsWhere(`taskId=${String(extra.taskId ?? 'run-1')}`),
    (list) => list.some((grant) => grant.approvalId === id),
  );
  return found.find((grant) => grant.approvalId === id) as Grant;
}

async function grantsWhere(query: string): Promise<Grant[]> {
  const res = await g.api(`/api/v1/grants?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { grants: Grant[] }).grants;
}

async function auditOf(id: string, ok: (types: string[]) => boolean) {
  return eventually(
    async () => {
      const res = await g.api(`/api/v1/approvals/${id}/audit`);
      return res.status === 200
        ? ((await res.json()) as { entries: Array<{ type: string; actor: string; data: Record<string, unknown> }> })
            .entries
        : [];
    },
    (entries) => ok(entries.map((e) => e.type)),
  );
}

describe('grants', () => {
  it('a click on "Approve for 1 hour" approves the next matching request at once, via the grant, asking nobody', async () => {
    const grant = await grantThrough(ActionId.ApproveForHour, 'g-first');
    expect(grant).toMatchObject({
      id: 'grant-g-first',
      status: 'active',
      actionKey: 'Bash',
      taskId: 'run-1',
      requestedBy: 'agent-7',
      duration: '1h',
      grantedBy: 'U0ALICE',
      via: 'slack',
    });
    expect(Date.parse(grant.expiresAt) - Date.parse(grant.grantedAt)).toBe(3600_000);
    const first = await g.gatehouse.gate.get('g-first');
    expect(first.decision).toMatchObject({
      decidedBy: 'U0ALICE',
      via: 'slack',
      granted: { id: grant.id, duration: '1h' },
    });
    const outcome = await g.slack!.waitFor('chat.update', (c) => c.body.ts === first.message?.ts);
    expect(JSON.stringify(outcome.body.blocks)).toContain('and for 1 hour');

    const next = await ask('g-second');
    expect(next).toMatchObject({
      status: 'approved',
      decision: { via: 'grant', grantId: grant.id, decidedBy: 'U0ALICE' },
    });
    const waited = await g.gatehouse.gate.requireApproval({ id: 'g-second', title: 'Run a shell command (g-second)' });
    expect(waited).toMatchObject({ isApproved: true, via: 'grant' });

    const entries = await auditOf('g-second', (types) => types.includes('decided'));
    expect(entries.map((e) => e.type)).toEqual(['requested', 'decided']);
    expect(entries[1]).toMatchObject({
      actor: 'U0ALICE',
      data: { status: 'approved', via: 'grant', grantId: grant.id },
    });
    const granting = await auditOf('g-first', (types) => types.includes('decided'));
    expect(granting.find((e) => e.type === 'decided')?.data).toMatchObject({
      granted: { id: grant.id, duration: '1h' },
    });
    // Its audit entries are written by the same workers that would have announced it: nobody was asked.
    expect(posts('g-second')).toEqual([]);
  });

  it('never applies across requesters, tasks or actions, nor to a request that offers no grants', async () => {
    await grantThrough(ActionId.ApproveForRun, 'm-grant', { taskId: 'run-m' });
    const others = [
      ask('m-requester', { taskId: 'run-m', requestedBy: 'agent-8' }),
      ask('m-task', { taskId: 'run-other' }),
      ask('m-tool', { taskId: 'run-m', actionKey: 'Write' }),
      ask('m-optout', { taskId: 'run-m', grantOptions: [] }),
    ];
    for (const record of await Promise.all(others)) {
      expect(record.status).toBe('pending');
      await announced(record.id);
    }
    expect((await ask('m-same', { taskId: 'run-m' })).decision).toMatchObject({
      via: 'grant',
      grantId: 'grant-m-grant',
    });
  });

  it('an hour grant runs out: after the hour the same request is asked again', async () => {
    const grant = await grantThrough(ActionId.ApproveForHour, 'e-grant', { taskId: 'run-e' });
    expect((await ask('e-within', { taskId: 'run-e' })).status).toBe('approved');
    await clock.advance(3600_000 + 1000);
    const after = await ask('e-after', { taskId: 'run-e' });
    expect(after.status).toBe('pending');
    await announced('e-after');
    expect(await grantsWhere('taskId=run-e&status=expired')).toMatchObject([{ id: grant.id, status: 'expired' }]);
    expect(await grantsWhere('taskId=run-e&status=active')).toEqual([]);
  });

  it('revoking stops a grant at once, is audited, and is never done by a GET', async () => {
    const grant = await grantThrough(ActionId.ApproveForRun, 'r-grant', { taskId: 'run-r' });
    expect(grant.duration).toBe('run');
    expect((await ask('r-before', { taskId: 'run-r' })).status).toBe('approved');

    expect((await g.api(`/api/v1/grants/${grant.id}/revoke`)).status).toBe(404);
    const revoke = () =>
      g.api(`/api/v1/grants/${grant.id}/revoke`, { json: { revokedBy: 'U0BOB', reason: 'enough for today' } });
    const res = await revoke();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: grant.id,
      status: 'revoked',
      revokedBy: 'U0BOB',
      revokeReason: 'enough for today',
    });
    expect((await revoke()).status).toBe(409);
    expect((await g.api('/api/v1/grants/grant-nope/revoke', { json: {} })).status).toBe(404);

    expect((await ask('r-after', { taskId: 'run-r' })).status).toBe('pending');
    const entries = await auditOf('r-grant', (types) => types.includes('grant_revoked'));
    expect(entries.find((e) => e.type === 'grant_revoked')).toMatchObject({
      actor: 'U0BOB',
      data: { grantId: grant.id, reason: 'enough for today' },
    });
  });

  it('refuses grant options that make no sense, naming the field', async () => {
    const bad = async (json: Record<string, unknown>) => {
      const res = await g.api('/api/v1/approvals', { json: { title: 'x', ...json } });
      expect(res.status).toBe(400);
      return ((await res.json()) as { issues: Array<{ field: string; message: string }> }).issues;
    };
    expect(await bad({ grantOptions: ['1h'], requestedBy: 'agent-7' })).toEqual([
      { field: 'grantOptions', message: 'needs `actionKey`: the action a grant covers' },
    ]);
    expect(await bad({ grantOptions: ['run'], requestedBy: 'agent-7', actionKey: 'Bash' })).toEqual([
      { field: 'grantOptions', message: '"run" needs `taskId`: the run a grant covers' },
    ]);
    expect((await bad({ grantOptions: ['1h', '1h'] }))[0]?.field).toBe('grantOptions');
    expect((await bad({ grantOptions: ['forever'] }))[0]?.field).toBe('grantOptions.0');

    const plain = await ask('v-plain', { actionKey: undefined, taskId: 'run-v' });
    expect(plain.grantOptions).toEqual([]);
    const res = await g.api('/api/v1/approvals/v-plain/decision', {
      json: { decision: 'approve', decidedBy: 'U0ALICE', grant: '1h' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: Array<{ field: string }> }).issues[0]?.field).toBe('grant');
    expect((await g.gatehouse.gate.get('v-plain')).status).toBe('pending');
  });
});
