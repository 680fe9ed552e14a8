import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { FakeAnthropic, messageReply } from '../support/fake-anthropic.js';
import { SIGNING_SECRET, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload, commandBody, postSlack, slashCommandPayload } from '../support/slack-requests.js';

let anthropic: FakeAnthropic;
let g: TestGatehouse;

beforeAll(async () => {
  anthropic = await FakeAnthropic.start();
  anthropic.reply = (call) =>
    messageReply(call, {
      text: '```json\n{"summary":"Search for intent, social for reach.","audience":"runners","channels":[{"name":"search","share":0.5},{"name":"social","share":0.5}]}\n```',
    });
  g = await startGatehouse({ env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: anthropic.url } });
});
afterAll(async () => {
  await g.stop();
  await anthropic.close();
});

const command = (text: string) =>
  postSlack(
    g.url,
    commandBody(slashCommandPayload({ text, channelId: 'C0OPS' }) as unknown as Record<string, string>),
    { signingSecret: SIGNING_SECRET },
  );

describe('/agent start campaign-launch in a running Gatehouse', () => {
  it('acks at once, plans with Claude, asks for approval in the progress thread, and launches on a click', async () => {
    const started = performance.now();
    const ack = await command('start campaign-launch budget=60000');
    expect(ack.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(3000);

    const progress = await g.slack!.waitFor('chat.postMessage', (c) => c.body.channel === 'C0OPS' && !c.body.thread_ts);
    const [task] = await g.gatehouse.tasks.list({ limit: 1 });
    expect(task?.agent).toBe('campaign-launch');
    const progressRef = await eventually(
      () => g.gatehouse.tasks.threadForTask(task!.id),
      (ref) => ref !== null,
    );

    const request = await g.slack!.waitFor('chat.postMessage', (c) => c.body.thread_ts === progressRef!.ts);
    expect(JSON.stringify(request.body.blocks)).toContain('60,000');
    expect(anthropic.messageCalls).toHaveLength(1);

    const approvalId = `${task!.id}:approval:1`;
    const approval = await eventually(
      () => g.gatehouse.gate.get(approvalId),
      (r) => r.message !== null,
    );
    const click = await g.slackPost(
      blockActionsPayload({
        actionId: ActionId.Approve,
        value: approvalId,
        userId: 'U0ALICE',
        messageTs: approval.message!.ts,
      }),
    );
    expect(click.status).toBe(200);

    const done = await eventually(
      () => g.gatehouse.tasks.status(task!.id),
      (t) => t.status === 'completed',
    );
    expect(done.results).toMatchObject({ launch: { launched: true } });
    const finalUpdate = await g.slack!.waitFor(
      'chat.update',
      (c) => c.body.ts === progressRef!.ts && JSON.stringify(c.body).includes('✅ launch'),
    );
    expect(JSON.stringify(finalUpdate.body)).toMatch(/✅ planning/);
    expect(progress.body.channel).toBe('C0OPS');
  });

  it('answers a bad command with a private usage message', async () => {
    const res = await command('start campaign-launch budget=lots');
    expect(res.status).toBe(200);
    const reply = await res.text();
    const ephemeral = reply.includes('budget')
      ? reply
      : JSON.stringify(
          (await g.slack!.waitFor('chat.postEphemeral', (c) => JSON.stringify(c.body).includes('budget'))).body,
        );
    expect(ephemeral).toMatch(/budget.*number/);
  });
});
