import { z } from 'zod';
import type { GatehouseClient } from './client.js';
import type { Context } from './context.js';
import { ApiError, CliError, ExitCode } from './errors.js';

/** The server holds a long-poll at most this long (MAX_WAIT_SECONDS of the API). */
export const POLL_SECONDS = 60;

/** Pauses between tries while the server is unreachable or restarting: about two minutes in all. */
export const RETRY_DELAYS_MS = [1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000];

/** A poll that comes back pending sooner than this waits out the rest, so a misbehaving proxy is not hammered. */
const MIN_POLL_MS = 1000;

/** The fields of an approval the command reads; the rest is passed through to `--json` untouched. */
const approvalView = z.looseObject({
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'timeout', 'cancelled']),
  title: z.string(),
  expiresAt: z.string(),
  decision: z
    .looseObject({ decidedBy: z.string(), via: z.string(), feedback: z.string().nullable().optional() })
    .nullable(),
});

export type ApprovalView = z.infer<typeof approvalView>;

/** Checks that an answer is an approval, so a wrong URL reads as such rather than as a crash. */
export function asApproval(client: GatehouseClient, body: unknown): ApprovalView {
  const result = approvalView.safeParse(body);
  if (!result.success) throw new CliError(`${client.url} answered with something that is not an approval`);
  return result.data;
}

/** `GET /approvals/:id`, holding up to `waitSeconds` for a decision when given. */
export async function getApproval(client: GatehouseClient, id: string, waitSeconds?: number): Promise<ApprovalView> {
  const query = waitSeconds === undefined ? '' : `?wait=${waitSeconds}`;
  return asApproval(client, await client.call('GET', `/api/v1/approvals/${encodeURIComponent(id)}${query}`));
}

/**
 * Long-polls until the approval is decided or `waitSeconds` have passed (forever by default). The
 * server answers each poll as soon as the decision is made; an unreachable or restarting server is
 * tried again after RETRY_DELAYS_MS, saying so on stderr, before giving up (or once the wait is over).
 */
export async function waitForDecision(
  ctx: Context,
  client: GatehouseClient,
  id: string,
  waitSeconds = Number.POSITIVE_INFINITY,
): Promise<ApprovalView> {
  const { now, sleep, signal } = ctx.io;
  const until = now() + waitSeconds * 1000;
  let failures = 0;
  for (;;) {
    const started = now();
    const left = Math.max(0, Math.ceil((until - started) / 1000));
    try {
      const approval = await getApproval(client, id, Math.min(POLL_SECONDS, left));
      failures = 0;
      if (approval.status !== 'pending' || now() >= until) return approval;
      if (now() - started < MIN_POLL_MS) await pause(sleep, MIN_POLL_MS, signal);
    } catch (error) {
      const delay = RETRY_DELAYS_MS[failures];
      const retry = error instanceof ApiError && error.transient && delay !== undefined && now() + delay < until;
      if (!retry) throw error;
      failures += 1;
      ctx.say(`${error.message}; trying again in ${delay / 1000} s`);
      await pause(sleep, delay, signal);
    }
  }
}

async function pause(sleep: Context['io']['sleep'], ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (error) {
    if (signal?.aborted) throw new CliError('interrupted', ExitCode.Interrupted);
    throw error;
  }
}

/** 0 approved, 1 rejected or cancelled, 2 timed out, 4 still pending. */
export function exitCodeOf(approval: ApprovalView): number {
  switch (approval.status) {
    case 'approved':
      return ExitCode.Ok;
    case 'rejected':
    case 'cancelled':
      return ExitCode.Rejected;
    case 'timeout':
      return ExitCode.Timeout;
    case 'pending':
      return ExitCode.Pending;
  }
}

const oneLine = (text: string, max = 200) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** `"Deploy v2" (deploy-42)` */
export function nameOf(approval: ApprovalView): string {
  return `${JSON.stringify(oneLine(approval.title, 80))} (${approval.id})`;
}

/** One line saying where an approval stands, e.g. `approved: "Deploy v2" (deploy-42) by U0ALICE via slack`. */
export function describeApproval(approval: ApprovalView): string {
  const what = nameOf(approval);
  const { decision } = approval;
  const by = decision ? ` by ${decision.decidedBy} via ${decision.via}` : '';
  const note = decision?.feedback ? `: ${JSON.stringify(oneLine(decision.feedback))}` : '';
  switch (approval.status) {
    case 'pending':
      return `pending: ${what}, open until ${approval.expiresAt}`;
    case 'timeout':
      return `timed out: ${what} was not decided by ${approval.expiresAt}`;
    default:
      return `${approval.status}: ${what}${by}${note}`;
  }
}
