import { createHmac } from 'node:crypto';
import { type App, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AuditLog } from '../approvals/audit.js';
import type { CallbackSender } from '../approvals/callbacks.js';
import type { ApprovalGate } from '../approvals/gate.js';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config.js';
import type { Mailer } from '../email/mailer.js';
import type { ListQueries } from '../http/lists.js';
import type { Store, Versioned } from '../store/types.js';
import type { AgentRegistry, TaskService } from '../tasks/index.js';
import { type KnownPerson, type SlackOpenId, webApp } from '../web/index.js';

/** Namespace of used sign-in link nonces. */
export const SIGNIN_LINKS_NAMESPACE = 'web-signin-links';

/** Slack's OpenID Connect through the same Web API base URL as the bot (tests: the fake). */
function slackOpenId(config: Config): SlackOpenId | undefined {
  const { slackClientId, slackClientSecret } = config.web;
  if (!slackClientId || !slackClientSecret) return undefined;
  const apiUrl = config.slack?.apiUrl ? `${config.slack.apiUrl.replace(/\/+$/, '')}/` : 'https://slack.com/api/';
  const client = new webApi.WebClient(undefined, { slackApiUrl: apiUrl, retryConfig: { retries: 1 } });
  return {
    clientId: slackClientId,
    clientSecret: slackClientSecret,
    authorizeUrl: new URL('../openid/connect/authorize', apiUrl).toString(),
    async token({ code, redirectUri }) {
      const answer = await client.openid.connect.token({
        client_id: slackClientId,
        client_secret: slackClientSecret,
        code,
        redirect_uri: redirectUri,
      });
      if (!answer.access_token) throw new Error('openid.connect.token gave no access token');
      return { accessToken: answer.access_token };
    },
    async userInfo(accessToken) {
      const info = await client.openid.connect.userInfo({ token: accessToken });
      const userId = info['https://slack.com/user_id'];
      if (!userId) throw new Error('openid.connect.userInfo gave no user id');
      return { userId, name: info.name ?? userId, email: info.email ?? null };
    },
  };
}

/** An address's approver: APPROVER_EMAILS first, then Slack's users.lookupByEmail when Slack is on. */
function emailLookup(config: Config, slack: App | null) {
  return async (email: string): Promise<KnownPerson | null> => {
    const mapped = config.web.approverEmails[email];
    if (mapped) return { userId: mapped, name: email };
    if (!slack) return null;
    try {
      const { user } = await slack.client.users.lookupByEmail({ email });
      if (!user?.id || user.deleted || user.is_bot) return null;
      return { userId: user.id, name: user.real_name || user.profile?.real_name || user.name || user.id };
    } catch (error) {
      if ((error as { data?: { error?: string } }).data?.error === 'users_not_found') return null;
      throw error;
    }
  };
}

/** The web app, wired to the gate, the queries and the task service the API uses. */
export function createWebSurface(parts: {
  config: Config;
  store: Store;
  gate: ApprovalGate;
  audit: AuditLog;
  callbacks: CallbackSender;
  tasks: TaskService;
  registry: AgentRegistry;
  queries: ListQueries;
  slack: App | null;
  mailer: Mailer | null;
  /** The store's long-lived link key; the web's own key is derived from it. */
  linkSecret: string;
  logger: Logger;
  clock?: Clock;
  shutdown: AbortSignal;
}) {
  const { config, store, gate, audit, callbacks, tasks, registry, queries, slack, mailer, logger } = parts;
  const clock = parts.clock ?? systemClock;
  return webApp({
    gate,
    queries,
    audit,
    deliveries: (id) => callbacks.deliveries(id),
    tasks,
    agents: () => registry.list(),
    apiToken: config.apiToken,
    publicUrl: config.publicUrl,
    secret: createHmac('sha256', parts.linkSecret).update('gatehouse web sessions').digest('base64url'),
    now: () => clock.now(),
    logger,
    shutdown: parts.shutdown,
    signIn: {
      send: mailer ? (message) => mailer.send(message) : undefined,
      lookup: emailLookup(config, slack),
      usedLinks: store.records<Versioned & { usedAt: string }>(SIGNIN_LINKS_NAMESPACE),
      slack: slackOpenId(config),
    },
  });
}
