import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { costOf } from '../../src/agents/claude/pricing.js';
import type { ClaudeAnswer } from '../../src/examples/ask.js';
import { allocate, type Launch } from '../../src/examples/campaign-launch.js';
import { eventually } from '../support/eventually.js';
import { FakeAnthropic, lastUserText, messageReply, textLength, tokens } from '../support/fake-anthropic.js';
import { exampleTasks } from './support.js';

let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await FakeAnthropic.start();
});
afterAll(async () => {
  await fake.close();
});

const PLAN = {
  summary: 'Search ads for intent, social video for reach.',
  audience: 'trail runners aged 25-45',
  channels: [
    { name: 'search', share: 0.6 },
    { name: 'social', share: 0.4 },
  ],
};

beforeEach(() => {
  fake.reset();
  // Claude answers with a plan in a code fence; usage from the prompt, as the fake computes it.
  fake.reply = (call) =>
    messageReply(call, {
      text: `Here is the plan:\n\`\`\`json\n${JSON.stringify(PLAN)}\n\`\`\``,
      usage: { input_tokens: tokens(textLength(call.body.system)) + tokens(lastUserText(call.body).length) },
    });
});

async function waitForApproval(t: ReturnType<typeof exampleTasks>, taskId: string) {
  return eventually(
    () => t.tasks.status(taskId),
    (task) => task.waitingFor !== null,
  );
}

