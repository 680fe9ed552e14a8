import { App, ExpressReceiver, webApi } from '@slack/bolt';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { SlackConfig } from '../config.js';
import { ActionId, ViewId } from './blocks/ids.js';
import type { BotIdentity } from './connection.js';
import { slackGuard } from './guard.js';
import { slackLogger } from './logger.js';
import {
  admit,
  appHomeOpenedSchema,
  appUninstalledSchema,
  functionExecutedSchema,
  type SlackRoutes,
  tokensRevokedSchema,
} from './payloads.js';

/** What Gatehouse's listeners handle: everything else sent to /slack/events is acknowledged at once. */
export const SLACK_ROUTES: SlackRoutes = {
  actions: Object.values(ActionId),
  views: Object.values(ViewId),
  commands: ['/agent'],
  events: {
    app_home_opened: appHomeOpenedSchema,
    function_executed: functionExecutedSchema,
    app_uninstalled: appUninstalledSchema,
    tokens_revoked: tokensRevokedSchema,
  },
};

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

/**
 * The Bolt app: HTTP mode on `expressApp` at /slack/events, or Socket Mode when an app token is set.
 * Bolt is given an `authorize` that never calls Slack, not the token: with a token it checks it
 * (`auth.test`) in its constructor, and a wrong token or an unreachable Slack became an unhandled
 * rejection that stopped the process. `SlackConnection` checks the token instead and fills `identity`.
 */
export function createSlackApp(
  config: SlackConfig,
  logger: Logger,
  expressApp: Express,
  retryConfig: SlackRetryConfig = SLACK_RETRY_CONFIG,
  identity: BotIdentity = {},
  routes: SlackRoutes = SLACK_ROUTES,
): App {
  const clientOptions = {
    slackApiUrl: slackApiUrl(config),
    retryConfig,
    timeout: 10_000,
  };
  const boltLogger = slackLogger(logger);
  const authorize = async () => ({ botToken: config.botToken, ...identity });
  const app = config.appToken
    ? new App({
        authorize,
        appToken: config.appToken,
        socketMode: true,
        clientOptions,
        // The app-level client (apps.connections.open) talks to the same Web API.
        installerOptions: { clientOptions },
        logger: boltLogger,
      })
    : new App({
        authorize,
        receiver: new ExpressReceiver({
          signingSecret: config.signingSecret ?? '',
          endpoints: '/slack/events',
          // Mounted before Bolt's route: signature, shape and route are checked first.
          app: expressApp.use(slackGuard({ signingSecret: config.signingSecret ?? '', routes, logger })),
          logger: boltLogger,
          // A listener that throws before it acknowledged: Slack gets its 200, the error goes to the log.
          processEventErrorHandler: async ({ error, response }) => {
            logger.error({ err: error, component: 'slack' }, 'a Slack listener failed');
            if (!response.headersSent) response.writeHead(200).end();
            return true;
          },
        }),
        clientOptions,
        logger: boltLogger,
      });
  // Without a `token` option Bolt's own client has none; Gatehouse's outgoing calls use this one.
  app.client = new webApi.WebClient(config.botToken, { ...clientOptions, logger: boltLogger });
  // Socket Mode envelopes do not pass the HTTP guard: the same check, before any listener reads them.
  app.use(async ({ body, next, ...rest }) => {
    if (admit(body, routes).pass) return next();
    const ack = (rest as { ack?: () => Promise<void> }).ack;
    await ack?.();
  });
  return app;
}

/** The Web API base URL with the trailing slash the client needs, or undefined for Slack's own. */
export function slackApiUrl(config: Pick<SlackConfig, 'apiUrl'>): string | undefined {
  return config.apiUrl ? `${config.apiUrl.replace(/\/+$/, '')}/` : undefined;
}

/**
 * The client `SlackConnection` checks the token with: no retries of its own, as the connection
 * retries with its own backoff and reports each failure as it comes.
 */
export function createCheckClient(config: SlackConfig, logger: Logger): webApi.WebClient {
  return new webApi.WebClient(config.botToken, {
    slackApiUrl: slackApiUrl(config),
    retryConfig: { retries: 0 },
    timeout: 10_000,
    // Each failed try would be a warning; SlackConnection logs one line per change of state instead.
    logger: slackLogger(logger.child({}, { level: 'error' })),
  });
}
