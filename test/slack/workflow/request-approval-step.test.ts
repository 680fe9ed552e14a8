import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ActionId } from '../../../src/slack/blocks/ids.js';
import { approvalIdFor } from '../../../src/slack/workflow/step-io.js';
import { advanceUntil, eventually } from '../../support/eventually.js';
import { FakeSlack } from '../../support/fake-slack.js';
import { SIGNING_SECRET, startGatehouse, type TestGatehouse } from '../../support/gatehouse.js';
import { ManualClock } from '../../support/manual-clock.js';
import { blockActionsPayload, postSlack } from '../../support/slack-requests.js';
import { functionExecutedBody } from './function-executed.js';

let slack: FakeSlack;
let dir: string;
const running: TestGatehouse[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-workflow-'));
});
afterEach(async () => {
  for (const g of running.splice(0)) await g.stop();
  slack.reset();
});
afterAll(async () => {
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: { clock?: ManualClock; sqliteFile?: string } = {}) {
  const g = await startGatehouse({ fakeSlack: slack, ...options });
  running.push(g);
  return g;
}

/** Posts a signed `function_executed` event, as Slack does when a workflow reaches the step. */
function runStep(g: TestGatehouse, body: unknown, retryNum?: number) {
  return postSlack(g.url, JSON.stringify(body), {
    signingSecret: SIGNING_SECRET,
    contentType: 'application/json',
    retryNum,
  });
}

const postedFor = (approvalId: string) =>
  slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.body.blocks ?? '').includes(approvalId));

const completionOf = (method: string, functionExecutionId: string) =>
  slack.waitFor(method, (c) => c.body.function_execution_id === functionExecutionId);

