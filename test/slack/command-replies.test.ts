import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerTaskCommands } from '../../src/slack/listeners/commands/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { startBolt, type TestBolt } from '../tasks/bolt-app.js';
import { boot, stageHooks, testRegistry } from '../tasks/support.js';

let bolt: TestBolt;

beforeAll(async () => {
  bolt = await startBolt();
  const registry = testRegistry(stageHooks());
  const { tasks } = boot(new MemoryStore(), registry);
  const origin = new URL(bolt.slack.url).origin;
  registerTaskCommands(bolt.app, {
    tasks,
    registry,
    logger: pino({ level: 'silent' }),
    trustsResponseUrl: (url) => url.startsWith(origin),
  });
});
afterAll(async () => {
  await bolt.close();
});
beforeEach(() => bolt.slack.reset());

describe('/agent replies reach the user where they are', () => {
  it('answer through the command’s response_url, ephemerally, and not with chat.postEphemeral', async () => {
    const responseUrl = bolt.slack.responseUrl();
    const path = new URL(responseUrl).pathname;
    await bolt.command('status', { responseUrl, channelId: 'D0PRIVATE' });
    const reply = await bolt.slack.waitFor(path);
    expect(reply.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/No tasks are running/),
    });
    expect(bolt.slack.callsTo('chat.postEphemeral')).toEqual([]);
  });

  it('fall back to chat.postEphemeral when the response_url no longer works', async () => {
    const responseUrl = bolt.slack.responseUrl();
    const path = new URL(responseUrl).pathname;
    bolt.slack.respond(path, () => ({ status: 404, body: 'expired_url' }));
    await bolt.command('status', { responseUrl, channelId: 'C0APPROVALS', userId: 'U0CAROL' });
    const ephemeral = await bolt.slack.waitFor('chat.postEphemeral');
    expect(ephemeral.body).toMatchObject({ channel: 'C0APPROVALS', user: 'U0CAROL' });
  });

  it('fall back to a direct message when an ephemeral message cannot be posted either', async () => {
    const responseUrl = bolt.slack.responseUrl();
    bolt.slack.respond(new URL(responseUrl).pathname, () => ({ status: 404, body: 'expired_url' }));
    bolt.slack.respond('chat.postEphemeral', () => ({ body: { ok: false, error: 'channel_not_found' } }));
    await bolt.command('status', { responseUrl, channelId: 'G0SECRET', userId: 'U0CAROL' });
    const dm = await bolt.slack.waitFor('chat.postMessage', (c) => c.body.channel === 'U0CAROL');
    expect(dm.body.text).toMatch(/No tasks are running/);
  });

  it('never post to a response_url on another host', async () => {
    await bolt.command('status', { responseUrl: 'http://127.0.0.1:9/elsewhere', channelId: 'C0APPROVALS' });
    await bolt.slack.waitFor('chat.postEphemeral');
  });
});
