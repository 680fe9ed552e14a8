import type { ApprovalRecord, ApprovalStatus, DecisionVia, JsonValue } from '../../approvals/types.js';
import { maskDeep } from '../../mask.js';
import { truncate } from '../../text.js';
import { escapeHtml, layout } from './html.js';

/** An e-mail ready for `Mailer.send` (recipients apart). */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** Where the buttons of an approval e-mail lead: confirm pages, which decide nothing by being opened. */
export interface ApprovalEmailLinks {
  approveUrl: string;
  rejectUrl: string;
  publicUrl: string;
}

/** One row of the context table: a dotted path and its value as text. */
export interface ContextRow {
  key: string;
  value: string;
}

// Kept short enough to read at a glance in a mail client; what is cut is said to be cut.
const MAX_SUBJECT_TITLE = 150;
const MAX_TITLE = 300;
const MAX_EXPLANATION = 4000;
const MAX_ROWS = 50;
const MAX_DEPTH = 4;
const MAX_KEY = 150;
const MAX_VALUE = 500;
const MAX_FEEDBACK = 2000;

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time as `Mon 5 Jan 2026, 10:00 UTC` (written out by hand: the same on every ICU build); an
 * unreadable one as given. Mail clients and pages know nothing of the reader's zone, hence UTC.
 */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const at = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${WEEKDAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
  return `${day}, ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())} UTC`;
}

/** What leaves the process is masked: secrets pasted into a request never reach a mailbox or a page. */
export function maskedRecord(record: ApprovalRecord): ApprovalRecord {
  return {
    ...record,
    title: maskDeep(record.title),
    explanation: maskDeep(record.explanation),
    context: maskDeep(record.context),
    decision: record.decision && { ...record.decision, feedback: maskDeep(record.decision.feedback) },
  };
}

/**
 * A context as table rows: objects are walked up to four levels (`campaign.budget`), anything
 * else is one row; at most fifty rows, plus one saying how many were left out.
 */
export function contextRows(context: JsonValue): ContextRow[] {
  const rows: ContextRow[] = [];
  let total = 0;
  const visit = (value: JsonValue, path: string[]): void => {
    if (isObject(value) && path.length < MAX_DEPTH && (Object.keys(value).length > 0 || path.length === 0)) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
      return;
    }
    total += 1;
    if (rows.length < MAX_ROWS) {
      rows.push({ key: truncate(path.length > 0 ? path.join('.') : 'context', MAX_KEY), value: formatValue(value) });
    }
  };
  if (context !== null) visit(context, []);
  if (total > rows.length) rows.push({ key: '…', value: `${total - rows.length} more fields not shown` });
  return rows;
}

/**
 * The body of a request as HTML, shared by the e-mail and the confirm page: explanation, context
 * table, requester, task, deadline and id. Masks and escapes everything it shows.
 */
export function requestDetailsHtml(record: ApprovalRecord): string {
  const shown = maskedRecord(record);
  const explanation = shown.explanation.trim()
    ? `<p style="margin:0 0 16px;line-height:1.5">${multiline(truncate(shown.explanation.trim(), MAX_EXPLANATION))}</p>`
    : '';
  const rows = contextRows(shown.context)
    .map(
      (row) =>
        `<tr><th style="${CELL}text-align:left;vertical-align:top;white-space:nowrap;color:#555;font-weight:600">${escapeHtml(row.key)}</th>` +
        `<td style="${CELL}word-break:break-word">${multiline(row.value)}</td></tr>`,
    )
    .join('');
  const table = rows
    ? `<table role="presentation" style="border-collapse:collapse;width:100%;margin:0 0 16px;font-size:14px">${rows}</table>`
    : '';
  const meta = metaLines(shown)
    .map(([label, value]) => `<li><strong>${escapeHtml(label)}:</strong> ${escapeHtml(value)}</li>`)
    .join('');
  return `${explanation}${table}<ul style="margin:0 0 16px;padding-left:20px;line-height:1.6;font-size:14px">${meta}</ul>`;
}

/**
 * The e-mail asking for a decision: title, explanation, context, requester, deadline, and two
 * buttons, "Approve…" and "Reject…", that open a confirm page (opening decides nothing: mail
 * scanners open links too).
 */
