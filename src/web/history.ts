import { type Request, Router } from 'express';
import { z } from 'zod';
import type { AuditEntry, AuditVerification } from '../approvals/audit.js';
import type { CallbackDelivery } from '../approvals/callbacks.js';
import type { ApprovalQueries } from '../approvals/queries.js';
import { approvalIdSchema } from '../approvals/schema.js';
import type { ApprovalRecord, ApprovalStatus } from '../approvals/types.js';
import { NotFoundError } from '../errors.js';
import { maskDeep } from '../mask.js';
import { truncate } from '../text.js';
import { decisionForms, formatTime, outcomeLine, requestBody, requestMeta, rightsOf } from './approval-view.js';
import { html, type SafeHtml } from './html.js';
import { sendPage } from './layout.js';
import { visitOf } from './session.js';

/** Options of the history routes. */
export interface HistoryOptions {
  gate: { get(id: string): Promise<ApprovalRecord> };
  approvals: ApprovalQueries;
  audit: { forApproval(id: string): Promise<AuditEntry[]>; verify(): Promise<AuditVerification> };
  deliveries: (approvalId: string) => Promise<CallbackDelivery[]>;
  now: () => number;
}

const DECIDED: ApprovalStatus[] = ['approved', 'rejected', 'timeout', 'cancelled'];
const PAGE = 25;

/** The history filters; anything unreadable is dropped (a search form never answers 400). */
const filterSchema = z.object({
  q: z.string().trim().max(200).optional().catch(undefined),
  status: z.enum(DECIDED).optional().catch(undefined),
  approver: z.string().trim().max(200).optional().catch(undefined),
  taskId: z.string().trim().max(200).optional().catch(undefined),
  since: z.iso.date().optional().catch(undefined),
  cursor: z.string().max(2000).optional().catch(undefined),
});

const ENTRY_LABELS: Record<string, string> = {
  requested: 'Requested',
  announced: 'Announced',
  vote: 'Vote',
  decided: 'Decided',
  reminded: 'Reminder sent',
  escalated: 'Escalated',
  delivery: 'Callback delivery',
};

