import net from 'node:net';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateLimitedError, UnreachableError } from '../../src/alerts/ports.js';
import type { AlertRecord } from '../../src/alerts/types.js';
import { SlackAlertPort } from '../../src/slack/alert-port.js';
import { alertRecord as baseRecord } from '../support/alert-record.js';
import { FakeSlack } from '../support/fake-slack.js';

const alertRecord = (overrides: Partial<AlertRecord> = {}) =>
  baseRecord({
    error: 'Error: connect ECONNRESET',
    ...overrides,
  });

let fake: FakeSlack;
let port: SlackAlertPort;

beforeEach(async () => {
  fake = await FakeSlack.start();
  port = new SlackAlertPort({ token: 'xoxb-test', slackApiUrl: fake.url, timeoutMs: 2000 });
});

afterEach(async () => {
  await fake.close();
});

/** Resolves with what the promise rejected with; fails the test when it resolved. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(outcome)}`);
  return outcome;
}

describe('SlackAlertPort.post', () => {
  it('posts the alert to the channel with its text, header and coloured details', async () => {
    const ref = await port.post('C0ALERTS', alertRecord());

    expect(ref).toEqual({ channel: 'C0ALERTS', ts: '1700000000.000100' });
    const [call] = fake.callsTo('chat.postMessage');
    expect(call?.token).toBe('xoxb-test');
    expect(call?.body.channel).toBe('C0ALERTS');
    expect(call?.body.text).toBe('🔴 Task campaign-42 failed at stage launch');
    expect(call?.body.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: '🔴 Task campaign-42 failed at stage launch' },
    });
    expect(call?.body.attachments).toHaveLength(1);
    expect(call?.body.attachments[0].color).toBe('#E01E5A');
    expect(call?.body.attachments[0].blocks.map((b: { block_id: string }) => b.block_id)).toContain(
      'gatehouse_alert_error',
    );
    expect(call?.body.thread_ts).toBeUndefined();
  });

  it('replies in a thread when given its ts', async () => {
    const ref = await port.post('C0APPROVE', alertRecord(), { threadTs: '1699999999.000100' });

    expect(ref.channel).toBe('C0APPROVE');
    const call = await fake.waitFor('chat.postMessage');
    expect(call.body.thread_ts).toBe('1699999999.000100');
  });

  it('works over an injected client', async () => {
    const client = new webApi.WebClient('xoxb-other', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    await new SlackAlertPort({ client }).post('C0ALERTS', alertRecord());
    expect(fake.callsTo('chat.postMessage')[0]?.token).toBe('xoxb-other');
  });

  it('turns a 429 into RateLimitedError with the Retry-After, after exactly one request', async () => {
    fake.respond('chat.postMessage', () => ({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { ok: false, error: 'ratelimited' },
    }));

    const error = await rejection(port.post('C0ALERTS', alertRecord()));

    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(7000);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('turns an HTTP 500 into UnreachableError, after exactly one request', async () => {
    fake.failNext('chat.postMessage', 1);

    const error = await rejection(port.post('C0ALERTS', alertRecord()));

    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toContain('HTTP 500');
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('turns a dropped connection into UnreachableError', async () => {
    fake.down();

    const error = await rejection(port.post('C0ALERTS', alertRecord()));

    expect(error).toBeInstanceOf(UnreachableError);
    expect(fake.refused).toBe(1);
  });

  it('turns a request that times out into UnreachableError', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port: silentPort } = silent.address() as net.AddressInfo;
    try {
      const slow = new SlackAlertPort({
        token: 'xoxb-test',
        slackApiUrl: `http://127.0.0.1:${silentPort}/api/`,
        timeoutMs: 100,
      });
      const error = await rejection(slow.post('C0ALERTS', alertRecord()));
      expect(error).toBeInstanceOf(UnreachableError);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it.each(['internal_error', 'service_unavailable'])('treats Slack’s own %s as unreachable', async (code) => {
    fake.respond('chat.postMessage', () => ({ body: { ok: false, error: code } }));
    const error = await rejection(port.post('C0ALERTS', alertRecord()));
    expect(error).toBeInstanceOf(UnreachableError);
  });

  it.each(['channel_not_found', 'not_in_channel'])('rethrows %s as a plain error naming it', async (code) => {
    fake.respond('chat.postMessage', () => ({ body: { ok: false, error: code } }));

    const error = await rejection(port.post('C0GONE', alertRecord()));

    expect(error).not.toBeInstanceOf(UnreachableError);
    expect(error).not.toBeInstanceOf(RateLimitedError);
    expect(error.message).toContain(code);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('SlackAlertPort.update', () => {
  it('rewrites the message in place with chat.update', async () => {
    const storm = alertRecord({ count: 12, lastSeen: '2024-05-01T10:05:00.000Z' });

    await port.update({ channel: 'C0ALERTS', ts: '1700000000.000100' }, storm);

    const call = await fake.waitFor('chat.update');
    expect(call.body.channel).toBe('C0ALERTS');
    expect(call.body.ts).toBe('1700000000.000100');
    expect(call.body.text).toBe('🔴 Task campaign-42 failed at stage launch (×12)');
    const stormLine = call.body.attachments[0].blocks.find(
      (b: { block_id: string }) => b.block_id === 'gatehouse_alert_storm',
    );
    expect(stormLine.elements[0].text).toMatch(/^⚠️ failed 12 times in 5 min · last at <!date\^/);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('maps update errors the same way', async () => {
    fake.respond('chat.update', () => ({ status: 429, headers: { 'retry-after': '3' }, body: { ok: false } }));
    const limited = await rejection(port.update({ channel: 'C0ALERTS', ts: '1.2' }, alertRecord()));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(3000);

    fake.respond('chat.update', () => ({ body: { ok: false, error: 'message_not_found' } }));
    const gone = await rejection(port.update({ channel: 'C0ALERTS', ts: '1.2' }, alertRecord()));
    expect(gone.message).toContain('message_not_found');
    expect(fake.callsTo('chat.update')).toHaveLength(2);
  });
});
