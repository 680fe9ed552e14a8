import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { ActionId, InputId, ViewId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload, viewSubmissionPayload } from '../support/slack-requests.js';
import { assertWithinBlockKitLimits } from './blocks/block-kit-limits.js';

let g: TestGatehouse;
let seq = 0;

beforeAll(async () => {
  g = await startGatehouse();
});
afterAll(async () => {
  await g.stop();
});
beforeEach(() => {
  g.slack?.reset();
});

/** Creates a request through the API and waits for its Slack message. */
async function requestApproval(extra: Record<string, unknown> = {}) {
  const id = `flow-${++seq}`;
  const res = await g.api('/api/v1/approvals', { json: { id, title: `Launch campaign ${seq}`, ...extra } });
  expect(res.status).toBe(201);
  const posted = await g.slack!.waitFor('chat.postMessage', (c) => JSON.stringify(c.body.blocks).includes(id));
  await waitForStored(id, (r) => r.message !== null);
  return { id, posted };
}

const waitForStored = (id: string, ok: (r: ApprovalRecord) => boolean) =>
  eventually(() => g.gatehouse.gate.get(id), ok);

const click = (actionId: string, id: string, userId = 'U0ALICE', messageTs = '1700000000.000100') =>
  blockActionsPayload({ actionId, value: id, userId, messageTs });

const updateFor = (ts: string) => g.slack!.waitFor('chat.update', (c) => c.body.ts === ts);

