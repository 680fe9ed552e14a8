import { z } from 'zod';

/** `action_id`s of the approval buttons; each button carries the approval id as its `value`. */
export const ActionId = {
  Approve: 'gatehouse_approve',
  Reject: 'gatehouse_reject',
  ApproveWithChanges: 'gatehouse_approve_changes',
  /** Approve, and approve later requests of the same action, task and requester for the rest of the run. */
  ApproveForRun: 'gatehouse_approve_run',
  /** Approve, and approve later requests of the same action, task and requester for an hour. */
  ApproveForHour: 'gatehouse_approve_1h',
} as const;

/** `callback_id`s of the decision modals. */
export const ViewId = {
  Reject: 'gatehouse_reject_modal',
  Changes: 'gatehouse_changes_modal',
} as const;

/** `block_id`s of the approval message; `fitMessage` uses them to know what it may shorten or drop. */
export const BlockId = {
  Header: 'gatehouse_header',
  Explanation: 'gatehouse_explanation',
  /** Prefix of the context field sections: `gatehouse_fields_0`, `gatehouse_fields_1`, … */
  FieldsPrefix: 'gatehouse_fields_',
  FieldsNote: 'gatehouse_more_fields',
  Meta: 'gatehouse_meta',
  Actions: 'gatehouse_actions',
  Outcome: 'gatehouse_outcome',
  Modifications: 'gatehouse_modifications',
  Reminder: 'gatehouse_reminder',
  Votes: 'gatehouse_votes',
} as const;

/** `block_id` / `action_id` of each modal input, as they come back in `view.state.values`. */
export const InputId = {
  Reason: { block: 'reason', action: 'reason_input' },
  Modifications: { block: 'modifications', action: 'modifications_input' },
  Feedback: { block: 'feedback', action: 'feedback_input' },
} as const;

/** What a decision modal remembers in `private_metadata`: the approval and the message it came from. */
export interface ModalMetadata {
  approvalId: string;
  channel: string | null;
  ts: string | null;
}

const modalMetadataSchema = z.object({
  approvalId: z.string().min(1),
  channel: z.string().min(1).nullable(),
  ts: z.string().min(1).nullable(),
});

/** Slack's limit on `private_metadata` (also in `BlockKitLimits`, which builds on this file). */
const PRIVATE_METADATA_MAX = 3000;

/** Encodes modal metadata as JSON, always within Slack's 3,000-character `private_metadata` limit. */
export function encodeModalMetadata(meta: ModalMetadata): string {
  const encoded = JSON.stringify({ approvalId: meta.approvalId, channel: meta.channel, ts: meta.ts });
  if (encoded.length <= PRIVATE_METADATA_MAX) return encoded;
  // Ids are capped far below this at the API edge; a modal that opens beats one Slack refuses.
  const overhead = encoded.length - JSON.stringify(meta.approvalId).length + 2;
  let room = PRIVATE_METADATA_MAX - overhead;
  let approvalId = '';
  for (const char of meta.approvalId) {
    room -= JSON.stringify(char).length - 2;
    if (room < 0) break;
    approvalId += char;
  }
  return JSON.stringify({ approvalId, channel: meta.channel, ts: meta.ts });
}

/** Reads what `encodeModalMetadata` wrote; anything else (empty, not JSON, wrong shape) gives null. */
export function decodeModalMetadata(raw: string | null | undefined): ModalMetadata | null {
  if (!raw) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  const result = modalMetadataSchema.safeParse(parsed);
  return result.success ? result.data : null;
}
