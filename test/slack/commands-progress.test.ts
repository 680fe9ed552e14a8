import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { taskProgressMessage } from '../../src/slack/blocks/task-progress.js';
import { SlackTaskProgress } from '../../src/slack/task-progress.js';
import type { StageView, TaskView } from '../../src/tasks/types.js';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { ManualClock, settle } from '../support/manual-clock.js';
import { assertWithinBlockKitLimits } from './blocks/block-kit-limits.js';

let fake: FakeSlack;
let client: webApi.WebClient;

beforeAll(async () => {
  fake = await FakeSlack.start();
  client = new webApi.WebClient('xoxb-test-token', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const NAMES = ['planning', 'reasoning', 'launch'];

/** A task of three stages, `done` of them completed (3.1 s each), the next one running. */
function task(done: number, extra: Partial<TaskView> = {}): TaskView {
  const stages: StageView[] = NAMES.map((name, i) => ({
    name,
    state: i < done ? 'done' : i === done ? 'running' : 'pending',
    durationMs: i < done ? 3100 : null,
  }));
  return {
    id: 'campaign-launch-7f3a2c',
    agent: 'campaign-launch',
    status: 'running',
    stages,
    stage: NAMES[done] ?? null,
    waitingFor: null,
    input: {},
    results: {},
    costUsd: 0.0123,
    budgetUsd: 5,
    error: null,
    startedBy: 'U0ALICE',
    channel: 'C0OPS',
    message: null,
    runs: 1,
    durationSeconds: 3.1 * done,
    startedAt: '2026-01-05T09:00:00.000Z',
    updatedAt: '2026-01-05T09:00:00.000Z',
    completedAt: null,
    ...extra,
  };
}

const text = (call: SlackCall) => JSON.stringify(call.body.blocks);

describe('the task progress message', () => {
  it('shows stages with marks and durations, cost so far and the status', () => {
    const message = taskProgressMessage(task(1));
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain('✅ planning 3.1 s · ⏳ reasoning · ○ launch');
    expect(shown).toContain('Cost so far $0.0123 of a $5.00 budget');
    expect(shown).toContain('started by <@U0ALICE>');
    assertWithinBlockKitLimits(message.blocks);

    const completed = taskProgressMessage(
      task(3, { status: 'completed', stage: null, durationSeconds: 9.3, completedAt: '2026-01-05T09:00:10.000Z' }),
    );
    expect(JSON.stringify(completed.blocks)).toContain('✅ Completed in 9.3 s');
  });

  it('stays within Block Kit limits whatever the task holds', () => {
    const many: StageView[] = Array.from({ length: 400 }, (_, i) => ({
      name: `stage-${i}-<&>`,
      state: 'done',
      durationMs: 1234,
    }));
    const failed = task(1, {
      status: 'failed',
      stages: many,
      error: { stage: 'reasoning', message: `<!channel> ${'x'.repeat(50_000)}` },
      startedBy: 'someone <script>',
    });
    const { blocks } = taskProgressMessage(failed);
    assertWithinBlockKitLimits(blocks);
    expect(JSON.stringify(blocks)).not.toContain('<!channel>');
  });

  it('posts once, then folds changes within a second into one update showing the latest', async () => {
    const clock = new ManualClock();
    const progress = new SlackTaskProgress({ client, defaultChannel: 'C0APPROVALS', clock });
    const ref = await progress.taskStarted(task(0));
    expect(ref).toEqual({ channel: 'C0OPS', ts: '1700000000.000100' });

    progress.stageCompleted(task(1));
    progress.stageStarted(task(1));
    await clock.advance(500);
    progress.stageCompleted(task(2));
    progress.stageStarted(task(2));
    await clock.advance(499);
    await settle();
    expect(fake.callsTo('chat.update')).toHaveLength(0);

    await clock.advance(1);
    const update = await fake.waitFor('chat.update');
    expect(update.body).toMatchObject({ channel: 'C0OPS', ts: ref?.ts });
    expect(text(update)).toContain('✅ planning 3.1 s · ✅ reasoning 3.1 s · ⏳ launch');

    progress.taskFinished(task(3, { status: 'completed', stage: null }));
    await clock.advance(999);
    await settle();
    expect(fake.callsTo('chat.update')).toHaveLength(1);
    await clock.advance(1);
    await progress.flush();
    const last = fake.callsTo('chat.update').at(-1)!;
    expect(text(last)).toContain('Completed');
    expect(fake.callsTo('chat.update')).toHaveLength(2);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('posts in the default channel when the command channel refuses, and updates a known message', async () => {
    fake.respond('chat.postMessage', (call) =>
      call.body.channel === 'C0PRIVATE' ? { body: { ok: false, error: 'not_in_channel' } } : undefined,
    );
    const clock = new ManualClock();
    const progress = new SlackTaskProgress({ client, defaultChannel: 'C0APPROVALS', clock });
    const ref = await progress.taskStarted(task(0, { channel: 'C0PRIVATE' }));
    expect(ref?.channel).toBe('C0APPROVALS');

    // A resumed task keeps its message: no new post, an update in place.
    const resumed = await progress.taskStarted(task(1, { id: 'other-1', message: { channel: 'C0OPS', ts: '1.2' } }));
    expect(resumed).toEqual({ channel: 'C0OPS', ts: '1.2' });
    await clock.advance(1000);
    await progress.flush();
    expect(fake.callsTo('chat.update').map((c) => c.body.ts)).toContain('1.2');
    expect(fake.callsTo('chat.postMessage').map((c) => c.body.channel)).toEqual(['C0PRIVATE', 'C0APPROVALS']);
  });
});
