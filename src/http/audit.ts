import { Router } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../approvals/audit.js';
import type { CallbackDelivery } from '../approvals/callbacks.js';
import { approvalIdSchema, parseOrThrow } from '../approvals/schema.js';
import { NotFoundError } from '../errors.js';

/** Options of the audit routes. */
export interface AuditRoutesOptions {
  /** Callback deliveries of an approval (CallbackSender#deliveries), shown next to its entries when given. */
  deliveries?: (approvalId: string) => Promise<CallbackDelivery[]>;
}

/**
 * Audit routes, mounted inside /api/v1: `GET /approvals/:id/audit` (the approval's entries, 404
 * when it has none) and `GET /audit/verify` (the whole chain checked: 200 when intact, 409 with
 * the first broken seq and why).
 */
export function auditRoutes(audit: AuditLog, { deliveries }: AuditRoutesOptions = {}): Router {
  const router = Router();

  router.get('/approvals/:id/audit', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: approvalIdSchema }), req.params);
    const entries = await audit.forApproval(id);
    if (entries.length === 0) throw new NotFoundError('audit trail of approval', id);
    res.json(deliveries ? { entries, callbacks: await deliveries(id) } : { entries });
  });

  router.get('/audit/verify', async (_req, res) => {
    const result = await audit.verify();
    res.status(result.ok ? 200 : 409).json(result);
  });

  return router;
}
