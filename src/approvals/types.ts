/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where an approval stands. `pending` moves to exactly one of the others, once. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'timeout' | 'cancelled';

/**
 * The surface a decision came from; `system` is Gatehouse itself (a deadline), `grant` a standing
 * approval an approver gave earlier (`Decision.grantId` names it).
 */
export type DecisionVia = 'slack' | 'email' | 'web' | 'api' | 'system' | 'grant';

/** How long a grant lasts: the rest of the run (same task or session), or one hour. */
export type GrantDuration = 'run' | '1h';

/** The grant an approving decision made. */
export interface GrantMade {
  id: string;
  duration: GrantDuration;
  expiresAt: string;
}

/** The outcome of an approval, as stored. */
export interface Decision {
  decidedBy: string;
  decidedAt: string;
  via: DecisionVia;
  feedback: string | null;
  modifications: JsonValue | null;
  /** The values the approver started from, when they approved with changes. */
  original?: JsonValue | null;
  /** True when the approver changed something. */
  edited?: boolean;
  /** The grant this decision made ("approve for this run / for 1 hour"). */
  granted?: GrantMade;
  /** On a decision `via: "grant"`: the grant that approved the request. */
  grantId?: string;
}

/** Where the Slack message of an approval lives, so it can be updated in place. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** What happens when the deadline passes with no decision. */
export type OnTimeout = 'timeout' | 'approve' | 'keep-waiting';

/** One approver's vote on a request that needs several. */
export interface Vote {
  voter: string;
  vote: 'approve' | 'reject';
  at: string;
  via: DecisionVia;
  feedback: string | null;
  modifications: JsonValue | null;
}

/** How many votes decide, and whether the requester may vote. */
export interface Quorum {
  /** Approvals needed (1: the first approval decides). */
  required: number;
  /** Rejections that decide (1: one rejection decides). */
  rejections: number;
  allowSelfApproval: boolean;
  /** When set, approvals count once per group: `required` distinct groups must approve. */
  groups?: Record<string, string[]>;
}

/** The server-run timeout ladder: remind, escalate, then what the deadline does. */
export interface Ladder {
  remindAt: string | null;
  escalateAt: string | null;
  onTimeout: OnTimeout;
  escalation: { channel: string | null; approvers: string[] };
}

/** An approval as stored and as returned by the API. */
export interface ApprovalRecord {
  id: string;
  status: ApprovalStatus;
  title: string;
  explanation: string;
  context: JsonValue;
  requestedBy: string | null;
  taskId: string | null;
  approvers: string[];
  channel: string | null;
  callbackUrl: string | null;
  timeoutSeconds: number;
  createdAt: string;
  expiresAt: string;
  decision: Decision | null;
  /** The Slack message, once posted. */
  message: MessageRef | null;
  /** When the request was e-mailed to approvers (Slack unreachable), if it was. */
  emailedAt: string | null;
  /** sha256 of what approvers see (title, explanation, context): a decision is bound to it. */
  contentHash?: string;
  quorum?: Quorum;
  votes?: Vote[];
  ladder?: Ladder;
  remindedAt?: string | null;
  escalatedAt?: string | null;
  /** JSON Schema the modifications of an approval with changes must satisfy. */
  modificationsSchema?: JsonValue | null;
  /** The message posted to the escalation channel, updated with the outcome too. */
  escalationMessage?: MessageRef | null;
  /** What the request does (a tool name…): grants cover one action key, task and requester. */
  actionKey?: string | null;
  /** The grants an approver may give when approving (empty: none). */
  grantOptions?: GrantDuration[];
  /** Bumped by every stored change; what the atomic transition compares. */
  version: number;
}

/** What a caller asks for; everything but `title` has a default. */
export interface ApprovalRequest {
  id?: string;
  title: string;
  explanation?: string;
  context?: JsonValue;
  requestedBy?: string;
  taskId?: string;
  approvers?: string[];
  channel?: string;
  timeoutSeconds?: number;
  callbackUrl?: string;
  /** Approvals needed before the request is approved (default 1). */
  requiredApprovals?: number;
  /** Rejections that reject it (default 1: one rejection decides). */
  requiredRejections?: number;
  /**
   * Approver groups (name → Slack user ids): approvals then count once per group, so
   * `requiredApprovals: 2` means two different groups. Their members are the approvers by default.
   */
  approverGroups?: Record<string, string[]>;
  /** May the requester (a Slack user id in `requestedBy`) approve their own request? Default true. */
  allowSelfApproval?: boolean;
  /** Remind approvers at this share of the timeout (percent; null: never). Default 50. */
  remindAtPercent?: number | null;
  /** Escalate at this share of the timeout (percent; null: never). Default 80. */
  escalateAtPercent?: number | null;
  /** Where escalation goes: a channel to post to and/or approvers to add. */
  escalation?: { channel?: string; approvers?: string[] };
  /** At the deadline: end as `timeout` (default), `approve`, or `keep-waiting` (never expires). */
  onTimeout?: OnTimeout;
  /**
   * What "Approve with changes" may submit: a JSON Schema (over HTTP) or a zod schema (in
   * TypeScript). A flat object schema is shown as a form; anything else as JSON.
   */
  modificationsSchema?: JsonValue | { _zod: unknown };
  /** What the request does (e.g. the tool name): the action a grant covers. */
  actionKey?: string;
  /**
   * Grants an approver may give besides a plain approval: `run` (later requests of this task) and
   * `1h` (for an hour). Default: both when `actionKey` and `requestedBy` are set (`1h` only without
   * `taskId`); `[]` offers none.
   */
  grantOptions?: GrantDuration[];
}

/** What `requireApproval` resolves to. */
export interface ApprovalResponse {
  id: string;
  status: Exclude<ApprovalStatus, 'pending'>;
  isApproved: boolean;
  feedback: string | null;
  modifications: JsonValue | null;
  /** The values the approver started from, and whether they changed them. */
  original: JsonValue | null;
  edited: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  via: DecisionVia | null;
  approval: ApprovalRecord;
}

/** A decision as a person or program makes it. */
export interface DecisionInput {
  decision: 'approve' | 'reject';
  decidedBy: string;
  via: DecisionVia;
  feedback?: string | null;
  modifications?: JsonValue | null;
  /** When true, `decidedBy` must be one of the request's approvers (Slack, e-mail, web). */
  enforceApprovers?: boolean;
  /** Approve and grant: later matching requests are approved at once (one the request offers). */
  grant?: GrantDuration;
}

/** True once an approval has left `pending`. */
export function isDecided(record: ApprovalRecord): boolean {
  return record.status !== 'pending';
}
