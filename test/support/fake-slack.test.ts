import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel as BoltLogLevel, verifySlackRequest } from '@slack/bolt';
import { ErrorCode, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.js';
import {
  blockActionsPayload,
  commandBody,
  interactiveBody,
  postSlack,
  signSlackRequest,
  slashCommandPayload,
  viewSubmissionPayload,
} from './slack-requests.js';

const fast = { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 10 };

let fake: FakeSlack;
beforeEach(async () => {
  fake = await FakeSlack.start();
});
afterEach(async () => {
  await fake.close();
});

function client(options: WebClientOptions = {}): WebClient {
  return new WebClient('xoxb-test', { slackApiUrl: fake.url, logLevel: LogLevel.ERROR, retryConfig: fast, ...options });
}

describe('FakeSlack with the real WebClient', () => {
  it('records chat.postMessage with the token and decoded blocks, and replies like Slack', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy?*' } }];
    const first = await client().chat.postMessage({ channel: 'C0APPROVALS', text: 'Deploy?', blocks });
    const second = await client().chat.postMessage({ channel: 'C0APPROVALS', text: 'again' });

    const [call] = fake.callsTo('chat.postMessage');
    expect(call?.token).toBe('xoxb-test');
    expect(call?.body).toMatchObject({ channel: 'C0APPROVALS', text: 'Deploy?', blocks });
    expect(first).toMatchObject({ ok: true, channel: 'C0APPROVALS', ts: '1700000000.000100' });
    expect(first.message).toMatchObject({ text: 'Deploy?', blocks, user: 'U0BOT', bot_id: 'B0BOT' });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
  });

  it('records a per-call token and answers users.info and views.open with shaped defaults', async () => {
    const user = await client().users.info({ user: 'U0ALICE', token: 'xoxb-other' });
    const view = {
      type: 'modal' as const,
      callback_id: 'reject',
      title: { type: 'plain_text' as const, text: 'Why?' },
      blocks: [
        {
          type: 'input' as const,
          label: { type: 'plain_text' as const, text: 'Reason' },
          element: { type: 'plain_text_input' as const },
        },
      ],
    };
    const opened = await client().views.open({ trigger_id: '1.2.3', view });

    expect(fake.callsTo('users.info')[0]?.token).toBe('xoxb-other');
    expect(user.user?.profile?.email).toBe('U0ALICE@example.com');
    expect(opened.view).toMatchObject({ callback_id: 'reject', id: expect.stringMatching(/^V/) });
    expect(fake.callsTo('views.open')[0]?.body.view).toEqual(view);
  });

  it('lets a test override replies, and records methods it does not know', async () => {
    fake.respond('chat.update', () => ({ body: { ok: false, error: 'message_not_found' } }));
    await expect(client().chat.update({ channel: 'C1', ts: '1.2', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'message_not_found' },
    });
    fake.respond('*', (call) => (call.method === 'team.info' ? { body: { ok: true, team: { id: 'T9' } } } : undefined));
    await expect(client().team.info()).resolves.toMatchObject({ team: { id: 'T9' } });
    await client().apiCall('admin.something.new', { flag: true });
    expect(fake.callsTo('admin.something.new')[0]?.body).toEqual({ flag: 'true' });
  });

  it('serves failNext 500s that the client retries through', async () => {
    fake.failNext('chat.postMessage', 2);
    const result = await client().chat.postMessage({ channel: 'C1', text: 'hi' });
    expect(result.ok).toBe(true);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(3);
  });

  it('gives up when failures outlast the retries', async () => {
    fake.failNext('chat.postMessage', 3);
    await expect(client().chat.postMessage({ channel: 'C1', text: 'hi' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 500,
    });
  });

  it('serves 429 with retry-after, surfaced when rate-limited calls are rejected', async () => {
    fake.failNext('chat.postMessage', 1, {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { ok: false, error: 'ratelimited' },
    });
    await expect(
      client({ rejectRateLimitedCalls: true }).chat.postMessage({ channel: 'C1', text: 'hi' }),
    ).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 });
  });

  it('is unreachable while down and reachable again after up', async () => {
    fake.down();
    await expect(client({ retryConfig: { retries: 0 } }).auth.test()).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(fake.calls).toHaveLength(0);
    expect(fake.refused).toBe(1);

    fake.up();
    await expect(client().auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U0BOT', team_id: 'T0TEST' });
  });

  it('waitFor resolves for a call that arrives later, matching the predicate', async () => {
    const waiting = fake.waitFor('chat.postMessage', (call) => call.body.channel === 'C2');
    await client().chat.postMessage({ channel: 'C1', text: 'one' });
    await client().chat.postMessage({ channel: 'C2', text: 'two' });
    await expect(waiting).resolves.toMatchObject({ body: { text: 'two' } });
    await expect(fake.waitFor('chat.postMessage')).resolves.toMatchObject({ body: { text: 'one' } });
  });

  it('waitFor rejects on timeout, naming the methods it saw', async () => {
    await client().auth.test();
    await client().auth.test();
    await expect(fake.waitFor('chat.update', undefined, 30)).rejects.toThrow(
      "FakeSlack.waitFor('chat.update') timed out after 30 ms; seen: auth.test ×2",
    );
  });

  it('reset forgets calls and overrides', async () => {
    fake.failNext('auth.test', 5);
    fake.reset();
    await expect(client().auth.test()).resolves.toMatchObject({ ok: true });
    expect(fake.calls.map((call) => call.method)).toEqual(['auth.test']);
  });
});

