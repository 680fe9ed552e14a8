import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerTaskCommands } from '../../src/slack/listeners/commands/index.js';
import { SlackTaskProgress } from '../../src/slack/task-progress.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { TaskService } from '../../src/tasks/service.js';
import { eventually } from '../support/eventually.js';
import type { SlackCall } from '../support/fake-slack.js';
import { startBolt, type TestBolt } from '../tasks/bolt-app.js';
import { boot, deferred, type StageHooks, stageHooks, testRegistry } from '../tasks/support.js';
import { assertWithinBlockKitLimits } from './blocks/block-kit-limits.js';

let bolt: TestBolt;
let tasks: TaskService;
let hooks: StageHooks;

beforeAll(async () => {
  bolt = await startBolt();
  hooks = stageHooks();
  const registry = testRegistry(hooks);
  const progress = new SlackTaskProgress({ client: bolt.app.client, defaultChannel: 'C0APPROVALS', intervalMs: 50 });
  ({ tasks } = boot(new MemoryStore(), registry, { observer: progress }));
  registerTaskCommands(bolt.app, { tasks, registry, logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await bolt.close();
});
beforeEach(() => {
  bolt.slack.reset();
  hooks.gates.clear();
});

const text = (call: SlackCall) => JSON.stringify(call.body.blocks ?? call.body.text);

/** The ack's body: Bolt answers the command's HTTP request with what `ack` was given. */
async function ack(commandText: string, options = {}) {
  const { response, ms } = await bolt.command(commandText, options);
  expect(response.status).toBe(200);
  expect(ms).toBeLessThan(3000);
  const body = await response.text();
  return body === '' ? null : (JSON.parse(body) as { response_type: string; text: string });
}

const ephemeral = (includes: string) =>
  bolt.slack.waitFor('chat.postEphemeral', (c) => String(c.body.text).includes(includes));

describe('/agent', () => {
  it('acknowledges a start at once, then posts one progress message and updates it in place', async () => {
    const release = deferred();
    hooks.gates.set('work', release.promise);

    const answer = await ack('start three-step n=3', { channelId: 'C0OPS' });
    expect(answer).toEqual({ response_type: 'ephemeral', text: 'Starting three-step…' });

    const posted = await bolt.slack.waitFor('chat.postMessage');
    expect(posted.body.channel).toBe('C0OPS');
    expect(text(posted)).toContain('three-step');
    assertWithinBlockKitLimits(posted.body.blocks);
    await bolt.slack.waitFor('chat.update', (c) => text(c).includes('⏳ work'));

    release.resolve();
    const final = await bolt.slack.waitFor('chat.update', (c) => text(c).includes('Completed'));
    const { message } = await tasks.status(/`(three-step-\d+)`/.exec(text(posted))?.[1] ?? '');
    expect(final.body).toMatchObject({ channel: 'C0OPS', ts: message?.ts });
    expect(text(final)).toMatch(/✅ plan \d+ ms · ✅ work \d+ ms · ✅ finish \d+ ms/);
    assertWithinBlockKitLimits(final.body.blocks);
    expect(bolt.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('answers a bad command with the usage, naming the wrong part', async () => {
    const badValue = await ack('start three-step n=abc');
    expect(badValue?.response_type).toBe('ephemeral');
    expect(badValue?.text).toContain('n=abc: expected a number');
    expect(badValue?.text).toContain('/agent start <agent> [key=value …]');

    expect((await ack('start three-step n'))?.text).toContain('`n`: expected key=value');
    expect((await ack('frobnicate'))?.text).toContain('Unknown subcommand `frobnicate`');
    expect((await ack('resume'))?.text).toContain('Which task?');
    expect((await ack('cancel a b'))?.text).toContain('`b` is left over');
    expect(bolt.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('lists the known agents for an unknown one, and in help', async () => {
    const unknown = await ack('start nope');
    expect(unknown?.text).toContain('There is no agent called `nope`');
    expect(unknown?.text).toContain('`three-step`');
    expect(unknown?.text).toContain('`gated`');
    expect((await ack('help'))?.text).toContain('*Agents*');
  });

  it('shows the status of one task, of the running ones, and the recent ones', async () => {
    hooks.gates.set('work', new Promise(() => {}));
    const task = await tasks.start('three-step', { n: 1 }, { startedBy: 'U0ALICE', taskId: 'status-1' });
    await eventually(
      () => tasks.status(task.id),
      (t) => t.stage === 'work',
    );

    expect(await ack('status status-1')).toBeNull();
    const one = await ephemeral('status-1');
    expect(one.body).toMatchObject({ channel: 'C0APPROVALS', user: 'U0ALICE' });
    expect(one.body.text).toContain('⏳ work');

    await ack('status');
    expect((await ephemeral('running')).body.text).toContain('status-1');
    await ack('list');
    await eventually(
      async () => bolt.slack.callsTo('chat.postEphemeral').length,
      (n) => n === 3,
    );

    await ack('status nope-1');
    expect((await ephemeral('not found')).body.text).toContain('task "nope-1" not found');
    await tasks.cancel(task.id);
  });

  it('cancels a running task and shows it in the progress message', async () => {
    hooks.gates.set('work', new Promise(() => {}));
    expect((await ack('start three-step n=1'))?.text).toBe('Starting three-step…');
    const posted = await bolt.slack.waitFor('chat.postMessage');
    const id = /`(three-step-\d+)`/.exec(text(posted))?.[1];
    expect(id).toBeDefined();
    await eventually(
      () => tasks.status(id!),
      (t) => t.stage === 'work',
    );

    expect((await ack(`cancel ${id}`, { userId: 'U0BOB' }))?.text).toBe(`Cancelling ${id}…`);
    expect((await ephemeral('Cancelled')).body.text).toContain('cancelled by <@U0BOB>');
    const { message } = await tasks.status(id!);
    await bolt.slack.waitFor('chat.update', (c) => c.body.ts === message?.ts && text(c).includes('🚫 work'));

    await ack(`cancel ${id}`);
    expect((await ephemeral('already cancelled')).body.text).toContain(`task ${id} is already cancelled`);
  });
});
