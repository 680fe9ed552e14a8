import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { AlertManager } from '../alerts/manager.js';
import type { AuditLog } from '../approvals/audit.js';
import type { CallbackSender } from '../approvals/callbacks.js';
import type { ApprovalGate } from '../approvals/gate.js';
import { mountMcp } from '../mcp/http.js';
import type { Store } from '../store/types.js';
import type { TaskService } from '../tasks/index.js';
import { alertRoutes } from './alerts.js';
import { approvalRoutes, presentApproval } from './approvals.js';
import { auditRoutes } from './audit.js';
import { requireToken } from './auth.js';
import { errorHandler } from './errors.js';
import { approvalEventRoutes } from './events.js';
import { grantRoutes } from './grants.js';
import { type ReadinessCheck, readinessHandler } from './health.js';
import { type ListQueries, listRoutes } from './lists.js';
import { createMetrics } from './metrics.js';
import { openApiHandler } from './openapi.js';
import { taskRoutes } from './tasks.js';
import { ApprovalWatchers } from './watchers.js';

/** Largest JSON body the API accepts; larger ones get a 413. */
export const BODY_LIMIT = '1mb';

export interface HttpOptions {
  gate: ApprovalGate;
  alerts: AlertManager;
  audit: AuditLog;
  callbacks: CallbackSender;
  tasks: TaskService;
  store: Store;
  logger: Logger;
  apiToken: string | undefined;
  slack: 'http' | 'socket' | 'off';
  /** Lists and the dashboard summary (`GET /approvals`, `/tasks`, `/summary`). */
  queries: ListQueries;
  /** Aborted when the server stops, to answer open long-polls. */
  shutdown: AbortSignal;
  /** Slack's real state (`/healthz` reports it); without one, `slack` is reported as is. */
  slackStatus?: () => { state: string; detail: string };
  /** Checks `/readyz` runs besides the store's, by name (Slack's, a worker's…). */
  readiness?: ReadinessCheck[];
}

/** A bare express app; Bolt mounts /slack/events on it, `mountHttp` the rest. */
export function createHttpApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  return app;
}

/** Mounts /healthz and the bearer-token API under /api/v1. */
export function mountHttp(
  app: Express,
  {
    gate,
    alerts,
    audit,
    callbacks,
    tasks,
    store,
    logger,
    apiToken,
    slack,
    shutdown,
    slackStatus,
    queries,
    readiness = [],
  }: HttpOptions,
): void {
  app.get('/healthz', async (_req, res) => {
    const storeOk = await store.ping().then(
      () => true,
      () => false,
    );
    res.status(storeOk ? 200 : 503).json({
      status: storeOk ? 'ok' : 'degraded',
      store: storeOk ? 'ok' : 'down',
      slack: slackStatus?.().state ?? slack,
    });
  });
  const storeCheck: ReadinessCheck = { name: 'store', check: () => store.ping().then(() => ({ ok: true })) };
  // The workers that run what changes owe (announcements, outcomes, callbacks, alert deliveries).
  const workersCheck: ReadinessCheck = {
    name: 'workers',
    check: async () =>
      store.effects.running
        ? { ok: true, detail: `${await store.effects.owed()} effects owed` }
        : { ok: false, detail: 'the effect workers are not running' },
  };
  app.get('/readyz', readinessHandler([storeCheck, workersCheck, ...readiness]));

  const api = express.Router();
  api.use(requireToken(apiToken));
  // Any content type is read as JSON, so a form-encoded body is a clear 400 rather than an empty one.
  api.use(express.json({ limit: BODY_LIMIT, type: () => true }));
  api.use(listRoutes(queries));
  // One registry of open long-polls and streams, answered together at shutdown.
  const watchers = new ApprovalWatchers(gate, shutdown);
  api.use(approvalRoutes(gate, shutdown, watchers));
  api.use(approvalEventRoutes(gate, { shutdown, watchers }));
  api.use(grantRoutes(gate));
  api.use(auditRoutes(audit, { deliveries: (id) => callbacks.deliveries(id) }));
  api.use(alertRoutes(alerts));
  api.use(taskRoutes(tasks));
  api.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route ${req.method} ${req.originalUrl}` });
  });
  api.use(errorHandler(logger, presentApproval));
  app.get('/api/v1/openapi.json', openApiHandler);
  app.use('/api/v1', api);

  app.get('/metrics', requireToken(apiToken), createMetrics(gate, store.effects).handler);
  mountMcp(app, { gate, alerts, apiToken, logger, bodyLimit: BODY_LIMIT, shutdown });
}
