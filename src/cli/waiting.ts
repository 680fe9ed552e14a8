import type { Approval } from '../client/index.js';
import { ExitCode } from './errors.js';

/** 0 approved, 1 rejected or cancelled, 2 timed out, 4 still pending. */
export function exitCodeOf(approval: Approval): number {
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
export function nameOf(approval: Approval): string {
  return `${JSON.stringify(oneLine(approval.title, 80))} (${approval.id})`;
}

/** One line saying where an approval stands, e.g. `approved: "Deploy v2" (deploy-42) by U0ALICE via slack`. */
export function describeApproval(approval: Approval): string {
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
