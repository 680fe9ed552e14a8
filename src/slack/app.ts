import { App, ExpressReceiver } from '@slack/bolt';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { SlackConfig } from '../config.js';
import { slackLogger } from './logger.js';

/** Bolt's WebClient retries a 429 or 5xx only this often, so no notice goes out half an hour stale. */
export const SLACK_RETRY_CONFIG: SlackRetryConfig = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 4000,
  randomize: true,
};

/** How the Web API client retries (the shape of its `retryConfig`). */
export interface SlackRetryConfig {
  retries: number;
  factor?: number;
  minTimeout?: number;
  maxTimeout?: number;
  randomize?: boolean;
}

/** The Bolt app: HTTP mode on `expressApp` at /slack/events, or Socket Mode when an app token is set. */
export function createSlackApp(
  config: SlackConfig,
  logger: Logger,
  expressApp: Express,
  retryConfig: SlackRetryConfig = SLACK_RETRY_CONFIG,
): App {
  const clientOptions = {
    slackApiUrl: slackApiUrl(config),
    retryConfig,
    timeout: 10_000,
  };
  const boltLogger = slackLogger(logger);
  if (config.appToken) {
    return new App({
      token: config.botToken,
      appToken: config.appToken,
      socketMode: true,
      clientOptions,
      // The app-level client (apps.connections.open) talks to the same Web API.
      installerOptions: { clientOptions },
      logger: boltLogger,
    });
  }
  const receiver = new ExpressReceiver({
    signingSecret: config.signingSecret ?? '',
    endpoints: '/slack/events',
    app: expressApp,
    logger: boltLogger,
  });
  return new App({ token: config.botToken, receiver, clientOptions, logger: boltLogger });
}

/** The Web API base URL with the trailing slash the client needs, or undefined for Slack's own. */
export function slackApiUrl(config: Pick<SlackConfig, 'apiUrl'>): string | undefined {
  return config.apiUrl ? `${config.apiUrl.replace(/\/+$/, '')}/` : undefined;
}
