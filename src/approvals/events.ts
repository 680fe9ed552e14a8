import type { ApprovalRecord } from './types.js';

/** Everything that happens to an approval, as the gate reports it (audit trail, streams, callbacks). */
export type ApprovalEventType = 'requested' | 'announced' | 'vote' | 'decided' | 'reminded' | 'escalated' | 'delivery';

/** One thing that happened to one approval, with the record as it stood right after. */
export interface ApprovalEvent {
  type: ApprovalEventType;
  approvalId: string;
  /** ISO time from the gate's clock. */
  at: string;
  /** Who did it: a Slack user id, an API caller, `gatehouse` for deadlines and ladder steps. */
  actor: string | null;
  /** Event details: the vote, where a message or e-mail went, a delivery's result, … */
  data: Record<string, unknown>;
  record: ApprovalRecord;
}

/** Receives approval events; errors thrown here are logged by the emitter and never stop the gate. */
export type ApprovalEventListener = (event: ApprovalEvent) => void | Promise<void>;
