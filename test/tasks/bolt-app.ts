import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver, LogLevel } from '@slack/bolt';
import { FakeSlack } from '../support/fake-slack.js';
import { commandBody, postSlack, type SlashCommandOptions, slashCommandPayload } from '../support/slack-requests.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';

/** A Bolt app in HTTP mode on a loopback port, its Web API client pointed at a FakeSlack. */
export interface TestBolt {
  app: App;
  url: string;
  slack: FakeSlack;
  /** Sends `/agent <text>` signed as Slack does; resolves with the response and how long it took. */
  command(text: string, options?: SlashCommandOptions): Promise<{ response: Response; ms: number }>;
  /** Sends an Events API callback (JSON) signed as Slack does. */
  event(event: Record<string, unknown>): Promise<Response>;
  close(): Promise<void>;
}

export async function startBolt(): Promise<TestBolt> {
  const slack = await FakeSlack.start();
  const receiver = new ExpressReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events' });
  const app = new App({
    token: 'xoxb-test-token',
    receiver,
    clientOptions: { slackApiUrl: slack.url, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
  });
  const server: Server = createServer(receiver.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let seq = 0;
  return {
    app,
    url,
    slack,
    async command(text, options = {}) {
      const started = Date.now();
      const body = commandBody(slashCommandPayload({ text, ...options }) as unknown as Record<string, string>);
      const response = await postSlack(url, body, { signingSecret: SIGNING_SECRET });
      return { response, ms: Date.now() - started };
    },
    event(event) {
      const body = JSON.stringify({
        token: 'verification-token',
        team_id: 'T0TEST',
        api_app_id: 'A0GATEHOUSE',
        event,
        type: 'event_callback',
        event_id: `Ev${String(++seq).padStart(8, '0')}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
      });
      return postSlack(url, body, { signingSecret: SIGNING_SECRET, contentType: 'application/json' });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await slack.close();
    },
  };
}
