import type { types } from '@slack/bolt';
import { changedFields } from '../../approvals/modifications.js';
import type { ApprovalRecord, ApprovalStatus, Decision, GrantDuration } from '../../approvals/types.js';
import { tally } from '../../approvals/voting.js';
import { contextFieldSections, inlineCode } from './context-fields.js';
import { ActionId, BlockId } from './ids.js';
import { boundedJson } from './json.js';
import { BlockKitLimits, fitMessage, mrkdwnText, truncate } from './limits.js';

type KnownBlock = types.KnownBlock;
type Button = types.Button;

/** A Slack message: `text` is the notification fallback, `blocks` what is shown. */
export interface ApprovalMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Options of `approvalRequestMessage`. */
export interface ApprovalRequestMessageOptions {
  /** When given, the deadline also says how much time is left (for a re-render, e.g. a reminder). */
  now?: Date;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const SLACK_GROUP_REF = /^S[A-Z0-9]{2,}$/;

// Caps on single items, chosen so that what `fitMessage` must always keep stays far below its budget.
const MAX_NAME = 100;
const MAX_ID = 150;
const MAX_QUOTE = 1500;
const MAX_MODIFICATIONS = 2000;
const REQUEST_FIELDS = 50;
const OUTCOME_FIELDS = 20;
const OUTCOME_EXPLANATION = 1500;

/** The message asking for a decision: what is asked, its context, who asks, the deadline, three buttons. */
export function approvalRequestMessage(
  record: ApprovalRecord,
  options: ApprovalRequestMessageOptions = {},
): ApprovalMessage {
  const fields = contextFieldSections(record.context, { maxFields: REQUEST_FIELDS });
  const deadline = `⏳ Decide by ${slackDate(record.expiresAt, '{date_short_pretty} {time}')}`;
  const left = options.now ? Date.parse(record.expiresAt) - options.now.getTime() : Number.NaN;
  const remaining = Number.isNaN(left) ? '' : ` · ${timeLeft(left)}`;
  const blocks: KnownBlock[] = [
    headerBlock(record.title),
    ...explanationBlock(record.explanation, BlockKitLimits.sectionText),
    ...fields.blocks,
    metaBlock(record, `${deadline}${remaining}`),
    ...votesBlock(record),
    actionsBlock(record.id, BlockId.Actions, record.title, record.grantOptions),
  ];
  return {
    text: `Approval needed: ${mrkdwnText(record.title, BlockKitLimits.headerText)}`,
    blocks: fitMessage(blocks, { omittedFields: fields.omitted }),
  };
}

/** The message once decided: the same request, condensed, with an outcome line where the buttons were. */
export function approvalOutcomeMessage(record: ApprovalRecord): ApprovalMessage {
  const fields = contextFieldSections(record.context, { maxFields: OUTCOME_FIELDS });
  const blocks: KnownBlock[] = [
    headerBlock(record.title),
    ...explanationBlock(record.explanation, OUTCOME_EXPLANATION),
    ...fields.blocks,
    metaBlock(record, null),
    { type: 'section', block_id: BlockId.Outcome, text: { type: 'mrkdwn', text: outcomeLine(record) } },
    ...modificationsBlock(record),
  ];
  return {
    text: `${STATUS_WORD[record.status]}: ${mrkdwnText(record.title, BlockKitLimits.headerText)}`,
    blocks: fitMessage(blocks, { omittedFields: fields.omitted }),
  };
}

/** Ephemeral answer to a click on a request that is already decided: who decided and when. */
export function alreadyDecidedText(record: ApprovalRecord): string {
  const decision = record.decision;
  const when = (iso: string): string => slackDate(iso, '{date_short_pretty} at {time}');
  switch (record.status) {
    case 'pending':
      return 'This request is still waiting for a decision.';
    case 'timeout':
      return `This request already timed out: there was no decision by ${when(record.expiresAt)}.`;
    default: {
      const by = decision ? ` by ${userRef(decision.decidedBy)}` : '';
      const at = decision ? ` ${when(decision.decidedAt)}` : '';
      return `This request was already ${record.status}${by}${at}.`;
    }
  }
}

/** Ephemeral answer to a click by someone who is not an approver. */
export function notAllowedText(record: ApprovalRecord): string {
  const shown = record.approvers.slice(0, 20).map(userRef);
  const more = record.approvers.length - shown.length;
  const list =
    shown.length === 0 ? 'none are listed' : `approvers: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return `You are not one of the approvers of this request (${list}).`;
}

/** Ephemeral answer to a click on a request nobody may decide, because no approvers are configured. */
export function noApproversText(): string {
  return 'Nobody may decide this request: no approvers are configured. An operator must set `APPROVERS` (Slack user or user-group ids) and restart Gatehouse, or set `ALLOW_ANY_APPROVER=true`.';
}

/**
 * A Slack user id as a mention (`<@U123>`), a user group as one (`<!subteam^S123>`), anything
 * else (an e-mail, an API caller) as escaped text.
 */
export function userRef(nameOrId: string): string {
  if (SLACK_GROUP_REF.test(nameOrId)) return `<!subteam^${nameOrId}>`;
  return SLACK_USER_ID.test(nameOrId) ? `<@${nameOrId}>` : mrkdwnText(nameOrId, MAX_NAME);
}

/**
 * A time in Slack's date syntax, shown in each viewer's own time zone, with the ISO time as the
 * fallback for clients that cannot format it. An unreadable time is shown as given.
 */
export function slackDate(iso: string, format: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return mrkdwnText(iso, MAX_NAME);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${new Date(ms).toISOString()}>`;
}

const STATUS_WORD: Record<ApprovalStatus, string> = {
  pending: 'Approval needed',
  approved: 'Approved',
  rejected: 'Rejected',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
};

const VIA_WORD: Partial<Record<Decision['via'], string>> = {
  email: 'e-mail',
  web: 'the web',
  api: 'the API',
  grant: 'a standing grant',
};

/** The grant buttons' labels, and how an outcome line names the grant. */
const GRANT_BUTTON: Record<GrantDuration, { actionId: string; label: string; outcome: string }> = {
  run: { actionId: ActionId.ApproveForRun, label: 'Approve for this run', outcome: 'for the rest of this run' },
  '1h': { actionId: ActionId.ApproveForHour, label: 'Approve for 1 hour', outcome: 'for 1 hour' },
};

function headerBlock(title: string): KnownBlock {
  // plain_text is not parsed by Slack (no mentions, no links), so the title only needs cutting.
  const text = truncate(title.trim() === '' ? 'Approval request' : title, BlockKitLimits.headerText);
  return { type: 'header', block_id: BlockId.Header, text: { type: 'plain_text', text, emoji: true } };
}

function explanationBlock(explanation: string, max: number): KnownBlock[] {
  if (explanation.trim() === '') return [];
  return [
    { type: 'section', block_id: BlockId.Explanation, text: { type: 'mrkdwn', text: mrkdwnText(explanation, max) } },
  ];
}

function metaBlock(record: ApprovalRecord, deadline: string | null): KnownBlock {
  const parts = [
    record.requestedBy ? `Requested by ${userRef(record.requestedBy)}` : null,
    record.taskId ? `Task ${inlineCode(record.taskId, MAX_ID)}` : null,
    deadline,
    `ID ${inlineCode(record.id, MAX_ID)}`,
  ];
  return {
    type: 'context',
    block_id: BlockId.Meta,
    elements: parts.filter((part) => part !== null).map((text) => ({ type: 'mrkdwn', text })),
  };
}

/** Slack's limit on a button's `accessibility_label`. */
const ACCESSIBILITY_LABEL_MAX = 75;

/**
 * The Approve / Reject / Approve-with-changes buttons of an approval, carrying its id, then the
 * grant buttons the request offers ("Approve for this run", "Approve for 1 hour"). Each has an
 * `accessibility_label` naming the request, as a screen reader reads a button out of its message.
 */
export function actionsBlock(
  approvalId: string,
  blockId: string = BlockId.Actions,
  title?: string,
  grants: readonly GrantDuration[] = [],
): KnownBlock {
  const value = truncate(approvalId, BlockKitLimits.buttonValue);
  const what = title?.replace(/\s+/g, ' ').trim() ? `: ${title.replace(/\s+/g, ' ').trim()}` : ' this request';
  const button = (actionId: string, label: string, style?: Button['style']): Button => ({
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label, emoji: true },
    accessibility_label: truncate(`${label}${what}`, ACCESSIBILITY_LABEL_MAX),
    value,
    ...(style ? { style } : {}),
  });
  return {
    type: 'actions',
    block_id: blockId,
    elements: [
      button(ActionId.Approve, 'Approve', 'primary'),
      button(ActionId.Reject, 'Reject', 'danger'),
      button(ActionId.ApproveWithChanges, 'Approve with changes'),
      ...grants.map((duration) => button(GRANT_BUTTON[duration].actionId, GRANT_BUTTON[duration].label)),
    ],
  };
}

