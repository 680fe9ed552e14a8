import { Writable } from 'node:stream';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { type BotIdentity, SlackConnection } from '../../src/slack/connection.js';
import { FakeSlack } from '../support/fake-slack.js';
import { ManualClock } from '../support/manual-clock.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => slack.reset());

/** A logger writing JSON lines into `lines`. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string; slack?: string }> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

function connection(options: { connect?: () => Promise<unknown> } = {}) {
  const clock = new ManualClock();
  const { lines, logger } = recordingLogger();
  const identity: BotIdentity = {};
  const client = new webApi.WebClient('xoxb-test-token', {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
    logLevel: webApi.LogLevel.ERROR,
  });
  const watched = new SlackConnection({
    client,
    logger,
    identity,
    clock,
    apiUrl: slack.url,
    minDelayMs: 1000,
    maxDelayMs: 8000,
    recheckMs: 60_000,
    ...options,
  });
  return { clock, lines, identity, watched };
}

const authTests = () => slack.callsTo('auth.test').length;

describe('SlackConnection', () => {
  it('is ok once auth.test answers, and knows who the bot is', async () => {
    const { watched, identity, lines } = connection();
    expect(await watched.start()).toEqual({ state: 'ok', detail: 'connected (team T0TEST)' });
    expect(identity).toEqual({ botId: 'B0BOT', botUserId: 'U0BOT', teamId: 'T0TEST' });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    watched.stop();
  });

  it('a refused token is invalid_auth, logged once with the variable and the fix, and retried with backoff', async () => {
    slack.respond('auth.test', () => ({ body: { ok: false, error: 'invalid_auth' } }));
    const { watched, clock, lines } = connection();
    const status = await watched.start();
    expect(status.state).toBe('invalid_auth');
    expect(status.detail).toContain('SLACK_BOT_TOKEN');
    await clock.advance(999);
    expect(authTests()).toBe(1);
    await clock.advance(1);
    expect(authTests()).toBe(2);
    await clock.advance(2000);
    expect(authTests()).toBe(3);
    await clock.advance(4000 + 8000 + 8000);
    expect(authTests()).toBe(6); // capped at 8 s
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/);
    expect(errors[0]?.msg).toMatch(/OAuth & Permissions/);
    expect(errors[0]?.msg).toMatch(/the API, e-mail and the store keep working/);
    expect(errors[0]?.msg).not.toContain('xoxb-test-token');
    watched.stop();
  });

  it('an unreachable Slack is down, and ok again once it answers', async () => {
    slack.down();
    const { watched, clock, lines } = connection();
    const status = await watched.start();
    expect(status.state).toBe('down');
    expect(status.detail).toContain(slack.url);
    slack.up();
    await clock.advance(1000);
    await expect.poll(() => watched.status().state).toBe('ok');
    expect(lines.filter((l) => l.level >= 50)).toHaveLength(1);
    expect(lines.at(-1)?.msg).toMatch(/reachable/);
    watched.stop();
  });

  it('notices a token revoked later, at the next recheck', async () => {
    const { watched, clock } = connection();
    await watched.start();
    slack.respond('auth.test', () => ({ body: { ok: false, error: 'token_revoked' } }));
    await clock.advance(60_000);
    await expect.poll(() => watched.status().state).toBe('invalid_auth');
    watched.stop();
  });

  it('a Socket Mode connection that fails names SLACK_APP_TOKEN and is retried', async () => {
    let tries = 0;
    const { watched, clock } = connection({
      connect: async () => {
        tries += 1;
        if (tries === 1) throw Object.assign(new Error('refused'), { data: { error: 'invalid_auth' } });
      },
    });
    const status = await watched.start();
    expect(status).toMatchObject({ state: 'invalid_auth', detail: expect.stringContaining('SLACK_APP_TOKEN') });
    await clock.advance(1000);
    await expect.poll(() => watched.status().state).toBe('ok');
    expect(watched.socketOpen).toBe(true);
    watched.stop();
  });

  it('stops retrying when stopped', async () => {
    slack.down();
    const { watched, clock } = connection();
    await watched.start();
    watched.stop();
    expect(clock.pending).toBe(0);
  });
});
