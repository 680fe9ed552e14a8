import { z } from 'zod';
import { ServerError } from '../errors.js';
import type { AlertReceipt, Approval, ApprovalPage } from './types.js';

// Loose checks of what the server answers: enough to tell a wrong URL from a crash, the rest passed through.
const approval = z.looseObject({
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'timeout', 'cancelled']),
  title: z.string(),
  expiresAt: z.string(),
  decision: z
    .looseObject({ decidedBy: z.string(), via: z.string(), feedback: z.string().nullable().optional() })
    .nullable(),
});

const page = z.looseObject({ items: z.array(approval), nextCursor: z.string().nullable().optional() });

const receipt = z.looseObject({
  id: z.string().nullable(),
  severity: z.string(),
  grouped: z.boolean(),
  count: z.number(),
  routedTo: z.looseObject({ slack: z.array(z.string()), email: z.array(z.string()) }),
});

const notA = (url: string, what: string) => new ServerError(`${url} answered with something that is not ${what}`, null);

/** `body` as an approval, or a ServerError saying the server at `url` sent something else. */
export function asApproval(url: string, body: unknown): Approval {
  if (!approval.safeParse(body).success) throw notA(url, 'an approval');
  return body as Approval;
}

/** `body` as a page of approvals. */
export function asApprovalPage(url: string, body: unknown): ApprovalPage {
  const parsed = page.safeParse(body);
  if (!parsed.success) throw notA(url, 'a page of approvals');
  return { items: parsed.data.items as unknown as Approval[], nextCursor: parsed.data.nextCursor ?? null };
}

/** `body` as an alert receipt. */
export function asAlertReceipt(url: string, body: unknown): AlertReceipt {
  if (!receipt.safeParse(body).success) throw notA(url, 'an alert receipt');
  return body as AlertReceipt;
}