describe('the Request approval workflow step', () => {
  it('asks once per execution and completes the step with the decision when an approver clicks', async () => {
    const g = await start();
    const body = functionExecutedBody({
      inputs: { title: 'Publish the launch post', details: 'Goes to 40k followers', approvers: ['U0BOB'], timeout: 30 },
    });
    const execution = body.event.function_execution_id;
    const id = approvalIdFor(execution);
    expect((await runStep(g, body)).status).toBe(200);
    const posted = await postedFor(id);
    expect(posted.token).toBe('xoxb-test-token');
    // Slack re-delivers the event: the same approval, not a second message.
    expect((await runStep(g, body, 1)).status).toBe(200);
    const stored = await eventually(
      () => g.gatehouse.gate.get(id),
      (r) => r.message !== null,
    );
    expect(stored).toMatchObject({
      status: 'pending',
      title: 'Publish the launch post',
      explanation: 'Goes to 40k followers',
      approvers: ['U0BOB'],
      timeoutSeconds: 1800,
    });

    // Alice is an APPROVERS default but not this step's approver: nothing changes for her click.
    await g.slackPost(blockActionsPayload({ actionId: ActionId.Approve, value: id, userId: 'U0ALICE' }));
    await slack.waitFor('chat.postEphemeral', (c) => c.body.user === 'U0ALICE');
    expect((await g.gatehouse.gate.get(id)).status).toBe('pending');

    await g.slackPost(blockActionsPayload({ actionId: ActionId.Approve, value: id, userId: 'U0BOB' }));
    const completed = await completionOf('functions.completeSuccess', execution);
    expect(completed.token).toBe('xoxb-test-token');
    expect(completed.body.outputs).toEqual({
      decision: 'approved',
      decided_by: 'U0BOB',
      reason: '',
      edited_values: '',
    });
    expect(slack.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body.blocks).includes(id))).toHaveLength(1);
    expect(slack.callsTo('functions.completeError')).toHaveLength(0);
  });

  it('fails the step when nobody decides before the timeout', async () => {
    const clock = new ManualClock();
    const g = await start({ clock });
    const body = functionExecutedBody({ inputs: { title: 'Rotate the prod database password', timeout: 5 } });
    const execution = body.event.function_execution_id;
    await runStep(g, body);
    await postedFor(approvalIdFor(execution));
    await advanceUntil(
      clock,
      async () => slack.callsTo('functions.completeError').length,
      (n) => n > 0,
      { stepMs: 60_000, maxMs: 10 * 60_000 },
    );
    const failed = await completionOf('functions.completeError', execution);
    expect(failed.body.error).toBe('Nobody decided "Rotate the prod database password" within 5 min.');
    expect((await g.gatehouse.gate.get(approvalIdFor(execution))).status).toBe('timeout');
    expect(slack.callsTo('functions.completeSuccess')).toHaveLength(0);
  });

  it('fails the step at once, naming the input, when the inputs are not a valid request', async () => {
    const g = await start();
    const body = functionExecutedBody({ inputs: { title: 'Delete old backups', approvers: ['#ops'] } });
    await runStep(g, body);
    const failed = await completionOf('functions.completeError', body.event.function_execution_id);
    expect(failed.token).toBe(body.event.bot_access_token);
    expect(failed.body.error).toContain('approvers.0: expected a Slack user id');
    await expect(g.gatehouse.gate.get(approvalIdFor(body.event.function_execution_id))).rejects.toThrow(/not found/);
  });

  it('answers malformed step events without a 5xx, asking nobody', async () => {
    const g = await start();
    const valid = functionExecutedBody({ inputs: { title: 'x' } });
    // (An event without function_execution_id is refused inside Bolt before any middleware runs.)
    for (const event of [
      { ...valid.event, function: null },
      { ...valid.event, function: 'request_approval' },
      { ...valid.event, inputs: 'not an object' },
    ]) {
      const res = await runStep(g, { ...valid, event });
      expect(res.status).toBe(200);
    }
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    await expect(g.gatehouse.gate.get(approvalIdFor(valid.event.function_execution_id))).rejects.toThrow(/not found/);
  });

  it('completes a step after a restart: decided in the next process, or decided while Slack refused', async () => {
    const sqliteFile = join(dir, 'restart.sqlite');
    const first = await start({ sqliteFile });
    const decidedLater = functionExecutedBody({ inputs: { title: 'Ship v2', approvers: ['U0ALICE'] } });
    const refusedFirst = functionExecutedBody({ inputs: { title: 'Ship v3', approvers: ['U0ALICE'] } });
    for (const body of [decidedLater, refusedFirst]) {
      await runStep(first, body);
      await postedFor(approvalIdFor(body.event.function_execution_id));
    }
    const refused = approvalIdFor(refusedFirst.event.function_execution_id);
    await eventually(
      () => first.gatehouse.gate.get(refused),
      (r) => r.message !== null,
    );
    slack.failNext('functions.completeSuccess', 1, { body: { ok: false, error: 'internal_error' } });
    await first.gatehouse.gate.decide(refused, {
      decision: 'reject',
      decidedBy: 'U0ALICE',
      via: 'slack',
      feedback: 'not yet',
    });
    await eventually(
      async () => slack.callsTo('functions.completeSuccess').length,
      (n) => n === 1,
    );
    await first.stop();
    running.splice(running.indexOf(first), 1);

    const second = await start({ sqliteFile });
    // Owed from before the restart: completed at start.
    const late = await completionOf('functions.completeSuccess', refusedFirst.event.function_execution_id);
    expect(slack.callsTo('functions.completeSuccess')).toHaveLength(2);
    expect(late.body.outputs).toMatchObject({ decision: 'rejected', decided_by: 'U0ALICE', reason: 'not yet' });

    // Still waiting from before the restart: completed when the new process sees the click.
    const pending = approvalIdFor(decidedLater.event.function_execution_id);
    await second.slackPost(blockActionsPayload({ actionId: ActionId.Approve, value: pending, userId: 'U0ALICE' }));
    const done = await completionOf('functions.completeSuccess', decidedLater.event.function_execution_id);
    expect(done.body.outputs).toMatchObject({ decision: 'approved', decided_by: 'U0ALICE' });
  });
});