describe('signSlackRequest', () => {
  it('matches an independently computed v0 HMAC', () => {
    const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    const expected = createHmac('sha256', 's3cret').update(`v0:1700000000:${body}`).digest('hex');
    expect(signSlackRequest(body, 's3cret', 1700000000)).toEqual({
      'x-slack-signature': `v0=${expected}`,
      'x-slack-request-timestamp': '1700000000',
    });
  });

  it("matches the example in Slack's documentation", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
      '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = signSlackRequest(body, '8f742231b10e8888abcd99yyyzzz85a5', 1531420618);
    expect(headers['x-slack-signature']).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it("passes Bolt's own verification", () => {
    const body = interactiveBody(blockActionsPayload({ actionId: 'approve' }));
    const signed = signSlackRequest(body, 'secret');
    const headers = { ...signed, 'x-slack-request-timestamp': Number(signed['x-slack-request-timestamp']) };
    expect(() => verifySlackRequest({ signingSecret: 'secret', body, headers })).not.toThrow();
  });
});

describe('payloads through a real Bolt app', () => {
  const signingSecret = 'bolt-secret';
  let app: App;
  let base: string;

  beforeEach(async () => {
    app = new App({
      token: 'xoxb-test',
      signingSecret,
      clientOptions: { slackApiUrl: fake.url, retryConfig: fast },
      logLevel: BoltLogLevel.ERROR,
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await app.stop();
  });

  it('routes a button click, whose handler can then call the fake', async () => {
    app.action('approve', async ({ ack, body, action, client }) => {
      await ack();
      if (body.type !== 'block_actions' || action.type !== 'button') return;
      await client.chat.update({
        channel: body.channel?.id ?? '',
        ts: body.message?.ts ?? '',
        text: action.value ?? '',
      });
    });
    const payload = blockActionsPayload({ actionId: 'approve', value: 'req-1', overrides: { user: { id: 'U0BOB' } } });
    expect(payload.user).toMatchObject({ id: 'U0BOB', username: 'alice' });

    const res = await postSlack(base, interactiveBody(payload), { signingSecret });
    expect(res.status).toBe(200);
    const update = await fake.waitFor('chat.update');
    expect(update.body).toMatchObject({ channel: 'C0APPROVALS', ts: '1700000000.000100', text: 'req-1' });
  });

  it('routes a modal submission with its state values', async () => {
    let seen: unknown;
    app.view('reject', async ({ ack, view }) => {
      seen = { metadata: view.private_metadata, reason: view.state.values.reason?.text?.value };
      await ack();
    });
    const payload = viewSubmissionPayload({
      callbackId: 'reject',
      privateMetadata: 'req-1',
      values: { reason: { text: 'too risky' } },
    });
    const res = await postSlack(base, interactiveBody(payload), { signingSecret });
    expect(res.status).toBe(200);
    expect(seen).toEqual({ metadata: 'req-1', reason: 'too risky' });
  });

  it('routes a slash command and refuses a forged signature', async () => {
    let text: string | undefined;
    app.command('/agent', async ({ ack, command }) => {
      text = command.text;
      await ack();
    });
    const body = commandBody(slashCommandPayload({ text: 'status t-1' }));
    expect((await postSlack(base, body, { signingSecret, signature: 'v0=forged' })).status).toBe(401);
    expect(text).toBeUndefined();
    expect((await postSlack(base, body, { signingSecret, retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    expect(text).toBe('status t-1');
  });
});