function entryDetails(entry: AuditEntry): string {
  const data = maskDeep(entry.data) as Record<string, unknown>;
  const shown = Object.entries(data)
    .filter(([key, value]) => key !== 'recordHash' && key !== 'contentHash' && value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return truncate(shown.join(' · '), 600);
}

function timeline(entries: AuditEntry[], deliveries: CallbackDelivery[]): SafeHtml {
  const items = entries.map(
    (entry) => html`<li><time datetime="${entry.at}">${formatTime(entry.at)}</time>
      <strong>${ENTRY_LABELS[entry.type] ?? entry.type}</strong>${entry.actor ? html` by ${entry.actor}` : ''}
      <span class="muted">#${entry.seq}</span><div class="details">${entryDetails(entry)}</div></li>`,
  );
  const attempts = deliveries.flatMap((delivery) =>
    delivery.attempts.map(
      (attempt, i) => html`<li><time datetime="${attempt.at}">${formatTime(attempt.at)}</time>
        <strong>Callback attempt ${i + 1}</strong> to ${delivery.url}:
        ${attempt.status === null ? `no answer (${attempt.error ?? 'unknown error'})` : `HTTP ${attempt.status}`}
        <span class="muted">${attempt.durationMs} ms</span></li>`,
    ),
  );
  if (items.length === 0 && attempts.length === 0) return html`<p class="muted">No audit entries yet.</p>`;
  return html`<ol class="timeline">${items}${attempts}</ol>`;
}

function verification(result: AuditVerification): SafeHtml {
  return result.ok
    ? html`<p class="verify ok">✓ The audit chain verifies: ${result.entries} entries intact.</p>`
    : html`<p class="verify broken" role="alert">✗ The audit chain is broken at entry ${result.brokenAt}: ${result.reason}</p>`;
}

/** Decided approvals to search and filter, and each approval's page with its audit timeline. */
export function historyRoutes({ gate, approvals, audit, deliveries, now }: HistoryOptions): Router {
  const router = Router();

  router.get('/history', async (req: Request, res) => {
    const filter = filterSchema.parse(req.query);
    const since = filter.since ? `${filter.since}T00:00:00.000Z` : undefined;
    const page = await approvals
      .list({ ...filter, since, status: filter.status ? [filter.status] : DECIDED, limit: PAGE })
      .catch(() => approvals.list({ ...filter, since, cursor: undefined, status: DECIDED, limit: PAGE }));
    const statusOptions = DECIDED.map(
      (s) => html`<option value="${s}"${filter.status === s ? html` selected` : ''}>${s}</option>`,
    );
    const rows = page.items.map(
      (record) => html`<tr>
        <td><a href="/approvals/${record.id}">${truncate(record.title, 120)}</a></td>
        <td><span class="status ${record.status}">${record.status}</span></td>
        <td>${record.decision?.decidedBy ?? ''}<span class="muted"> ${record.decision ? `via ${record.decision.via}` : ''}</span></td>
        <td>${record.decision ? html`<time datetime="${record.decision.decidedAt}">${formatTime(record.decision.decidedAt)}</time>` : ''}</td>
      </tr>`,
    );
    const next = page.nextCursor
      ? new URLSearchParams({ ...stringsOf(filter), cursor: page.nextCursor }).toString()
      : null;
    const body = html`<form method="get" action="/history" class="filters" role="search">
        <div class="field"><label for="q">Search</label><input type="search" id="q" name="q" value="${filter.q ?? ''}"></div>
        <div class="field"><label for="status">Outcome</label><select id="status" name="status"><option value="">any</option>${statusOptions}</select></div>
        <div class="field"><label for="approver">Approver</label><input id="approver" name="approver" value="${filter.approver ?? ''}"></div>
        <div class="field"><label for="taskId">Task</label><input id="taskId" name="taskId" value="${filter.taskId ?? ''}"></div>
        <div class="field"><label for="since">Since</label><input type="date" id="since" name="since" value="${filter.since ?? ''}"></div>
        <div class="buttons"><button type="submit" class="primary">Filter</button></div>
      </form>
      ${
        rows.length > 0
          ? html`<div class="table-wrap"><table class="history"><caption class="visually-hidden">Decided approvals, newest first</caption>
            <thead><tr><th scope="col">Request</th><th scope="col">Outcome</th><th scope="col">Decided by</th><th scope="col">When</th></tr></thead>
            <tbody>${rows}</tbody></table></div>`
          : html`<p class="empty muted">No decided approval matches.</p>`
      }
      ${next ? html`<p><a href="/history?${next}" rel="next">Older approvals</a></p>` : ''}`;
    sendPage(res, 'History', body, { path: '/history' });
  });

  router.get('/approvals/:id', async (req, res) => {
    const parsed = approvalIdSchema.safeParse(req.params.id);
    if (!parsed.success) throw new NotFoundError('approval', String(req.params.id));
    const record = await gate.get(parsed.data);
    const visit = visitOf(res);
    const [entries, attempts, chain] = await Promise.all([
      audit.forApproval(record.id),
      deliveries(record.id),
      audit.verify(),
    ]);
    const votes = (record.votes ?? []).map(
      (vote) => html`<li>${vote.vote === 'approve' ? 'Approved' : 'Rejected'} by ${vote.voter} via ${vote.via}
        <time datetime="${vote.at}">${formatTime(vote.at)}</time>${vote.feedback ? html`: “${vote.feedback}”` : ''}</li>`,
    );
    const body = html`<p class="lead">${truncate(record.title, 300)}</p>
      ${record.status === 'pending' ? html`<p class="status pending">Waiting for a decision</p>` : outcomeLine(record)}
      ${record.decision?.modifications != null ? html`<p><span class="label">Approved values</span> <code>${JSON.stringify(record.decision.modifications)}</code></p>` : ''}
      ${requestBody(record)}
      ${requestMeta(record, now())}
      ${record.status === 'pending' ? decisionForms(record, rightsOf(record, visit.principal), visit) : ''}
      ${votes.length > 0 ? html`<h2>Votes</h2><ul>${votes}</ul>` : ''}
      <h2>Audit timeline</h2>
      ${verification(chain)}
      ${timeline(entries, attempts)}
      <p class="muted">ID ${record.id}</p>`;
    sendPage(res, 'Approval', body, { path: '/history' });
  });

  return router;
}

function stringsOf(filter: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filter).filter(
      (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '' && e[0] !== 'cursor',
    ),
  );
}
