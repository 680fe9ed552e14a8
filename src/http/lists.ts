import { Router } from 'express';
import { z } from 'zod';
import type { AlertQueries } from '../alerts/queries.js';
import { APPROVAL_STATUSES, type ApprovalQueries } from '../approvals/queries.js';
import { parseOrThrow } from '../approvals/schema.js';
import type { TaskQueries } from '../tasks/queries.js';
import { TASK_STATES } from '../tasks/queries.js';
import { presentApproval } from './approvals.js';

/** Longest page a list answers. */
export const MAX_PAGE = 200;

/** `status=pending,approved` (or repeated `status=`): each one checked against the known ones. */
const statusList = <T extends string>(known: readonly T[]) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((part) => part.split(',')))
    .pipe(z.array(z.enum(known as [T, ...T[]], `expected ${known.join(', ')} (comma-separated)`)).min(1));

const common = {
  since: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time like 2026-01-31T09:00:00Z' }).optional(),
  q: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  cursor: z.string().min(1).max(2000).optional(),
  limit: z.coerce
    .number('expected a number')
    .int('expected a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE, `must be at most ${MAX_PAGE}`)
    .optional(),
};

/** `GET /approvals` query. */
export const approvalListSchema = z.strictObject({
  status: statusList(APPROVAL_STATUSES).optional(),
  approver: z.string().trim().min(1).max(200).optional(),
  taskId: z.string().trim().min(1).max(200).optional(),
  ...common,
});

/** `GET /tasks` query. */
export const taskListQuerySchema = z.strictObject({
  status: statusList(TASK_STATES).optional(),
  agent: z.string().trim().min(1).max(120).optional(),
  ...common,
});

/** `GET /summary` query. */
export const summaryQuerySchema = z.strictObject({
  days: z.coerce.number('expected a number').int('expected a whole number').min(1).max(90).optional(),
});

/** Default window of the summary, in days. */
export const SUMMARY_DAYS = 14;

/** The read side the list routes and the web app share. */
export interface ListQueries {
  approvals: ApprovalQueries;
  tasks: TaskQueries;
  alerts: AlertQueries;
}

/** The dashboard's figures in one answer. */
export async function dashboardSummary(queries: ListQueries, days: number) {
  const [approvals, tasks, alerts] = await Promise.all([
    queries.approvals.summary({ days }),
    queries.tasks.summary({ days }),
    queries.alerts.summary({ hours: 24 }),
  ]);
  return { days, approvals, tasks, alerts };
}

/**
 * List routes of the API (mounted under /api/v1): `GET /approvals` and `GET /tasks` (filters,
 * newest first, `nextCursor` for the next page) and `GET /summary` (the dashboard's figures).
 */
export function listRoutes(queries: ListQueries): Router {
  const router = Router();

  router.get('/approvals', async (req, res) => {
    const { limit, ...filter } = parseOrThrow(approvalListSchema, req.query);
    const page = await queries.approvals.list({ ...filter, limit: limit ?? 50 });
    res.json({ approvals: page.items.map(presentApproval), nextCursor: page.nextCursor });
  });

  router.get('/tasks', async (req, res) => {
    const { limit, ...filter } = parseOrThrow(taskListQuerySchema, req.query);
    const page = await queries.tasks.list({ ...filter, limit: limit ?? 20 });
    res.json({ tasks: page.items, nextCursor: page.nextCursor });
  });

  router.get('/summary', async (req, res) => {
    const { days } = parseOrThrow(summaryQuerySchema, req.query);
    res.json(await dashboardSummary(queries, days ?? SUMMARY_DAYS));
  });

  return router;
}
