import { budgetPercent, formatCount, formatDuration, formatUsd } from '../../alerts/render.js';
import type { AlertKind, AlertRecord, Severity } from '../../alerts/types.js';
import { truncate } from '../../text.js';
import { escapeHtml, layout } from './html.js';

/** Options of `alertEmail`. */
export interface AlertEmailOptions {
  /** Base URL of this Gatehouse, named in the footer. */
  publicUrl: string;
  /** The alert goes by e-mail because Slack could not be reached: says so at the top. */
  fallback?: boolean;
}

/** An alert e-mail, ready for `Mailer.send` once recipients are added. */
export interface AlertEmail {
  subject: string;
  text: string;
  html: string;
}

/** What a fallback e-mail says about why it came by e-mail. */
export const FALLBACK_NOTE = 'Sent by e-mail because Slack could not be reached.';

const SEVERITY_STYLE: Record<Severity, { emoji: string; color: string }> = {
  critical: { emoji: '🔴', color: '#E01E5A' },
  warning: { emoji: '🟠', color: '#F2952F' },
  info: { emoji: '🔵', color: '#1D9BD1' },
};
const SUCCESS_STYLE = { emoji: '✅', color: '#2EB67D' };

const KIND_WORD: Record<AlertKind, string> = {
  failure: 'Failure',
  cost_warning: 'Cost warning',
  budget_exceeded: 'Budget exceeded',
  completion: 'Completed',
  custom: 'Alert',
};

const MAX_SUBJECT = 200;
const MAX_TITLE = 500;
// The manager trims errors already; this only keeps a runaway one from making a huge mail.
const MAX_ERROR = 10_000;

/**
 * The e-mail of an alert (group): subject `[CRITICAL] Task campaign-42 failed at stage launch`
 * (with `(×200)` for a storm), an HTML body with inline styles and every user text escaped, and a
 * plain-text body with the same facts.
 */
export function alertEmail(alert: AlertRecord, options: AlertEmailOptions): AlertEmail {
  const style =
    alert.kind === 'completion' && alert.severity === 'info' ? SUCCESS_STYLE : SEVERITY_STYLE[alert.severity];
  const storm = alert.count > 1 ? ` (×${formatCount(alert.count)})` : '';
  // The AlertManager renders a title per kind ("Task campaign-42 failed at stage launch").
  const title = oneLine(alert.title, MAX_TITLE) || KIND_WORD[alert.kind];
  const prefix = `[${alert.severity.toUpperCase()}] `;
  // The title gives way, so a long one never cuts off the storm counter.
  const subject = `${prefix}${truncate(title, MAX_SUBJECT - prefix.length - storm.length)}${storm}`;
  const error = alert.error?.trim() ? truncate(alert.error, MAX_ERROR) : null;
  const message = alert.message.trim();
  // A failure's rendered message is the error's first line, which the error block shows anyway.
  const shownMessage = message === title || error?.trimStart().startsWith(message) ? '' : message;
  const facts = details(alert);
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const banner = `${style.emoji} ${alert.severity.toUpperCase()} · ${KIND_WORD[alert.kind]}`;

  const text = [
    banner,
    ...(options.fallback ? ['', FALLBACK_NOTE] : []),
    '',
    title,
    ...(shownMessage ? ['', shownMessage] : []),
    '',
    ...facts.map(([label, value]) => `${label}: ${value}`),
    ...(error ? ['', 'Error:', error] : []),
    '',
    '-- ',
    `Gatehouse · ${publicUrl}`,
    '',
  ].join('\n');

  const html = layout(
    subject,
    [
      `<div style="border-left:4px solid ${style.color};padding:4px 0 4px 12px;margin:0 0 16px;font-size:13px;font-weight:600;letter-spacing:0.04em;color:${style.color};">${escapeHtml(banner)}</div>`,
      options.fallback
        ? `<p style="margin:0 0 16px;padding:8px 12px;background-color:#fff7e6;border:1px solid #f2c94c;border-radius:4px;font-size:13px;">${escapeHtml(FALLBACK_NOTE)}</p>`
        : '',
      `<h1 style="margin:0 0 12px;font-size:20px;line-height:1.3;">${escapeHtml(title)}</h1>`,
      shownMessage ? `<p style="margin:0 0 16px;white-space:pre-wrap;">${escapeHtml(shownMessage)}</p>` : '',
      factsTable(facts),
      error
        ? `<p style="margin:16px 0 4px;font-weight:600;">Error</p><pre style="margin:0;padding:12px;background-color:#f4f4f5;border-radius:4px;font-family:Menlo,Consolas,monospace;font-size:12px;line-height:1.4;white-space:pre-wrap;word-break:break-word;">${escapeHtml(error)}</pre>`
        : '',
      `<p style="margin:24px 0 0;font-size:12px;color:#71717a;">Gatehouse · ${link(publicUrl)}</p>`,
    ].join(''),
  );
  return { subject, text, html };
}

/** The facts shown as a table, label first; only those the alert has. */
function details(alert: AlertRecord): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  if (alert.taskId) facts.push(['Task', alert.taskId]);
  if (alert.stage) facts.push(['Stage', alert.stage]);
  if (alert.currentCost !== null) {
    const percent = budgetPercent(alert);
    const amounts =
      alert.budget === null
        ? `${formatUsd(alert.currentCost)} spent`
        : `${formatUsd(alert.currentCost)} of ${formatUsd(alert.budget)}`;
    facts.push(['Cost', percent === null ? amounts : `${amounts} · ${percent}%`]);
  }
  if (alert.durationSeconds !== null) facts.push(['Duration', formatDuration(alert.durationSeconds)]);
  if (alert.count > 1) {
    facts.push(['Occurrences', `${formatCount(alert.count)} times`]);
    facts.push(['First seen', formatTime(alert.firstSeen)]);
    facts.push(['Last seen', formatTime(alert.lastSeen)]);
  } else {
    facts.push(['Seen', formatTime(alert.lastSeen)]);
  }
  facts.push(['Alert', alert.id]);
  return facts;
}

function factsTable(facts: Array<[string, string]>): string {
  const rows = facts.map(
    ([label, value]) =>
      `<tr><td style="padding:4px 16px 4px 0;color:#71717a;white-space:nowrap;vertical-align:top;">${escapeHtml(label)}</td><td style="padding:4px 0;word-break:break-word;">${escapeHtml(value)}</td></tr>`,
  );
  return `<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-size:14px;">${rows.join('')}</table>`;
}

/** A link when the URL is http(s), the escaped text otherwise. */
function link(url: string): string {
  if (!/^https?:\/\//i.test(url)) return escapeHtml(url);
  return `<a href="${escapeHtml(url)}" style="color:#1264a3;">${escapeHtml(url)}</a>`;
}

/** `2024-05-01 10:02:00 UTC`: e-mail has no way to show each reader's own time zone. */
function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Headers are one line: runs of whitespace (newlines included) become one space. */
function oneLine(text: string, max: number): string {
  return truncate(text.replace(/\s+/g, ' ').trim(), max);
}
