import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { alertIndexes } from './alerts/groups.js';
import { AlertManager } from './alerts/manager.js';
import { loadRoutesFile } from './alerts/routes-file.js';
import { createRouter } from './alerts/routing.js';
import type { AlertRecord } from './alerts/types.js';
import { AuditLog } from './approvals/audit.js';
import { CallbackSender, type CallbackSenderOptions } from './approvals/callbacks.js';
import { ApprovalGate } from './approvals/gate.js';
import type { Clock } from './clock.js';
import { type Config, describeConfig } from './config.js';
import { EmailAlertPort } from './email/alert-port.js';
import { resolveLinkSecret } from './email/links.js';
import { Mailer } from './email/mailer.js';
import { decisionPages } from './http/decision-pages.js';
import type { ListQueries } from './http/lists.js';
import { createHttpApp, mountHttp } from './http/server.js';
import { createLogger } from './logger.js';
import type { SlackRetryConfig } from './slack/app.js';
import { singleTokenClients } from './slack/clients.js';
import type { SlackStatus } from './slack/connection.js';
import { registerListeners } from './slack/listeners/index.js';
import { createSlackPlatform } from './slack/platform.js';
import { createStore } from './store/index.js';
import type { Store, StoreOptions } from './store/types.js';
import type { AgentRegistry, TaskService } from './tasks/index.js';
import { approvalNotifier } from './wiring/notifier.js';
import { createListQueries } from './wiring/queries.js';
import { createSlackSurface } from './wiring/slack.js';
import { createTasks } from './wiring/tasks.js';
import { createWebSurface } from './wiring/web.js';

/** Parts a caller (a test, a benchmark, an embedding app) may hand in instead of the defaults. */
export interface GatehouseDeps {
  store?: Store;
  /** Options of the store opened from STORE_URL (tests shorten the effects' backoff). */
  storeOptions?: Omit<StoreOptions, 'onError' | 'clock'>;
  logger?: Logger;
  clock?: Clock;
  /** Callback retry timing (tests shorten it). */
  callbackOptions?: Pick<CallbackSenderOptions, 'retries' | 'minDelayMs' | 'maxDelayMs' | 'sleep'>;
  /** The e-mail sender, when e-mail is configured (tests shorten its retries). */
  mailer?: Mailer;
  /** How hard the Slack client retries before a request counts as failed (tests shorten it). */
  slackRetryConfig?: SlackRetryConfig;
  /** Backoff of the Slack token check and Socket Mode connection (tests shorten it). */
  slackConnection?: { minDelayMs?: number; maxDelayMs?: number; recheckMs?: number };
}

/** A wired Gatehouse: the gate for in-process agents, the HTTP server, Slack when configured. */
export interface Gatehouse {
  gate: ApprovalGate;
  alerts: AlertManager;
  audit: AuditLog;
  callbacks: CallbackSender;
  tasks: TaskService;
  registry: AgentRegistry;
  /** The read side of lists and the dashboard (API and web app). */
  queries: ListQueries;
  store: Store;
  slack: App | null;
  logger: Logger;
  /** Slack's real state: `off` without a token, else what the last check found. */
  slackStatus(): SlackStatus;
  /** Re-arms stored deadlines, listens, connects Socket Mode; resolves to the base URL. */
  start(): Promise<string>;
  /** Stops accepting, answers open long-polls, disarms timers, closes the store. */
  stop(): Promise<void>;
}

const SLACK_OFF_HINT =
  'Slack is off: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_APPROVALS_CHANNEL (create the app from manifest.yml, see README) to post approvals to Slack. The HTTP API works without it.';

