import { ConflictError, NotAllowedError, ValidationError } from '../errors.js';
import { checkModifications, originalValues } from './modifications.js';
import type { ApprovalRecord, DecisionInput, Quorum, Vote } from './types.js';

/** A request stored before quorums existed: the first vote decides. */
export const SINGLE: Quorum = { required: 1, rejections: 1, allowSelfApproval: true };

/**
 * Adds one vote to a pending record: the result is still pending (quorum not reached) or
 * decided. Throws NotAllowedError for a requester approving their own request where that is not
 * allowed, ConflictError for a second vote. Whether the voter is an approver at all is the gate's
 * check (`eligibility`), made before, as groups are resolved asynchronously.
 */
export function castVote(record: ApprovalRecord, input: DecisionInput, at: string): ApprovalRecord {
  const quorum = record.quorum ?? SINGLE;
  const voter = input.decidedBy;
  if (!quorum.allowSelfApproval && input.decision === 'approve' && record.requestedBy === voter) {
    throw new NotAllowedError(`${voter} asked for ${record.id} and may not approve it`, 'self_approval');
  }
  if (input.decision === 'approve' && input.modifications != null) {
    const issues = checkModifications(record.modificationsSchema, input.modifications);
    if (issues.length > 0) throw new ValidationError(issues);
  }
  const votes = record.votes ?? [];
  if (votes.some((v) => v.voter === voter)) throw new ConflictError(`${voter} has already voted on ${record.id}`);

  const vote: Vote = {
    voter,
    vote: input.decision,
    at,
    via: input.via,
    feedback: input.feedback ?? null,
    modifications: input.modifications ?? null,
  };
  const all = [...votes, vote];
  const approvals = all.filter((v) => v.vote === 'approve');
  const rejections = all.filter((v) => v.vote === 'reject');
  const status =
    countedApprovals(quorum, approvals) >= quorum.required
      ? 'approved'
      : rejections.length >= quorum.rejections
        ? 'rejected'
        : 'pending';
  if (status === 'pending') return { ...record, votes: all };
  // Approved with changes: the latest approver's edits win.
  const modifications =
    status === 'approved'
      ? ([...approvals].reverse().find((v) => v.modifications !== null)?.modifications ?? null)
      : null;
  const original = modifications === null ? null : originalValues(record);
  return {
    ...record,
    votes: all,
    status,
    decision: {
      decidedBy: voter,
      decidedAt: at,
      via: input.via,
      feedback: vote.feedback,
      modifications,
      original,
      edited: modifications !== null && JSON.stringify(modifications) !== JSON.stringify(original),
    },
  };
}

/** Approvals toward the quorum: one per voter, or one per group when the request has groups. */
function countedApprovals(quorum: Quorum, approvals: Vote[]): number {
  const groups = quorum.groups;
  if (!groups) return approvals.length;
  const approvedGroups = new Set(
    approvals.flatMap((v) =>
      Object.entries(groups).flatMap(([name, members]) => (members.includes(v.voter) ? [name] : [])),
    ),
  );
  return approvedGroups.size;
}

/** "2 of 3 approvals: U1, U2" as numbers, for surfaces. */
export function tally(record: ApprovalRecord) {
  const quorum = record.quorum ?? SINGLE;
  const votes = record.votes ?? [];
  return {
    required: quorum.required,
    /** Approvals so far toward `required` (groups when the request has them). */
    counted: countedApprovals(
      quorum,
      votes.filter((v) => v.vote === 'approve'),
    ),
    unit: quorum.groups ? 'groups' : 'approvals',
    approvedBy: votes.filter((v) => v.vote === 'approve').map((v) => v.voter),
    rejectedBy: votes.filter((v) => v.vote === 'reject').map((v) => v.voter),
  };
}
