import type { ApprovalRecord } from '../approvals/types.js';
import { tally } from '../approvals/voting.js';
import { contextRows, formatTime, maskedRecord, outcomeSentence } from '../email/templates/approval.js';
import { truncate } from '../text.js';
import { html, type SafeHtml } from './html.js';
import { csrfField } from './layout.js';
import { LOCAL_OPERATOR_ID, type Principal, type Visit } from './session.js';

/** Longest reason a web form takes (as the e-mail confirm page). */
export const MAX_REASON = 1500;

/** What the principal may do with a request: approve and reject, reject only, or nothing (and why). */
export interface Rights {
  approve: boolean;
  reject: boolean;
  /** Why not, when something is not allowed. */
  why: string | null;
}

/**
 * The approver rules of the gate as they apply to a page: only listed approvers (anyone when the
 * request lists none), one vote each, and no approving your own request when that is off. The
 * gate checks them again when the decision is made.
 */
export function rightsOf(record: ApprovalRecord, principal: Principal | null): Rights {
  const none = (why: string | null): Rights => ({ approve: false, reject: false, why });
  if (record.status !== 'pending') return none(null);
  if (!principal) return none('Sign in to decide.');
  const who = principal.kind === 'local' ? LOCAL_OPERATOR_ID : (principal.userId ?? '');
  if ((record.votes ?? []).some((vote) => vote.voter === who)) return none('You have voted on this request.');
  if (principal.kind === 'local') return { approve: true, reject: true, why: null };
  if (record.approvers.length > 0 && !record.approvers.includes(who)) {
    return none('You are not an approver of this request.');
  }
  if (record.quorum?.allowSelfApproval === false && record.requestedBy === who) {
    return { approve: false, reject: true, why: 'You asked for this, so you may not approve it.' };
  }
  return { approve: true, reject: true, why: null };
}

/** "in 42 min", "in 3 h 5 min", "2 min ago": for the countdown (the page script keeps it current). */
export function relative(targetMs: number, nowMs: number): string {
  const seconds = Math.round((targetMs - nowMs) / 1000);
  const abs = Math.abs(seconds);
  const text =
    abs < 60
      ? `${abs} s`
      : abs < 3600
        ? `${Math.floor(abs / 60)} min`
        : abs < 86_400
          ? `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min`
          : `${Math.floor(abs / 86_400)} d ${Math.floor((abs % 86_400) / 3600)} h`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** Explanation and context as readable fields, masked and escaped. */
export function requestBody(record: ApprovalRecord): SafeHtml {
  const shown = maskedRecord(record);
  const rows = contextRows(shown.context);
  return html`${shown.explanation.trim() ? html`<p class="explanation">${truncate(shown.explanation.trim(), 4000)}</p>` : ''}
    ${rows.length > 0 ? html`<dl class="context">${rows.map((row) => html`<div><dt>${row.key}</dt><dd>${row.value}</dd></div>`)}</dl>` : ''}`;
}

/** Requester, deadline with its countdown, quorum progress, task. */
export function requestMeta(record: ApprovalRecord, nowMs: number): SafeHtml {
  const votes = tally(record);
  const deadline =
    record.ladder?.onTimeout === 'keep-waiting'
      ? html`no deadline`
      : html`<time datetime="${record.expiresAt}" data-countdown>${relative(Date.parse(record.expiresAt), nowMs)}</time>
        <span class="muted">(${formatTime(record.expiresAt)})</span>`;
  const quorumLabel = `${votes.counted} of ${votes.required} ${votes.unit}`;
  return html`<ul class="meta">
    <li><span class="label">Requested by</span> ${record.requestedBy ?? 'unknown'}</li>
    ${record.status === 'pending' ? html`<li><span class="label">Deadline</span> ${deadline}</li>` : ''}
    <li><span class="label">Quorum</span> ${quorumLabel}
      <progress max="${votes.required}" value="${Math.min(votes.counted, votes.required)}" aria-label="${quorumLabel}"></progress>
      ${votes.rejectedBy.length > 0 ? html`<span class="muted">rejected by ${votes.rejectedBy.join(', ')}</span>` : ''}</li>
    ${record.taskId ? html`<li><span class="label">Task</span> <a href="/tasks/${record.taskId}">${record.taskId}</a></li>` : ''}
  </ul>`;
}

/** The decision buttons of a pending request, or why there are none. */
export function decisionForms(record: ApprovalRecord, rights: Rights, visit: Visit): SafeHtml {
  if (!rights.approve && !rights.reject) return rights.why ? html`<p class="muted">${rights.why}</p>` : html``;
  const key = `a-${record.id}`;
  return html`<form method="post" action="/approvals/${record.id}/decide" class="decide">
    ${csrfField(visit)}
    <label for="${key}-reason">Reason (optional)</label>
    <textarea id="${key}-reason" name="feedback" rows="2" maxlength="${MAX_REASON}"></textarea>
    <div class="buttons">
      ${rights.approve ? html`<button type="submit" name="decision" value="approve" class="approve" aria-describedby="${key}-title">Approve</button>` : ''}
      <button type="submit" name="decision" value="reject" class="reject" aria-describedby="${key}-title">Reject</button>
      ${rights.approve ? html`<button type="submit" form="${key}-changes" class="secondary" aria-describedby="${key}-title">Approve with changes</button>` : ''}
    </div>
  </form>
  ${rights.approve ? html`<form method="get" action="/approvals/${record.id}/changes" id="${key}-changes" hidden></form>` : ''}
  ${rights.why ? html`<p class="muted">${rights.why}</p>` : ''}`;
}

/** One inbox entry: everything an approver needs to decide, and the buttons they may use. */
export function inboxItem(record: ApprovalRecord, principal: Principal | null, visit: Visit, nowMs: number): SafeHtml {
  const key = `a-${record.id}`;
  const title = truncate(maskedRecord(record).title, 300);
  return html`<article class="approval card" data-approval="${record.id}" aria-labelledby="${key}-title">
    <h3 id="${key}-title"><a href="/approvals/${record.id}">${title}</a></h3>
    ${requestBody(record)}
    ${requestMeta(record, nowMs)}
    ${decisionForms(record, rightsOf(record, principal), visit)}
  </article>`;
}

/** The outcome line of a decided request. */
export function outcomeLine(record: ApprovalRecord): SafeHtml {
  return html`<p class="outcome ${record.status}">${outcomeSentence(maskedRecord(record))}</p>`;
}

export { formatTime };