/** Wiring only: store → gate → surfaces. */
export async function createGatehouse(config: Config, deps: GatehouseDeps = {}): Promise<Gatehouse> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const store =
    deps.store ??
    (await createStore(config.storeUrl, {
      leaseMs: config.effectLeaseSeconds * 1000,
      ...deps.storeOptions,
      onError: (err) => logger.error({ err }, 'store error'),
      clock: deps.clock,
    }));
  const shutdown = new AbortController();
  const http = createHttpApp();
  const surface = await createSlackSurface(config, {
    store,
    logger,
    http,
    clock: deps.clock,
    retryConfig: deps.slackRetryConfig,
    connectionOptions: deps.slackConnection,
  });
  const { mode: slackMode, oauth, slack, connection, status: slackStatus } = surface;

  const mailer = config.email
    ? (deps.mailer ?? new Mailer({ smtpUrl: config.email.smtpUrl, from: config.email.from }))
    : null;
  const linkSecret = await resolveLinkSecret(store, config);
  // Without PUBLIC_URL, links follow the port the server really got (PORT=0 picks one at start).
  let publicUrl = config.publicUrl;
  const currentPublicUrl = () => publicUrl;

  const gate = new ApprovalGate({
    store,
    notifier: approvalNotifier({
      config,
      slack,
      mailer,
      linkSecret,
      publicUrl: currentPublicUrl,
      store,
      logger,
      clock: deps.clock,
      // A task's approvals go in the thread of its progress message.
      threadFor: (taskId) => taskSurface.tasks.threadForTask(taskId),
    }),
    clock: deps.clock,
    logger,
    defaultApprovers: config.approvers,
    allowAnyApprover: config.allowAnyApprover,
    directory: surface.directory,
    defaultChannel: config.channels.approvals,
    defaultTimeoutSeconds: config.approvalTimeoutSeconds,
    defaults: config.approvalLadder,
  });
  const audit = new AuditLog({ store, clock: deps.clock, logger });
  audit.attach();
  const callbacks = new CallbackSender({
    store,
    secret: config.callbackSecret ?? linkSecret,
    clock: deps.clock,
    logger,
    ...deps.callbackOptions,
  });
  callbacks.attach(gate);

  const alerts = new AlertManager({
    store: store.records<AlertRecord>('alerts', alertIndexes),
    effects: store.effects,
    deliveryHorizonSeconds: config.alerts.deliveryHorizonSeconds,
    // The shared limit keeps real time; with an injected clock the in-process pacer (which follows
    // that clock) paces alone. A fifth of a second of margin: the limit is taken when a post starts,
    // and posts from two instances can take unequal times to reach Slack.
    sharedPace: deps.clock ? undefined : store.rateLimit('slack-posts', { points: 1, durationMs: 1200 }),
    slack: surface.alertPort,
    email: mailer ? new EmailAlertPort({ mailer, publicUrl: currentPublicUrl }) : undefined,
    routing: createRouter({
      channels: config.channels,
      email: config.email,
      routes: config.alerts.routesFile ? await loadRoutesFile(config.alerts.routesFile) : undefined,
    }),
    // Follow-ups about a task go in the thread of its progress or approval message too.
    threadFor: (taskId) => taskSurface.threadFor(taskId),
    clock: deps.clock,
    logger,
    dedupWindowSeconds: config.alerts.dedupWindowSeconds,
    digest: { historyUrl: () => `${currentPublicUrl()}/api/v1/alerts` },
    costWarningPercent: config.alerts.costWarningPercent,
    emailFallbackSeconds: config.alerts.emailFallbackSeconds,
  });

  const taskSurface = createTasks({
    config,
    store,
    approvals: gate.records,
    gate,
    alerts,
    slack,
    logger,
    clock: deps.clock,
  });
  if (slack) registerListeners(slack, { gate, logger });
  const platform = slack
    ? createSlackPlatform(slack, {
        gate,
        store,
        clients: oauth?.clients ?? singleTokenClients(slack.client),
        logger,
        clock: deps.clock,
      })
    : null;
  const queries = createListQueries({ store, tasks: taskSurface.tasks, alerts, clock: deps.clock });
  mountHttp(http, {
    queries,
    gate,
    alerts,
    audit,
    callbacks,
    tasks: taskSurface.tasks,
    store,
    logger,
    apiToken: config.apiToken,
    slack: slackMode,
    shutdown: shutdown.signal,
    slackStatus,
    readiness: surface.readiness,
  });
  http.use(
    '/decisions',
    decisionPages({ gate, store, secret: linkSecret, publicUrl: currentPublicUrl, logger, clock: deps.clock }),
  );
  // The web app answers everything the routes above did not.
  http.use(
    createWebSurface({
      tasks: taskSurface.tasks,
      registry: taskSurface.registry,
      config,
      store,
      gate,
      audit,
      callbacks,
      queries,
      slack,
      mailer,
      linkSecret,
      logger,
      clock: deps.clock,
      shutdown: shutdown.signal,
    }),
  );

  let server: Server | undefined;
  return {
    gate,
    alerts,
    audit,
    callbacks,
    tasks: taskSurface.tasks,
    registry: taskSurface.registry,
    queries,
    store,
    slack,
    logger,
    slackStatus,
    async start() {
      await platform?.start();
      await gate.start();
      await alerts.start();
      await callbacks.start();
      await taskSurface.start();
      server = createServer(http);
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject).listen(config.port, config.host, () => resolve());
      });
      // Checked in the background: a wrong token or an unreachable Slack is logged and retried, never fatal.
      void connection?.start();
      const { port } = server.address() as AddressInfo;
      if (!config.publicUrlConfigured) publicUrl = `http://localhost:${port}`;
      logger.info({ ...describeConfig(config), publicUrl }, `Gatehouse listening on ${config.host}:${port}`);
      if (!slack) logger.warn(SLACK_OFF_HINT);
      if (config.approvers.length === 0 && !config.allowAnyApprover) {
        logger.warn(
          'APPROVERS is empty: nobody may decide a request that names no approvers. Set APPROVERS to Slack user or user-group ids (or ALLOW_ANY_APPROVER=true to let anyone decide)',
        );
      }
      if (config.approvers.length === 0 && config.allowAnyApprover) {
        logger.warn('ALLOW_ANY_APPROVER=true and APPROVERS is empty: anyone who sees a request may decide it');
      }
      return `http://127.0.0.1:${port}`;
    },
    async stop() {
      shutdown.abort();
      gate.stop();
      platform?.stop();
      alerts.stop();
      await callbacks.stop();
      if (server) {
        const closed = new Promise((resolve) => server?.close(resolve));
        // Keep-alive connections are closed as soon as their last answer (a long-poll's) is out.
        const sweep = setInterval(() => server?.closeIdleConnections(), 25).unref();
        const force = setTimeout(() => server?.closeAllConnections(), 5000).unref();
        server.closeIdleConnections();
        await closed;
        clearInterval(sweep);
        clearTimeout(force);
      }
      connection?.stop();
      if (connection?.socketOpen) await slack?.stop();
      await taskSurface.stop();
      mailer?.close();
      await audit.idle();
      await store.close();
    },
  };
}