function outcomeLine(record: ApprovalRecord): string {
  const decision = record.decision;
  if (record.status === 'pending') return '⏳ Waiting for a decision';
  if (record.status === 'timeout') {
    return `⏰ Timed out · no decision by ${slackDate(record.expiresAt, '{date_short_pretty} {time}')}`;
  }
  const [icon, verb] = {
    approved: ['✅', 'Approved'],
    rejected: ['❌', 'Rejected'],
    cancelled: ['🚫', 'Cancelled'],
  }[record.status];
  if (!decision) return `${icon} ${verb}`;
  const via = VIA_WORD[decision.via];
  const parts = [
    `${icon} ${verb} by ${userRef(decision.decidedBy)}${via ? ` via ${via}` : ''}`,
    slackDate(decision.decidedAt, '{time}'),
  ];
  if (decision.granted) parts.push(`and ${GRANT_BUTTON[decision.granted.duration].outcome}`);
  const feedback = decision.feedback?.trim();
  if (feedback) parts.push(`“${mrkdwnText(feedback, MAX_QUOTE)}”`);
  return parts.join(' · ');
}

function modificationsBlock(record: ApprovalRecord): KnownBlock[] {
  const modifications = record.decision?.modifications ?? null;
  if (record.status !== 'approved' || modifications === null) return [];
  const changes = changedFields(record.decision?.original ?? null, modifications);
  if (changes.length > 0) {
    const show = (v: unknown) => (v === undefined ? '—' : inlineCode(JSON.stringify(v), 200));
    const lines = changes.slice(0, 20).map((c) => `• ${mrkdwnText(c.name, 150)}: ${show(c.from)} → ${show(c.to)}`);
    const text = `✏️ *Approved with changes*\n${lines.join('\n')}`;
    return [
      {
        type: 'section',
        block_id: BlockId.Modifications,
        text: { type: 'mrkdwn', text: truncate(text, MAX_MODIFICATIONS) },
      },
    ];
  }
  // Three backticks inside the JSON would close the code block early.
  const json = boundedJson(modifications, MAX_MODIFICATIONS, 2).text.replaceAll('```', '`\u200b`\u200b`');
  return [
    {
      type: 'section',
      block_id: BlockId.Modifications,
      text: { type: 'mrkdwn', text: `✏️ *Approved with changes*\n\`\`\`${mrkdwnText(json, MAX_MODIFICATIONS)}\`\`\`` },
    },
  ];
}

