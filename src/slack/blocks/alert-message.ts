import type { types } from '@slack/bolt';
import { budgetPercent, formatCount, formatDuration, formatUsd } from '../../alerts/render.js';
import type { AlertKind, AlertRecord, Severity } from '../../alerts/types.js';
import { slackDate } from './approval-message.js';
import { inlineCode } from './context-fields.js';
import { BlockKitLimits, mrkdwnText, truncate } from './limits.js';

type KnownBlock = types.KnownBlock;

/** The coloured part of an alert: Slack draws `color` as a bar beside `blocks`. */
export interface AlertAttachment {
  color: string;
  /** Shown where the attachment cannot be. */
  fallback: string;
  blocks: KnownBlock[];
}

/**
 * A Slack alert: `text` is the notification fallback, `blocks` the headline, `attachments` the
 * details beside a bar in the severity's colour.
 */
export interface AlertMessage {
  text: string;
  blocks: KnownBlock[];
  attachments: AlertAttachment[];
}

/** Options of `alertMessage`. */
export interface AlertMessageOptions {
  /** When given and the last occurrence is more than 12 h before it, times are shown with their date. */
  now?: Date;
}

/** `block_id`s of an alert message. */
export const AlertBlockId = {
  Header: 'gatehouse_alert_header',
  Fields: 'gatehouse_alert_fields',
  Message: 'gatehouse_alert_message',
  Cost: 'gatehouse_alert_cost',
  Error: 'gatehouse_alert_error',
  Storm: 'gatehouse_alert_storm',
  Meta: 'gatehouse_alert_meta',
} as const;

/** Emoji and bar colour of each severity; a completion at `info` is a success and shows green. */
export const AlertStyle = {
  critical: { emoji: '🔴', color: '#E01E5A' },
  warning: { emoji: '🟠', color: '#F2952F' },
  info: { emoji: '🔵', color: '#1D9BD1' },
  success: { emoji: '✅', color: '#2EB67D' },
} as const;

// Caps on each part; together they stay far below `BlockKitLimits.messageTextBudget`, so no part
// ever has to be dropped to fit.
const MAX_ID = 150;
const MAX_MESSAGE = 1500;
const MAX_ERROR = 2500;
const MAX_FALLBACK = 300;
const BAR_CELLS = 10;
const SAME_DAY_MS = 12 * 3600_000;

const SEVERITY_WORD: Record<Severity, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

const KIND_WORD: Record<AlertKind, string> = {
  failure: 'Failure',
  cost_warning: 'Cost warning',
  budget_exceeded: 'Budget exceeded',
  completion: 'Completed',
  custom: 'Alert',
};

/** What the storm line says happened N times. */
const STORM_VERB: Record<AlertKind, string> = {
  failure: 'failed',
  cost_warning: 'raised',
  budget_exceeded: 'went over budget',
  completion: 'completed',
  custom: 'raised',
};

/** The Slack message of an alert (group): headline, task, stage and duration, cost, error, storm counter. */
export function alertMessage(alert: AlertRecord, options: AlertMessageOptions = {}): AlertMessage {
  const style = alertStyle(alert);
  const title = alertTitle(alert);
  const header: KnownBlock = {
    type: 'header',
    block_id: AlertBlockId.Header,
    // plain_text is not parsed by Slack, so the title only needs to be one line and cut.
    text: {
      type: 'plain_text',
      text: truncate(`${style.emoji} ${title}`, BlockKitLimits.headerText),
      emoji: true,
    },
  };
  const details = [
    ...fieldsBlock(alert),
    ...messageBlock(alert, title),
    ...costBlock(alert),
    ...errorBlock(alert.error),
    ...stormBlock(alert, options.now),
    metaBlock(alert),
  ];
  const storm = alert.count > 1 ? ` (×${formatCount(alert.count)})` : '';
  const text = `${style.emoji} ${mrkdwnText(title, MAX_FALLBACK)}${storm}`;
  return { text, blocks: [header], attachments: [{ color: style.color, fallback: text, blocks: details }] };
}

/** The emoji and colour an alert is shown with. */
export function alertStyle(alert: Pick<AlertRecord, 'kind' | 'severity'>): { emoji: string; color: string } {
  return alert.kind === 'completion' && alert.severity === 'info' ? AlertStyle.success : AlertStyle[alert.severity];
}

/**
 * The alert's title on one line (the AlertManager renders one per kind, e.g. "Task campaign-42
 * failed at stage launch"); the kind's name when it is blank.
 */
