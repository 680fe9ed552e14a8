import { Router } from 'express';
import { z } from 'zod';
import type { ApprovalGate } from '../approvals/gate.js';
import { approvalIdSchema, parseOrThrow } from '../approvals/schema.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { longPoll } from './long-poll.js';
import { ApprovalWatchers } from './watchers.js';

/** The longest a GET may hold the connection waiting for a decision. */
export const MAX_WAIT_SECONDS = 60;

export const decisionSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  decidedBy: z.string().trim().min(1, 'must name who decides').max(200),
  feedback: z.string().max(10_000).nullish(),
  modifications: z.json().nullish(),
  /** Approve and grant later matching requests: `run` or `1h`, one the request offers. */
  grant: z.enum(['run', '1h']).optional(),
});

export const cancelSchema = z.strictObject({
  cancelledBy: z.string().trim().min(1).max(200).optional(),
  reason: z.string().max(10_000).optional(),
});

export const waitSchema = z.strictObject({
  wait: z.coerce
    .number('must be a number of seconds')
    .min(0, 'must not be negative')
    .transform((seconds) => Math.min(seconds, MAX_WAIT_SECONDS))
    .optional(),
});

/** An approval as the API returns it (SPEC §5): everything but the internal version counter. */
export function presentApproval(record: ApprovalRecord) {
  const { version: _version, ...visible } = record;
  return visible;
}

const idOf = (params: Record<string, string | string[] | undefined>) =>
  parseOrThrow(z.object({ id: approvalIdSchema }), params).id;

/**
 * `/approvals` routes. `shutdown` aborts when the server stops: open long-polls are answered with
 * the approval as it stands, so no client is left hanging.
 */
export function approvalRoutes(
  gate: ApprovalGate,
  shutdown: AbortSignal,
  watchers = new ApprovalWatchers(gate, shutdown),
): Router {
  const router = Router();

  router.post('/approvals', async (req, res) => {
    const { record, created } = await gate.submit(req.body);
    res.status(created ? 201 : 200).json(presentApproval(record));
  });

  router.get('/approvals/:id', async (req, res) => {
    const id = idOf(req.params);
    const { wait } = parseOrThrow(waitSchema, req.query);
    if (!wait || watchers.closed) return void res.json(presentApproval(await gate.get(id)));
    const record = await longPoll(gate, watchers, id, wait * 1000, res);
    if (record) res.json(presentApproval(record));
  });

  router.post('/approvals/:id/decision', async (req, res) => {
    const id = idOf(req.params);
    const body = parseOrThrow(decisionSchema, req.body);
    const record = await gate.decide(id, { ...body, via: 'api' });
    res.json(presentApproval(record));
  });

  router.post('/approvals/:id/cancel', async (req, res) => {
    const id = idOf(req.params);
    const body = parseOrThrow(cancelSchema, req.body ?? {});
    const record = await gate.cancel(id, { by: body.cancelledBy ?? 'api', reason: body.reason, via: 'api' });
    res.json(presentApproval(record));
  });

  return router;
}
