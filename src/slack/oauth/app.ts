import { readFileSync } from 'node:fs';
import { App, ExpressReceiver, type InstallationQuery, webApi } from '@slack/bolt';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { parse } from 'yaml';
import type { SlackOAuthConfig } from '../../config.js';
import type { Store } from '../../store/types.js';
import { SLACK_RETRY_CONFIG, type SlackRetryConfig, slackApiUrl } from '../app.js';
import { type SlackClients, type SlackTeam, teamOf } from '../clients.js';
import { slackLogger } from '../logger.js';
import { type InstallationRecord, installationKey, StoredInstallations } from './installations.js';
import { TeamRoutedClient } from './routed-client.js';
import { TeamDirectory, whereFrom } from './team-directory.js';
import { TeamTokens } from './team-tokens.js';

/** The Bolt app for many workspaces, and how Gatehouse reaches each of them. */
export interface OAuthSlack {
  app: App;
  /** Each team's client, by its installation's (rotated) bot token. */
  clients: SlackClients;
  installations: StoredInstallations;
  /** For alerts: routed per team like `app.client`, but one attempt per call (the AlertManager retries). */
  alertClient: webApi.WebClient;
}

/** Parts of {@link createOAuthSlackApp} besides the configuration. */
export interface OAuthSlackDeps {
  store: Store;
  logger: Logger;
  expressApp: Express;
  retryConfig?: SlackRetryConfig;
  /** The bot scopes asked for at install; default: those in manifest.yml. */
  scopes?: string[];
}

/**
 * HTTP mode for many workspaces: `/slack/install` starts Slack's OAuth flow (the `state` signed
 * with SLACK_STATE_SECRET and bound to the browser by a cookie, both checked by Bolt's
 * installer at `/slack/oauth_redirect`); installations are kept in the store; every incoming
 * request is authorized with its team's token. `app.client` is replaced by a client that sends
 * each call with the token of the team its channel or user is in, so the parts that post on
 * their own (approval messages, task progress, the Home tab) work unchanged.
 */
export function createOAuthSlackApp(config: SlackOAuthConfig, deps: OAuthSlackDeps): OAuthSlack {
  const { store, logger, expressApp, retryConfig = SLACK_RETRY_CONFIG } = deps;
  const clientOptions = { slackApiUrl: slackApiUrl(config), retryConfig, timeout: 10_000 };
  const installations = new StoredInstallations(store.records<InstallationRecord>('slack-installations'), logger);
  const receiver = new ExpressReceiver({
    signingSecret: config.signingSecret,
    endpoints: '/slack/events',
    app: expressApp,
    logger: slackLogger(logger),
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    stateSecret: config.stateSecret,
    installationStore: installations,
    scopes: deps.scopes ?? manifestBotScopes(),
    installerOptions: {
      installPath: '/slack/install',
      redirectUriPath: '/slack/oauth_redirect',
      // oauth.v2.access (install and token refresh) goes to the same Web API as everything else.
      clientOptions,
    },
  });
  const installer = receiver.installer;
  if (!installer)
    throw new Error('Bolt did not set up the OAuth installer: check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET');
  const app = new App({ receiver, clientOptions, logger: slackLogger(logger) });

  const tokens = new TeamTokens((query) => installer.authorize(query));
  const plain = new webApi.WebClient(undefined, clientOptions);
  const directory = new TeamDirectory(
    store.keyv('slack-teams'),
    installations,
    tokens,
    (method, args, token) => plain.apiCall(method, { ...args, token }),
    logger,
  );
  const routing = {
    teamFor: (method: string, args: Record<string, unknown>) => directory.teamFor(method, args),
    token: (team: SlackTeam) => tokens.token(team),
    remember: (kind: 'channel', id: string, team: SlackTeam) => directory.remember(kind, id, team),
  };
  app.client = new TeamRoutedClient(routing, logger, clientOptions);
  const alertClient = new TeamRoutedClient(routing, logger, {
    slackApiUrl: clientOptions.slackApiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: webApi.LogLevel.ERROR,
  });

  // Every signed request says which team its channel and user are in.
  app.use(async ({ body, context, next }) => {
    const team = teamOf(context);
    const { channel, user } = whereFrom(body);
    const learned = [
      channel && directory.remember('channel', channel, team),
      user && directory.remember('user', user, team),
    ];
    void Promise.all(learned).catch((error: unknown) => logger.warn({ err: error }, 'could not remember a Slack team'));
    await next();
  });
  const forget = async (team: SlackTeam, why: string) => {
    await installations.deleteInstallation({
      teamId: team.teamId,
      enterpriseId: team.enterpriseId,
      isEnterpriseInstall: team.isEnterpriseInstall ?? false,
    } as InstallationQuery<boolean>);
    tokens.forget(team);
    logger.info({ teamId: team.teamId, enterpriseId: team.enterpriseId }, `slack ${why}: installation removed`);
  };
  app.event('app_uninstalled', async ({ context }) => forget(teamOf(context), 'app uninstalled'));
  // Gatehouse only holds bot tokens: once those are revoked the installation is of no use.
  app.event('tokens_revoked', async ({ event, context }) => {
    // Read defensively: the event is signed, but its shape is still Slack's to get wrong.
    const bot: unknown = (event as { tokens?: { bot?: unknown } }).tokens?.bot;
    if (Array.isArray(bot) && bot.length > 0) await forget(teamOf(context), 'bot token revoked');
  });

  const clients = new Map<string, { token: string; client: webApi.WebClient }>();
  return {
    app,
    installations,
    alertClient,
    clients: {
      async forTeam(team) {
        const token = await tokens.token(team);
        const key = installationKey(team);
        const known = clients.get(key);
        if (known?.token === token) return known.client;
        const client = new webApi.WebClient(token, clientOptions);
        clients.set(key, { token, client });
        return client;
      },
    },
  };
}

/** The bot scopes manifest.yml declares: the install asks for exactly what the app is set up with. */
export function manifestBotScopes(path = new URL('../../../manifest.yml', import.meta.url)): string[] {
  const manifest = parse(readFileSync(path, 'utf8')) as { oauth_config?: { scopes?: { bot?: unknown } } };
  const scopes = manifest.oauth_config?.scopes?.bot;
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
    throw new Error(`manifest.yml has no oauth_config.scopes.bot list (read from ${path})`);
  }
  return scopes;
}
