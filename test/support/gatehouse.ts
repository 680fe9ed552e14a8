import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { Mailer } from '../../src/email/mailer.js';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse.js';
import { createLogger } from '../../src/logger.js';
import { FakeSlack } from './fake-slack.js';
import { interactiveBody, type PostSlackOptions, postSlack } from './slack-requests.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const API_TOKEN = 'test-api-token-0123456789abcdef';

export interface TestGatehouse {
  gatehouse: Gatehouse;
  url: string;
  slack: FakeSlack | undefined;
  sqliteFile: string;
  /** Calls the API with the bearer token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Sends a payload to /slack/events, signed as Slack does. */
  slackPost(payload: unknown, options?: Omit<PostSlackOptions, 'signingSecret'>): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real Gatehouse on a loopback port with a fresh SQLite file and, unless `slack: false`, Bolt
 * talking to a fake Slack Web API.
 */
export async function startGatehouse(
  options: {
    env?: Record<string, string>;
    slack?: boolean;
    clock?: Clock;
    sqliteFile?: string;
    fakeSlack?: FakeSlack;
  } = {},
): Promise<TestGatehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const sqliteFile = options.sqliteFile ?? join(dir, 'gatehouse.sqlite');
  const slack = options.slack === false ? undefined : (options.fakeSlack ?? (await FakeSlack.start()));
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    STORE_URL: `sqlite://${sqliteFile}`,
    GATEHOUSE_API_TOKEN: API_TOKEN,
    APPROVERS: 'U0ALICE,U0BOB',
    ...(slack
      ? {
          SLACK_BOT_TOKEN: 'xoxb-test-token',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: slack.url,
          SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
        }
      : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const gatehouse = await createGatehouse(config, {
    clock: options.clock,
    logger: createLogger('silent'),
    slackRetryConfig: { retries: 1, minTimeout: 10, maxTimeout: 10 },
    // Owed effects are retried within the test, not minutes later.
    storeOptions: { retry: { minMs: 20, maxMs: 200 }, pollMs: 100 },
    slackConnection: { minDelayMs: 20, maxDelayMs: 200 },
    mailer: config.email
      ? new Mailer({
          smtpUrl: config.email.smtpUrl,
          from: config.email.from,
          retries: 2,
          minTimeoutMs: 10,
          maxTimeoutMs: 20,
        })
      : undefined,
  });
  const url = await gatehouse.start();
  return {
    gatehouse,
    url,
    slack,
    sqliteFile,
    api(path, init = {}) {
      const { json, ...rest } = init;
      return fetch(`${url}${path}`, {
        ...rest,
        method: rest.method ?? (json === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${API_TOKEN}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
          ...(rest.headers as Record<string, string> | undefined),
        },
        body: json === undefined ? rest.body : JSON.stringify(json),
      });
    },
    slackPost(payload, postOptions = {}) {
      return postSlack(url, interactiveBody(payload), { signingSecret: SIGNING_SECRET, ...postOptions });
    },
    async stop() {
      await gatehouse.stop();
      if (!options.fakeSlack) await slack?.close();
      if (!options.sqliteFile) rmSync(dir, { recursive: true, force: true });
    },
  };
}