describe('campaign-launch', () => {
  it('plans with Claude, asks for approval above the threshold, and launches once approved', async () => {
    const t = exampleTasks(fake);
    const task = await t.tasks.start(
      'campaign-launch',
      { budget: '50000', product: 'Trail shoes' },
      { startedBy: 'U0ALICE' },
    );
    const waiting = await waitForApproval(t, task.id);
    expect(waiting.waitingFor?.approvalId).toBe(`${task.id}:approval:1`);

    const [request] = t.requested;
    expect(request).toMatchObject({ title: 'Launch the Trail shoes campaign for $50,000.00', taskId: task.id });
    expect(request?.explanation).toContain(PLAN.summary);
    expect(request?.context).toMatchObject({ product: 'Trail shoes', budget: 50000, threshold: 10000 });
    expect(request?.context).toMatchObject({ allocations: { search: 30000, social: 20000 } });

    await t.gate.decide(`${task.id}:approval:1`, { decision: 'approve', decidedBy: 'U0BOB', via: 'slack' });
    const done = await t.tasks.settled(task.id);
    expect(done.status).toBe('completed');
    expect(done.results.launch).toMatchObject({
      launched: true,
      launchId: `launch-${task.id}`,
      budget: 50000,
      allocations: [
        { channel: 'search', usd: 30000 },
        { channel: 'social', usd: 20000 },
      ],
    });
    const recorded = await t.store.keyv('campaign-launches').get<Launch>(task.id);
    expect(recorded?.launchId).toBe(`launch-${task.id}`);

    // One Claude call; its cost is what the task has spent.
    expect(fake.messageCalls).toHaveLength(1);
    const claude = (done.results.planning as { claude: ClaudeAnswer }).claude;
    const expected = costOf(claude.model, { input_tokens: claude.inputTokens, output_tokens: claude.outputTokens });
    expect(claude.costUsd).toBeCloseTo(expected.usd, 12);
    expect(done.costUsd).toBeCloseTo(claude.costUsd, 12);
    console.log(
      `campaign-launch on the fake API: ${claude.model}, ${claude.inputTokens} input + ${claude.outputTokens} output tokens, $${claude.costUsd.toFixed(6)}`,
    );
  });

  it('uses the changed budget of an approval with changes', async () => {
    const t = exampleTasks(fake);
    const task = await t.tasks.start(
      'campaign-launch',
      { budget: 50000, product: 'Trail shoes' },
      { startedBy: 'api' },
    );
    await waitForApproval(t, task.id);
    await t.gate.decide(`${task.id}:approval:1`, {
      decision: 'approve',
      decidedBy: 'U0BOB',
      via: 'slack',
      modifications: { budget: 30000 },
      feedback: 'start smaller',
    });
    const done = await t.tasks.settled(task.id);
    expect(done.results.launch).toMatchObject({
      launched: true,
      budget: 30000,
      allocations: [
        { channel: 'search', usd: 18000 },
        { channel: 'social', usd: 12000 },
      ],
    });
  });

  it('stops with the rejection reason', async () => {
    const t = exampleTasks(fake);
    const task = await t.tasks.start(
      'campaign-launch',
      { budget: 50000, product: 'Trail shoes' },
      { startedBy: 'api' },
    );
    await waitForApproval(t, task.id);
    await t.gate.decide(`${task.id}:approval:1`, {
      decision: 'reject',
      decidedBy: 'U0BOB',
      via: 'slack',
      feedback: 'Too expensive this quarter',
    });
    const done = await t.tasks.settled(task.id);
    expect(done.status).toBe('completed');
    expect(done.results.launch).toEqual({ launched: false, reason: 'Too expensive this quarter' });
    expect(await t.store.keyv('campaign-launches').get(task.id)).toBeUndefined();
  });

  it('launches without asking when the cost is within the threshold', async () => {
    const t = exampleTasks(fake);
    const task = await t.tasks.start('campaign-launch', { budget: 5000, product: 'Socks' }, { startedBy: 'api' });
    const done = await t.tasks.settled(task.id);
    expect(t.requested).toHaveLength(0);
    expect(done.results.approval).toMatchObject({ required: false, approved: true });
    expect(done.results.launch).toMatchObject({ launched: true, budget: 5000 });
  });

  it('still plans when Claude does not answer with JSON', async () => {
    fake.reset();
    const t = exampleTasks(fake);
    const task = await t.tasks.start(
      'campaign-launch',
      { budget: 100, product: 'Stickers', threshold: 1000 },
      { startedBy: 'api' },
    );
    const done = await t.tasks.settled(task.id);
    expect(done.results.planning).toMatchObject({ plan: { parsed: false, channels: [{ name: 'unspecified' }] } });
    expect(done.results.launch).toMatchObject({ launched: true, allocations: [{ channel: 'unspecified', usd: 100 }] });
  });

  it('launches after a restart once the approval pending at the crash is decided, without planning again', async () => {
    const before = exampleTasks(fake);
    const task = await before.tasks.start('campaign-launch', { budget: 20000, product: 'Tents' }, { startedBy: 'api' });
    await waitForApproval(before, task.id);
    before.tasks.stop();

    const after = exampleTasks(fake, before.store);
    expect(await after.tasks.recover()).toEqual({ interrupted: [task.id], resumed: [] });
    await after.gate.decide(`${task.id}:approval:1`, { decision: 'approve', decidedBy: 'U0BOB', via: 'email' });
    const done = await eventually(
      () => after.tasks.status(task.id),
      (t) => t.status === 'completed',
    );
    expect(done.results.launch).toMatchObject({ launched: true, budget: 20000 });
    expect(fake.messageCalls).toHaveLength(1);
  });

  it('refuses bad input by key', async () => {
    const t = exampleTasks(fake);
    await expect(
      t.tasks.start('campaign-launch', { budget: 'abc', product: 'x' }, { startedBy: 'api' }),
    ).rejects.toThrow('budget: expected a number');
    await expect(t.tasks.start('campaign-launch', { budget: 10, product: '  ' }, { startedBy: 'api' })).rejects.toThrow(
      'product: must not be empty',
    );
  });

  it('splits a budget in cents, the remainder to the first channel', () => {
    const thirds = allocate(100, [
      { name: 'a', share: 1 },
      { name: 'b', share: 1 },
      { name: 'c', share: 1 },
    ]);
    expect(thirds).toEqual([
      { channel: 'a', usd: 33.34 },
      { channel: 'b', usd: 33.33 },
      { channel: 'c', usd: 33.33 },
    ]);
  });
});