describe('approval through Slack', () => {
  it('posts the request with Approve, Reject and Approve-with-changes buttons', async () => {
    const { id, posted } = await requestApproval({ explanation: 'Spend $50k on ads', context: { budget: 50000 } });
    expect(posted.body.channel).toBe('C0APPROVALS');
    expect(posted.token).toBe('xoxb-test-token');
    const buttons = posted.body.blocks
      .filter((b: { type: string }) => b.type === 'actions')
      .flatMap((b: { elements: unknown[] }) => b.elements);
    expect(buttons.map((b: { action_id: string }) => b.action_id)).toEqual([
      ActionId.Approve,
      ActionId.Reject,
      ActionId.ApproveWithChanges,
    ]);
    expect(buttons.every((b: { value: string }) => b.value === id)).toBe(true);
    expect(JSON.stringify(posted.body.blocks)).toContain('50000');
  });

  it('approves on a click, resumes the waiting agent, and updates the message in place', async () => {
    const waiting = g.gatehouse.gate.requireApproval({ id: 'lib-1', title: 'Send newsletter' });
    const posted = await g.slack!.waitFor('chat.postMessage', (c) => JSON.stringify(c.body).includes('lib-1'));
    await waitForStored('lib-1', (r) => r.message !== null);
    const ts = posted.body.ts ?? (await g.gatehouse.gate.get('lib-1')).message?.ts;
    const res = await g.slackPost(click(ActionId.Approve, 'lib-1', 'U0ALICE', ts));
    expect(res.status).toBe(200);
    const response = await waiting;
    expect(response).toMatchObject({ status: 'approved', decidedBy: 'U0ALICE', via: 'slack' });
    const stored = await g.gatehouse.gate.get('lib-1');
    const update = await updateFor(stored.message!.ts);
    const text = JSON.stringify(update.body.blocks);
    expect(text).toContain('Approved by <@U0ALICE>');
    expect(text).not.toContain(ActionId.Approve);
  });

  it('rejects with a reason through the modal', async () => {
    const { id } = await requestApproval();
    await g.slackPost(click(ActionId.Reject, id, 'U0BOB'));
    const opened = await g.slack!.waitFor('views.open');
    expect(opened.body.view.callback_id).toBe(ViewId.Reject);
    expect(opened.body.trigger_id).toBeTruthy();
    const submit = viewSubmissionPayload({
      callbackId: ViewId.Reject,
      privateMetadata: opened.body.view.private_metadata,
      userId: 'U0BOB',
      values: { [InputId.Reason.block]: { [InputId.Reason.action]: 'Budget not approved by finance' } },
    });
    const res = await g.slackPost(submit);
    expect(res.status).toBe(200);
    const record = await waitForStored(id, (r) => r.status !== 'pending');
    expect(record).toMatchObject({
      status: 'rejected',
      decision: { decidedBy: 'U0BOB', feedback: 'Budget not approved by finance' },
    });
    const update = await updateFor(record.message!.ts);
    expect(JSON.stringify(update.body.blocks)).toContain('Budget not approved by finance');
  });

  it('approves with changes given as valid JSON', async () => {
    const { id } = await requestApproval({ context: { budget: 50000, channel: 'search' } });
    await g.slackPost(click(ActionId.ApproveWithChanges, id));
    const opened = await g.slack!.waitFor('views.open');
    expect(opened.body.view.callback_id).toBe(ViewId.Changes);
    expect(JSON.stringify(opened.body.view)).toContain('50000');
    const res = await g.slackPost(
      viewSubmissionPayload({
        callbackId: ViewId.Changes,
        privateMetadata: opened.body.view.private_metadata,
        userId: 'U0ALICE',
        values: { [InputId.Modifications.block]: { [InputId.Modifications.action]: '{"budget": 20000}' } },
      }),
    );
    expect(res.status).toBe(200);
    const record = await waitForStored(id, (r) => r.status !== 'pending');
    expect(record).toMatchObject({ status: 'approved', decision: { modifications: { budget: 20000 } } });
  });

  it('shows an error in the modal for invalid JSON and decides nothing', async () => {
    const { id } = await requestApproval();
    await g.slackPost(click(ActionId.ApproveWithChanges, id));
    const opened = await g.slack!.waitFor('views.open');
    const res = await g.slackPost(
      viewSubmissionPayload({
        callbackId: ViewId.Changes,
        privateMetadata: opened.body.view.private_metadata,
        userId: 'U0ALICE',
        values: { [InputId.Modifications.block]: { [InputId.Modifications.action]: '{"budget": 20000,' } },
      }),
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.response_action).toBe('errors');
    expect(body.errors[InputId.Modifications.block]).toMatch(/not valid JSON/i);
    expect((await g.gatehouse.gate.get(id)).status).toBe('pending');
  });

  it('tells someone who is not an approver so, privately, and changes nothing', async () => {
    const { id } = await requestApproval();
    const res = await g.slackPost(click(ActionId.Approve, id, 'U0MALLORY'));
    expect(res.status).toBe(200);
    const ephemeral = await g.slack!.waitFor('chat.postEphemeral');
    expect(ephemeral.body.user).toBe('U0MALLORY');
    expect(ephemeral.body.text).toMatch(/not one of the approvers/i);
    await g.slackPost(click(ActionId.Reject, id, 'U0MALLORY'));
    await g.slack!.waitFor('chat.postEphemeral', (c) => c !== ephemeral);
    expect(g.slack!.callsTo('views.open')).toHaveLength(0);
    expect((await g.gatehouse.gate.get(id)).status).toBe('pending');
  });

  it('makes one decision out of ten simultaneous clicks, acks all within 3 s, tells the others who decided', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `U0CLICK${i}`);
    const { id } = await requestApproval({ approvers: users });
    const started = performance.now();
    const responses = await Promise.all(users.map((u) => g.slackPost(click(ActionId.Approve, id, u))));
    const elapsed = performance.now() - started;
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(elapsed).toBeLessThan(3000);
    const record = await waitForStored(id, (r) => r.status !== 'pending');
    const winner = record.decision?.decidedBy;
    expect(users).toContain(winner);
    await g.slack!.waitFor('chat.postEphemeral', () => g.slack!.callsTo('chat.postEphemeral').length >= 9);
    const told = g.slack!.callsTo('chat.postEphemeral');
    expect(told).toHaveLength(9);
    expect(new Set(told.map((c) => c.body.user))).toEqual(new Set(users.filter((u) => u !== winner)));
    for (const call of told) expect(call.body.text).toContain(`<@${winner}>`);
    await updateFor(record.message!.ts);
    expect(g.slack!.callsTo('chat.update').filter((c) => c.body.ts === record.message!.ts)).toHaveLength(1);
  });

  it('never decides twice on a re-delivered click, and does not scold its author', async () => {
    const { id } = await requestApproval();
    await g.slackPost(click(ActionId.Approve, id, 'U0ALICE'));
    const record = await waitForStored(id, (r) => r.status !== 'pending');
    const retry = await g.slackPost(click(ActionId.Approve, id, 'U0ALICE'), {
      retryNum: 1,
      retryReason: 'http_timeout',
    });
    expect(retry.status).toBe(200);
    const again = await g.slackPost(click(ActionId.Reject, id, 'U0BOB'), { retryNum: 1 });
    expect(again.status).toBe(200);
    await g.slack!.waitFor('chat.postEphemeral', (c) => c.body.user === 'U0BOB');
    expect(g.slack!.callsTo('chat.postEphemeral').filter((c) => c.body.user === 'U0ALICE')).toHaveLength(0);
    expect(await g.gatehouse.gate.get(id)).toMatchObject({ status: 'approved', decision: record.decision });
  });

  it('refuses forged and stale signatures with 401 and decides nothing', async () => {
    const { id } = await requestApproval();
    const forged = await g.slackPost(click(ActionId.Approve, id), { signature: `v0=${'0'.repeat(64)}` });
    expect(forged.status).toBe(401);
    const stale = await g.slackPost(click(ActionId.Approve, id), { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    expect((await g.gatehouse.gate.get(id)).status).toBe('pending');
  });

  it('keeps a huge request within Block Kit limits, so Slack never refuses it', async () => {
    const context = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`key${i}`, 'v'.repeat(2500)]));
    const { posted } = await requestApproval({ title: 'T'.repeat(5000), explanation: 'E'.repeat(200_000), context });
    assertWithinBlockKitLimits(posted.body.blocks, { surface: 'message' });
  });

  it('masks secrets in what it posts', async () => {
    const { posted } = await requestApproval({
      explanation: 'Uses key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789 for billing',
      context: { password: 'hunter2-very-secret', dsn: 'postgres://app:s3cretpass@db.internal/prod' },
    });
    const text = JSON.stringify(posted.body.blocks);
    for (const secret of ['abcdefghijklmnopqrstuvwxyz0123456789', 'hunter2-very-secret', 's3cretpass']) {
      expect(text).not.toContain(secret);
    }
  });

  it('updates the message when a decision arrives through the API', async () => {
    const { id } = await requestApproval();
    await g.api(`/api/v1/approvals/${id}/cancel`, { json: { reason: 'superseded', cancelledBy: 'deploy-bot' } });
    const record = await g.gatehouse.gate.get(id);
    const update = await updateFor(record.message!.ts);
    expect(JSON.stringify(update.body.blocks)).toMatch(/Cancelled/);
  });
});

