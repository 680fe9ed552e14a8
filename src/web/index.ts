import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import type { AuditEntry, AuditVerification } from '../approvals/audit.js';
import type { CallbackDelivery } from '../approvals/callbacks.js';
import type { ApprovalEventListener } from '../approvals/events.js';
import type { ApprovalRecord, DecisionInput } from '../approvals/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ListQueries } from '../http/lists.js';
import { dashboardRoutes } from './dashboard.js';
import { grantPages, type WebGrants } from './grants.js';
import { historyRoutes } from './history.js';
import { html } from './html.js';
import { inboxRoutes } from './inbox.js';
import { CONTENT_SECURITY_POLICY, sendMessage, sendPage } from './layout.js';
import { liveRoutes } from './live.js';
import { requireCsrf, sessions, visitOf } from './session.js';
import { type SignInOptions, signInRoutes } from './signin.js';
import { taskPages, type WebTasks } from './tasks.js';

export type { KnownPerson, SlackOpenId } from './signin.js';

/** Options of the web app; the gate, queries and tasks are the same the API uses. */
export interface WebAppOptions {
  gate: {
    get(id: string): Promise<ApprovalRecord>;
    decide(id: string, input: DecisionInput): Promise<ApprovalRecord>;
    onEvent(listener: ApprovalEventListener): () => void;
    grants: WebGrants;
  };
  queries: ListQueries;
  audit: { forApproval(id: string): Promise<AuditEntry[]>; verify(): Promise<AuditVerification> };
  deliveries: (approvalId: string) => Promise<CallbackDelivery[]>;
  tasks: WebTasks;
  agents: () => Array<{ name: string; description: string }>;
  /** The API's token; without one, visitors from this machine are the local operator. */
  apiToken: string | undefined;
  publicUrl: string;
  /** Signs session cookies and sign-in links. */
  secret: string;
  now: () => number;
  logger: Logger;
  shutdown: AbortSignal;
  signIn: Pick<SignInOptions, 'send' | 'lookup' | 'usedLinks' | 'slack'>;
}

const here = dirname(fileURLToPath(import.meta.url));
// Next to this file when run from src; the built library (dist/web) finds them in the shipped src.
const STATIC_DIR =
  [join(here, 'static'), join(here, '../../src/web/static')].find((dir) => existsSync(dir)) ?? join(here, 'static');
// Chart.js is served from node_modules as it was installed: nothing is built or committed.
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  });
  next();
};

/** Pages need a signed-in person (or the local operator); the sign-in pages and files do not. */
const requireSignIn: RequestHandler = (req, res, next) => {
  if (visitOf(res).principal) return next();
  if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, '/signin');
  sendMessage(res, 401, 'Sign in first', 'This needs a signed-in approver.', req.path);
};

/**
 * The web app, mounted at `/` after the API: inbox, history, dashboard and tasks as
 * server-rendered pages (escaped templates), small page scripts, Chart.js for the charts, and
 * Server-Sent Events for live updates. Every form carries a CSRF token; the CSP allows no inline
 * script or style.
 */
export function webApp(options: WebAppOptions): Router {
  const { gate, queries, audit, deliveries, tasks, agents, apiToken, publicUrl, secret, now, logger, shutdown } =
    options;
  const secure = publicUrl.startsWith('https:');
  const router = Router();
  router.use(securityHeaders);
  router.get('/static/vendor/chart.umd.min.js', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').sendFile(CHART_JS);
  });
  router.use('/static', express.static(STATIC_DIR, { fallthrough: false, index: false, maxAge: 0 }));
  router.use(cookieParser(secret));
  router.use(express.urlencoded({ extended: false, limit: '200kb' }));
  router.use(sessions({ apiToken, secure, now }));
  router.use(requireCsrf);
  router.use(signInRoutes({ ...options.signIn, publicUrl, secret, secure, now, logger }));
  router.use(requireSignIn);
  router.use(liveRoutes({ onEvent: (listener) => gate.onEvent(listener), shutdown }));
  router.use(inboxRoutes({ gate, approvals: queries.approvals, now }));
  router.use(historyRoutes({ gate, approvals: queries.approvals, audit, deliveries, now }));
  router.use(dashboardRoutes(queries));
  router.use(taskPages({ tasks, queries: queries.tasks, agents }));
  router.use(grantPages(gate.grants));
  router.use((req, res) => sendMessage(res, 404, 'Not found', `There is no page at ${req.path}.`, req.path));
  router.use(errorPage(logger));
  return router;
}

function errorPage(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const type = (error as { type?: string; status?: number } | null)?.type;
    if (!res.locals.visit) res.locals.visit = { principal: null, csrf: '' };
    if (error instanceof NotFoundError) return sendMessage(res, 404, 'Not found', error.message, req.path);
    if (error instanceof ValidationError) {
      const issues = html`<ul>${error.issues.map((issue) => html`<li><strong>${issue.field}</strong>: ${issue.message}</li>`)}</ul>`;
      return sendPage(
        res,
        'Check the form',
        html`<p>Nothing was changed.</p>${issues}<p><a href="/">Back to the inbox</a></p>`,
        {
          path: req.path,
          status: 400,
        },
      );
    }
    if ((error as { status?: number } | null)?.status === 404)
      return sendMessage(res, 404, 'Not found', `There is nothing at ${req.path}.`, req.path);
    if (type === 'entity.too.large')
      return sendMessage(res, 413, 'Too long', 'The form is larger than the limit; nothing was changed.', req.path);
    if (type === 'entity.parse.failed')
      return sendMessage(res, 400, 'The form could not be read', 'Nothing was changed.', req.path);
    logger.error({ err: error }, 'web page failed');
    sendMessage(res, 500, 'Something went wrong', 'Nothing was changed. Try again in a moment.', req.path);
  };
}