export function approvalEmail(record: ApprovalRecord, links: ApprovalEmailLinks): EmailContent {
  const shown = maskedRecord(record);
  const title = oneLine(shown.title) || 'Approval request';
  const subject = `[Approval needed] ${truncate(title, MAX_SUBJECT_TITLE)}`;
  const notice =
    'Each link opens a Gatehouse page where you confirm; opening it decides nothing. ' +
    'The links work once, stop working at the deadline, and let whoever holds them decide: do not forward this e-mail.';

  const text = [
    `Approval needed: ${truncate(title, MAX_TITLE)}`,
    '',
    ...(shown.explanation.trim() ? [truncate(shown.explanation.trim(), MAX_EXPLANATION), ''] : []),
    ...contextText(shown.context),
    ...metaLines(shown).map(([label, value]) => `${label}: ${value}`),
    '',
    'Approve… (opens a page where you confirm):',
    links.approveUrl,
    '',
    'Reject… (opens a page where you confirm, with an optional reason):',
    links.rejectUrl,
    '',
    notice,
    '',
    `Gatehouse · ${links.publicUrl}`,
  ].join('\n');

  const buttons =
    `<p style="margin:24px 0">${button(links.approveUrl, 'Approve…', '#007a5a')}&nbsp;&nbsp;` +
    `${button(links.rejectUrl, 'Reject…', '#c0392b')}</p>`;
  const body =
    `<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(truncate(title, MAX_TITLE))}</h1>` +
    `${requestDetailsHtml(record)}${buttons}` +
    `<p style="font-size:12px;color:#666;line-height:1.5">${escapeHtml(notice)}</p>`;
  return { subject, text, html: emailLayout(subject, body, links.publicUrl) };
}

const OUTCOME_WORD: Record<ApprovalStatus, string> = {
  pending: 'Waiting',
  approved: 'Approved',
  rejected: 'Rejected',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
};

const VIA_WORD: Record<DecisionVia, string> = {
  slack: 'in Slack',
  email: 'by e-mail',
  web: 'on the web',
  api: 'through the API',
  system: 'by Gatehouse',
  grant: 'by a standing grant',
};

/** One sentence saying how an approval ended: who, where, when, and the reason if any. */
export function outcomeSentence(record: ApprovalRecord): string {
  const decision = maskedRecord(record).decision;
  if (record.status === 'pending') return 'This request is still waiting for a decision.';
  if (record.status === 'timeout') return `No decision was made by the deadline, ${formatTime(record.expiresAt)}.`;
  if (!decision) return `${OUTCOME_WORD[record.status]}.`;
  const reason = decision.feedback?.trim() ? ` Reason: “${truncate(decision.feedback.trim(), MAX_FEEDBACK)}”` : '';
  // `email:alice@example.com` reads twice as e-mail next to "by e-mail".
  const by = decision.via === 'email' ? decision.decidedBy.replace(/^email:/, '') : decision.decidedBy;
  return `${OUTCOME_WORD[record.status]} by ${by} ${VIA_WORD[decision.via]} on ${formatTime(decision.decidedAt)}.${reason}`;
}

/** The short e-mail sent once a request that was e-mailed is decided: its links no longer work. */
export function approvalOutcomeEmail(record: ApprovalRecord, options: { publicUrl: string }): EmailContent {
  const title = oneLine(maskedRecord(record).title) || 'Approval request';
  const subject = `[${OUTCOME_WORD[record.status]}] ${truncate(title, MAX_SUBJECT_TITLE)}`;
  const sentence = outcomeSentence(record);
  const after = 'The links in the request e-mail no longer work.';
  const text = [truncate(title, MAX_TITLE), '', sentence, '', after, '', `Gatehouse · ${options.publicUrl}`].join('\n');
  const body =
    `<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(truncate(title, MAX_TITLE))}</h1>` +
    `<p style="line-height:1.5">${multiline(sentence)}</p><p style="font-size:12px;color:#666">${escapeHtml(after)}</p>`;
  return { subject, text, html: emailLayout(subject, body, options.publicUrl) };
}

const CELL = 'padding:6px 8px;border-bottom:1px solid #e5e5e5;';

function metaLines(record: ApprovalRecord): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  if (record.requestedBy) lines.push(['Requested by', truncate(record.requestedBy, MAX_KEY)]);
  if (record.taskId) lines.push(['Task', truncate(record.taskId, MAX_KEY)]);
  lines.push(['Decide by', formatTime(record.expiresAt)], ['ID', record.id]);
  return lines;
}

function contextText(context: JsonValue): string[] {
  const rows = contextRows(context);
  if (rows.length === 0) return [];
  return ['Context:', ...rows.map((row) => `  ${row.key}: ${row.value.replace(/\n/g, '\n    ')}`), ''];
}

function formatValue(value: JsonValue): string {
  if (typeof value === 'string') return value.trim() === '' ? '(empty)' : truncate(value, MAX_VALUE);
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return truncate(value.map((item) => String(item)).join(', '), MAX_VALUE) || '(none)';
  }
  return truncate(JSON.stringify(value), MAX_VALUE);
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function multiline(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

function button(href: string, label: string, color: string): string {
  return (
    `<a href="${escapeHtml(href)}" style="display:inline-block;padding:10px 18px;border-radius:6px;` +
    `background:${color};color:#ffffff;text-decoration:none;font-weight:600">${escapeHtml(label)}</a>`
  );
}

function emailLayout(title: string, body: string, publicUrl: string): string {
  const footer = `<p style="margin:24px 0 0;font-size:12px;color:#888">Gatehouse · ${escapeHtml(publicUrl)}</p>`;
  return layout(title, `${body}${footer}`);
}
