import type { ApprovalRecord, MessageRef } from './types.js';

/** Where a request was announced: its Slack message, and when it was e-mailed instead (or as well). */
export interface Announcement {
  message?: MessageRef;
  emailedAt?: string;
}

/**
 * How the gate reaches people. The Slack surface implements it; e-mail and other surfaces can
 * too. Calls follow the committed state and must be idempotent: the gate may call `decided`
 * again for the same record after a restart.
 */
export interface ApprovalNotifier {
  /**
   * True when requests are announced in a message (Slack): an announcement without one (e-mailed
   * while Slack was down) is tried again until a message is posted or the request is decided.
   */
  readonly announcesInMessage?: boolean;
  /**
   * Asks the approvers; resolves to where the request was announced (stored on the record, so the
   * outcome can be shown there later). Called again at boot for a request with no message yet.
   */
  requested(record: ApprovalRecord): Promise<Announcement>;
  /** Shows the outcome where the request was shown. */
  decided(record: ApprovalRecord): Promise<void>;
  /** A vote that did not decide yet (quorum): shows the progress. */
  progressed?(record: ApprovalRecord): Promise<void>;
  /** The ladder's reminder: nudges the approvers. */
  reminded?(record: ApprovalRecord): Promise<void>;
  /** The ladder's escalation: tells the escalation channel and added approvers; returns its message, if any. */
  escalated?(record: ApprovalRecord): Promise<{ escalationMessage?: MessageRef }>;
}

/** The notifier of a gate with no surface attached: nobody is told, decisions still work over the API. */
export const silentNotifier: ApprovalNotifier = {
  requested: async () => ({}),
  decided: async () => {},
};
