import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { ReadinessCheck } from '../http/health.js';
import { SlackAlertPort } from '../slack/alert-port.js';
import { createCheckClient, createSlackApp, type SlackRetryConfig, slackApiUrl } from '../slack/app.js';
import { type BotIdentity, SlackConnection, type SlackStatus } from '../slack/connection.js';
import { SlackUserGroups } from '../slack/user-groups.js';
import type { Store } from '../store/types.js';

/**
 * Slack as configured: one workspace with a bot token (HTTP or Socket Mode, its token checked in
 * the background by a SlackConnection), many through OAuth install, or none — with what the
 * domain gets from it (the alert port, the user-group directory) and its readiness check.
 */
export async function createSlackSurface(
  config: Config,
  parts: {
    store: Store;
    logger: Logger;
    http: Express;
    clock?: Clock;
    retryConfig?: SlackRetryConfig;
    connectionOptions?: { minDelayMs?: number; maxDelayMs?: number; recheckMs?: number };
  },
) {
  const { store, logger, http, clock, retryConfig, connectionOptions } = parts;
  const slackMode: 'http' | 'socket' | 'off' = config.slack
    ? config.slack.appToken
      ? 'socket'
      : 'http'
    : config.slackOAuth
      ? 'http'
      : 'off';
  // Loaded only for many workspaces, so the one-workspace process and the CLI do not load it.
  const oauth = config.slackOAuth
    ? (await import('../slack/oauth/app.js')).createOAuthSlackApp(config.slackOAuth, {
        store,
        logger,
        expressApp: http,
        retryConfig: retryConfig,
      })
    : null;
  const bot: BotIdentity = {};
  const slack = config.slack ? createSlackApp(config.slack, logger, http, retryConfig, bot) : (oauth?.app ?? null);
  const connection =
    slack && config.slack
      ? new SlackConnection({
          client: createCheckClient(config.slack, logger),
          logger,
          identity: bot,
          apiUrl: slackApiUrl(config.slack) ?? 'https://slack.com/api/',
          connect: slackMode === 'socket' ? () => slack.start() : undefined,
          clock: clock,
          ...connectionOptions,
        })
      : null;
  const status = (): SlackStatus => connection?.status() ?? { state: 'off', detail: 'SLACK_BOT_TOKEN is not set' };

  const readiness: ReadinessCheck[] = connection
    ? [
        {
          name: 'slack',
          check: async () => {
            const { state, detail } = status();
            return { ok: state === 'ok', detail: `${state}: ${detail}` };
          },
        },
      ]
    : [];
  return {
    mode: slackMode,
    oauth,
    slack,
    connection,
    status,
    readiness,
    alertPort: config.slack
      ? new SlackAlertPort({ token: config.slack.botToken, slackApiUrl: slackApiUrl(config.slack) })
      : oauth
        ? new SlackAlertPort({ client: oauth.alertClient })
        : undefined,
    directory: slack
      ? new SlackUserGroups({ client: slack.client, cache: store.keyv('slack-user-groups'), logger })
      : undefined,
  };
}
