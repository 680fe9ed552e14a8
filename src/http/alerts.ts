import { Router } from 'express';
import { z } from 'zod';
import type { AlertManager } from '../alerts/manager.js';
import { parseOrThrow } from '../approvals/schema.js';

export const historySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional(),
  taskId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** What `POST /alerts` answers (202): where the alert went, or why it was not sent. */
export function alertReceipt({ alert, grouped, route, suppressed }: Awaited<ReturnType<AlertManager['send']>>) {
  return {
    id: suppressed ? null : alert.id,
    severity: alert.severity,
    grouped,
    count: alert.count,
    routedTo: route,
    ...(suppressed ? { suppressed } : {}),
  };
}

/** `POST /alerts` (202: stored, delivery under way) and `GET /alerts` (history). */
export function alertRoutes(alerts: AlertManager): Router {
  const router = Router();

  router.post('/alerts', async (req, res) => {
    res.status(202).json(alertReceipt(await alerts.send(req.body)));
  });

  router.get('/alerts', async (req, res) => {
    const query = parseOrThrow(historySchema, req.query);
    res.json({ alerts: await alerts.history(query) });
  });

  return router;
}
