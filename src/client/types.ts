// Type-only imports: erased at build time, so the client loads none of the server's modules.
import type { AlertInput, Route, Severity } from '../alerts/types.js';
import type { ApprovalEventType } from '../approvals/events.js';
import type { ApprovalRecord, ApprovalRequest, ApprovalStatus, JsonValue } from '../approvals/types.js';

export type { AlertInput, ApprovalStatus, JsonValue, Severity };

/** An approval as the API returns it (SPEC §5). */
export type Approval = Omit<ApprovalRecord, 'version'>;

/** `POST /api/v1/approvals`: over HTTP the modifications schema is JSON Schema. */
export type ApprovalRequestInput = Omit<ApprovalRequest, 'modificationsSchema'> & {
  modificationsSchema?: JsonValue;
};

/** `POST /api/v1/approvals/:id/decision`. */
export interface DecisionInput {
  decision: 'approve' | 'reject';
  /** Who decides (a Slack user id, a login name, a service). */
  decidedBy: string;
  feedback?: string | null;
  modifications?: JsonValue | null;
  /** Approve and grant later requests of the same action key, task and requester: `run` or `1h`. */
  grant?: 'run' | '1h';
}

/** `POST /api/v1/approvals/:id/cancel`. */
export interface CancelInput {
  reason?: string;
  cancelledBy?: string;
}

/** `GET /api/v1/approvals`: filters, newest first, a page at a time. */
export interface ListQuery {
  status?: ApprovalStatus;
  /** Approvals this Slack user id may decide. */
  approver?: string;
  taskId?: string;
  /** Created at or after this time. */
  since?: string | Date;
  /** Text to look for in title and explanation. */
  q?: string;
  /** `nextCursor` of the page before. */
  cursor?: string;
  limit?: number;
}

/** One page of `GET /api/v1/approvals`; `nextCursor` is null on the last one. */
export interface ApprovalPage {
  items: Approval[];
  nextCursor: string | null;
}

/** What `POST /api/v1/alerts` answers (202). */
export interface AlertReceipt {
  /** Null when the alert was suppressed. */
  id: string | null;
  severity: Severity;
  grouped: boolean;
  count: number;
  routedTo: Route;
  suppressed?: string;
}

/** One event of `GET /api/v1/approvals/:id/events`. */
export type ApprovalStreamEvent =
  | { type: 'status'; approval: Approval }
  | {
      type: ApprovalEventType;
      at: string;
      actor: string | null;
      data: Record<string, unknown>;
      approval: Approval;
    };

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of the waits. */
export interface WaitOptions extends CallOptions {
  /**
   * How long to wait, in seconds (default: until decided). When it is over, the approval is
   * returned as it stands, possibly still `pending`.
   */
  timeoutSeconds?: number;
}
