import { Router } from 'express';
import { z } from 'zod';
import type { ApprovalGate } from '../approvals/gate.js';
import { GRANT_DURATIONS, type GrantRecord, type GrantStatus } from '../approvals/grants.js';
import { parseOrThrow } from '../approvals/schema.js';

const GRANT_STATUSES = ['active', 'expired', 'revoked'] as const satisfies readonly GrantStatus[];

/** A grant's id: `grant-` and the id of the approval that made it. */
export const grantIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(220, 'must be at most 220 characters')
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may hold only letters, digits and . _ : @ -');

/** `GET /grants` query: any of requester, task, action key, status (comma-separated), and a limit. */
export const grantListSchema = z.strictObject({
  requestedBy: z.string().trim().min(1).max(200).optional(),
  taskId: z.string().trim().min(1).max(200).optional(),
  actionKey: z.string().trim().min(1).max(200).optional(),
  status: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(GRANT_STATUSES, `expected ${GRANT_STATUSES.join(', ')} (comma-separated)`)).min(1))
    .optional(),
  limit: z.coerce.number('expected a number').int('expected a whole number').min(1).max(200).optional(),
});

/** `POST /grants/:id/revoke` body. */
export const grantRevokeSchema = z.strictObject({
  revokedBy: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  reason: z.string().max(10_000).optional(),
});

/** A grant as the API returns it: the stored record without its version, with where it stands now. */
export function presentGrant(grant: GrantRecord, status: GrantStatus) {
  const { version: _version, ...visible } = grant;
  return { ...visible, status };
}

/** The shape `presentGrant` answers with, for the OpenAPI document. */
export const grantSchema = z.object({
  id: z.string(),
  status: z.enum(GRANT_STATUSES),
  actionKey: z.string(),
  taskId: z.string().nullable(),
  requestedBy: z.string(),
  duration: z.enum(GRANT_DURATIONS),
  approvalId: z.string(),
  grantedBy: z.string(),
  grantedAt: z.string().meta({ format: 'date-time' }),
  via: z.string(),
  expiresAt: z.string().meta({ format: 'date-time' }),
  revokedAt: z.string().meta({ format: 'date-time' }).nullable(),
  revokedBy: z.string().nullable(),
  revokeReason: z.string().nullable(),
});

/**
 * `/grants` routes: the standing approvals, newest first, and their revocation (a POST: nothing is
 * ever decided on a GET). A revoked grant approves nothing from then on; revoking is audited.
 */
export function grantRoutes(gate: ApprovalGate): Router {
  const router = Router();
  const { grants } = gate;

  router.get('/grants', async (req, res) => {
    const filter = parseOrThrow(grantListSchema, req.query);
    const found = await grants.list(filter);
    res.json({ grants: found.map((grant) => presentGrant(grant, grants.status(grant))) });
  });

  router.post('/grants/:id/revoke', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: grantIdSchema }), req.params);
    const body = parseOrThrow(grantRevokeSchema, req.body ?? {});
    const revoked = await grants.revoke(id, { by: body.revokedBy ?? 'api', reason: body.reason });
    res.json(presentGrant(revoked, grants.status(revoked)));
  });

  return router;
}