describe('approve with changes through a form', () => {
  const schema = {
    type: 'object',
    properties: {
      budget: { type: 'integer', minimum: 1000, title: 'Budget (USD)' },
      channel: { type: 'string', enum: ['search', 'social'] },
    },
    required: ['budget', 'channel'],
  };

  it('shows the fields as inputs, shows schema errors in the modal, and records what changed', async () => {
    const { id } = await requestApproval({
      context: { budget: 50000, channel: 'search' },
      modificationsSchema: schema,
    });
    await g.slackPost(click(ActionId.ApproveWithChanges, id));
    const opened = await g.slack!.waitFor('views.open');
    const inputs = opened.body.view.blocks.filter((b: { type: string }) => b.type === 'input');
    expect(inputs.map((b: { block_id: string }) => b.block_id)).toEqual(['mod:budget', 'mod:channel', 'feedback']);
    expect(inputs[0].element.initial_value).toBe('50000');
    expect(inputs[1].element.initial_option.text.text).toBe('search');
    // Option values are indexes, short and unique whatever the enum holds; the text is the value.
    const social = inputs[1].element.options.find((o: { text: { text: string } }) => o.text.text === 'social');

    const submit = (budget: string) =>
      g.slackPost(
        viewSubmissionPayload({
          callbackId: ViewId.Changes,
          privateMetadata: opened.body.view.private_metadata,
          userId: 'U0ALICE',
          values: {
            'mod:budget': { value: { type: 'plain_text_input', value: budget } },
            'mod:channel': {
              value: {
                type: 'static_select',
                selected_option: social,
              },
            },
          },
        }),
      );
    const tooSmall = await (await submit('5')).json();
    expect(tooSmall.response_action).toBe('errors');
    expect(tooSmall.errors['mod:budget']).toMatch(/1000/);
    expect(await (await submit('abc')).json()).toMatchObject({ errors: { 'mod:budget': 'Enter a whole number' } });
    expect((await g.gatehouse.gate.get(id)).status).toBe('pending');

    expect((await submit('20000')).status).toBe(200);
    const record = await waitForStored(id, (r) => r.status === 'approved');
    expect(record.decision).toMatchObject({
      modifications: { budget: 20000, channel: 'social' },
      original: { budget: 50000, channel: 'search' },
      edited: true,
    });
    const update = await updateFor(record.message!.ts);
    expect(JSON.stringify(update.body.blocks)).toMatch(/budget.*50000.*→.*20000/);
  });
});

describe('clicks from the App Home tab', () => {
  it('tells a non-approver why nothing changed in a direct message, as there is no channel to answer in', async () => {
    const { id } = await requestApproval();
    const fromHome = blockActionsPayload({
      actionId: ActionId.Approve,
      value: id,
      userId: 'U0MALLORY',
      overrides: {
        container: {
          type: 'view',
          view_id: 'V0HOME',
          channel_id: undefined,
          message_ts: undefined,
          is_ephemeral: undefined,
        },
        channel: undefined,
        message: undefined,
      },
    });
    expect((await g.slackPost(fromHome)).status).toBe(200);
    const dm = await g.slack!.waitFor('chat.postMessage', (c) => c.body.channel === 'U0MALLORY');
    expect(dm.body.text).toMatch(/not one of the approvers/i);
    expect((await g.gatehouse.gate.get(id)).status).toBe('pending');
  });
});