function timeLeft(ms: number): string {
  if (ms <= 0) return 'deadline passed';
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `${minutes} min left`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `about ${hours} h left`;
  return `about ${Math.round(hours / 24)} days left`;
}

/** "🗳️ 2 of 3 approvals: @alice, @bob" on requests that need several, or that have votes. */
function votesBlock(record: ApprovalRecord): KnownBlock[] {
  const { required, counted, unit, approvedBy, rejectedBy } = tally(record);
  if (required <= 1 && approvedBy.length + rejectedBy.length === 0) return [];
  const names = (ids: string[]) => ids.map((id) => userRef(id)).join(', ');
  let text = `🗳️ *${counted} of ${required} ${unit}*${approvedBy.length > 0 ? `: ${names(approvedBy)}` : ''}`;
  if (rejectedBy.length > 0) text += ` · rejected by ${names(rejectedBy)}`;
  return [
    {
      type: 'section',
      block_id: BlockId.Votes,
      text: { type: 'mrkdwn', text: truncate(text, BlockKitLimits.sectionText) },
    },
  ];
}

/** The ladder's reminder, as a thread reply mentioning the approvers. */
export function reminderText(record: ApprovalRecord): string {
  const who = record.approvers.length > 0 ? record.approvers.map((id) => userRef(id)).join(' ') : 'Approvers';
  return `⏰ ${who}: this request is still waiting for a decision — it expires ${slackDate(record.expiresAt, '{date_short_pretty} at {time}')}.`;
}

/** The ladder's escalation note in the request's thread. */
export function escalationText(record: ApprovalRecord): string {
  const added = record.ladder?.escalation.approvers ?? [];
  const to = record.ladder?.escalation.channel ? ` to <#${record.ladder.escalation.channel}>` : '';
  const also = added.length > 0 ? ` ${added.map((id) => userRef(id)).join(' ')} can now decide too.` : '';
  return `🔺 Escalated${to}: no decision yet, ${slackDate(record.expiresAt, '{date_short_pretty} at {time}')} is the deadline.${also}`;
}
