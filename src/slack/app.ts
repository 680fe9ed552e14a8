import { App, ExpressReceiver } from '@slack/bolt';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { SlackConfig } from '../config.js';
import { slackLogger } from './logger.js';

/** Bolt's WebClient retries a 429 or 5xx only this often, so no notice goes out half an hour stale. */
const RETRY_CONFIG = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000, randomize: true };

/** The Bolt app: HTTP mode on `expressApp` at /slack/events, or Socket Mode when an app token is set. */
export function createSlackApp(config: SlackConfig, logger: Logger, expressApp: Express): App {
  const clientOptions = {
    slackApiUrl: config.apiUrl ? `${config.apiUrl.replace(/\/+$/, '')}/` : undefined,
    retryConfig: RETRY_CONFIG,
    timeout: 10_000,
  };
  const boltLogger = slackLogger(logger);
  if (config.appToken) {
    return new App({
      token: config.botToken,
      appToken: config.appToken,
      socketMode: true,
      clientOptions,
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
