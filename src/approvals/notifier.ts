import type { ApprovalRecord, MessageRef } from './types.js';

/**
 * How the gate reaches people. The Slack surface implements it; e-mail and other surfaces can
 * too. Calls follow the committed state and must be idempotent: the gate may call `decided`
 * again for the same record after a restart.
 */
export interface ApprovalNotifier {
  /** Asks the approvers; resolves to where the message lives (to update it later), or null. */
  requested(record: ApprovalRecord): Promise<MessageRef | null>;
  /** Shows the outcome where the request was shown. */
  decided(record: ApprovalRecord): Promise<void>;
}

/** The notifier of a gate with no surface attached: nobody is told, decisions still work over the API. */
export const silentNotifier: ApprovalNotifier = {
  requested: async () => null,
  decided: async () => {},
};