export function alertTitle(alert: Pick<AlertRecord, 'kind' | 'title'>): string {
  const title = alert.title.replace(/\s+/g, ' ').trim();
  return title === '' ? KIND_WORD[alert.kind] : title;
}

/** A small text bar of ten cells, one filled per full 10 %: 85 % → ▓▓▓▓▓▓▓▓░░. */
export function percentBar(percent: number): string {
  const filled = Math.max(0, Math.min(BAR_CELLS, Math.floor(percent / 10)));
  return '▓'.repeat(filled) + '░'.repeat(BAR_CELLS - filled);
}

function fieldsBlock(alert: AlertRecord): KnownBlock[] {
  const fields = [
    alert.taskId ? `*Task*\n${inlineCode(alert.taskId, MAX_ID)}` : null,
    alert.stage ? `*Stage*\n${inlineCode(alert.stage, MAX_ID)}` : null,
    alert.durationSeconds === null ? null : `*Duration*\n${formatDuration(alert.durationSeconds)}`,
  ].filter((field) => field !== null);
  if (fields.length === 0) return [];
  return [
    {
      type: 'section',
      block_id: AlertBlockId.Fields,
      fields: fields.map((text) => ({ type: 'mrkdwn', text })),
    },
  ];
}

function messageBlock(alert: AlertRecord, title: string): KnownBlock[] {
  const message = alert.message.trim();
  // A failure's rendered message is the error's first line, which the error block shows anyway.
  if (message === '' || message === title || alert.error?.trimStart().startsWith(message)) return [];
  return [
    {
      type: 'section',
      block_id: AlertBlockId.Message,
      text: { type: 'mrkdwn', text: mrkdwnText(message, MAX_MESSAGE) },
    },
  ];
}

function costBlock(alert: AlertRecord): KnownBlock[] {
  if (alert.currentCost === null) return [];
  const percent = budgetPercent(alert);
  const amounts =
    alert.budget === null
      ? `${formatUsd(alert.currentCost)} spent`
      : `${formatUsd(alert.currentCost)} of ${formatUsd(alert.budget)}`;
  const bar = percent === null ? '' : `\`${percentBar(percent)}\`  `;
  const line = `*Cost*  ${bar}${amounts}${percent === null ? '' : ` · ${percent}%`}`;
  return [{ type: 'section', block_id: AlertBlockId.Cost, text: { type: 'mrkdwn', text: line } }];
}

function errorBlock(error: string | null): KnownBlock[] {
  if (error === null || error.trim() === '') return [];
  // Three backticks in a row would close the code block early: a zero-width space between each
  // backtick of a run keeps them readable and inert, and one more keeps the error's own first
  // and last backticks from joining the fence.
  const inert = error.replace(/`{2,}/g, (run) => [...run].join('\u200b'));
  let body = mrkdwnText(inert, MAX_ERROR);
  if (body.startsWith('`')) body = `\u200b${body}`;
  if (body.endsWith('`')) body = `${body}\u200b`;
  return [
    { type: 'section', block_id: AlertBlockId.Error, text: { type: 'mrkdwn', text: `*Error*\n\`\`\`${body}\`\`\`` } },
  ];
}

function stormBlock(alert: AlertRecord, now: Date | undefined): KnownBlock[] {
  if (alert.count <= 1) return [];
  const first = Date.parse(alert.firstSeen);
  const last = Date.parse(alert.lastSeen);
  const span = Number.isNaN(first) || Number.isNaN(last) ? '' : ` in ${formatSpan((last - first) / 1000)}`;
  const format = now && now.getTime() - last > SAME_DAY_MS ? '{date_short_pretty} at {time}' : '{time}';
  const text = `⚠️ ${STORM_VERB[alert.kind]} ${formatCount(alert.count)} times${span} · last at ${slackDate(alert.lastSeen, format)}`;
  return [{ type: 'context', block_id: AlertBlockId.Storm, elements: [{ type: 'mrkdwn', text }] }];
}

function metaBlock(alert: AlertRecord): KnownBlock {
  const text = `${SEVERITY_WORD[alert.severity]} · ${KIND_WORD[alert.kind]} · alert ${inlineCode(alert.id, MAX_ID)}`;
  return { type: 'context', block_id: AlertBlockId.Meta, elements: [{ type: 'mrkdwn', text }] };
}

/** A storm's length, coarse: "45 s", "2 min", "3 h", "2 d". */
function formatSpan(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 1) return 'under 1 s';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
