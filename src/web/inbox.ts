import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { changedFields, originalValues } from '../approvals/modifications.js';
import type { ApprovalQueries } from '../approvals/queries.js';
import { approvalIdSchema, toFieldIssues } from '../approvals/schema.js';
import type { ApprovalRecord, DecisionInput, JsonValue } from '../approvals/types.js';
import { AlreadyDecidedError, ConflictError, NotAllowedError, NotFoundError, ValidationError } from '../errors.js';
import { inboxItem, MAX_REASON, outcomeLine, requestBody, rightsOf } from './approval-view.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, sendMessage, sendPage } from './layout.js';
import { modificationsInputs, readModifications } from './modifications-form.js';
import { LOCAL_OPERATOR_ID, type Principal, visitOf } from './session.js';

/** What the inbox needs of the gate. */
export interface InboxGate {
  get(id: string): Promise<ApprovalRecord>;
  decide(id: string, input: DecisionInput): Promise<ApprovalRecord>;
}

/** Options of the inbox routes. */
export interface InboxOptions {
  gate: InboxGate;
  approvals: ApprovalQueries;
  now: () => number;
}

/** Most pending requests the inbox shows at once. */
const INBOX_LIMIT = 200;

const decideSchema = z.object({
  decision: z.enum(['approve', 'reject'], 'choose Approve or Reject'),
  feedback: z.string().max(MAX_REASON, `must be at most ${MAX_REASON} characters`).optional(),
  modifications: z.string().max(100_000).optional(),
});

/** The decision as the gate takes it: signed-in people as approvers, the local operator as the API would. */
function decisionFor(
  principal: Principal,
  body: z.infer<typeof decideSchema>,
  modifications: JsonValue | null,
): DecisionInput {
  const feedback = body.feedback?.trim() ? body.feedback.trim() : null;
  const local = principal.kind === 'local';
  return {
    decision: body.decision,
    decidedBy: local ? LOCAL_OPERATOR_ID : (principal.userId ?? ''),
    via: 'web',
    feedback,
    modifications,
    // The local operator may use the API unchecked from this machine; the page is no stricter.
    enforceApprovers: !local,
  };
}

/** The inbox, its live fragments, the decision forms and "Approve with changes". */
export function inboxRoutes({ gate, approvals, now }: InboxOptions): Router {
  const router = Router();
  const idOf = (req: Request) => {
    const parsed = approvalIdSchema.safeParse(req.params.id);
    if (!parsed.success) throw new NotFoundError('approval', String(req.params.id));
    return parsed.data;
  };

  router.get('/', async (_req, res) => {
    const visit = visitOf(res);
    const { items } = await approvals.list({ status: ['pending'], limit: INBOX_LIMIT });
    const mine = items.filter((record) => rightsOf(record, visit.principal).reject);
    const others = items.filter((record) => !mine.includes(record));
    const list = (records: ApprovalRecord[], empty: string, section: string) =>
      html`<div class="list" data-section="${section}">${
        records.length > 0
          ? records.map((record) => inboxItem(record, visit.principal, visit, now()))
          : html`<p class="empty muted">${empty}</p>`
      }</div>`;
    const body = html`<section aria-labelledby="mine-heading">
        <h2 id="mine-heading">Yours to decide <span class="count" data-count="mine">${mine.length}</span></h2>
        ${list(mine, 'Nothing waits for you.', 'mine')}
      </section>
      <section aria-labelledby="others-heading">
        <h2 id="others-heading">All other pending requests <span class="count" data-count="others">${others.length}</span></h2>
        ${list(others, 'No other request is pending.', 'others')}
      </section>`;
    sendPage(res, 'Inbox', body, { path: '/', scripts: ['/static/inbox.js'] });
  });

  // One entry as the inbox shows it, for live updates: 200 with its section, 404 once it is not pending.
  router.get('/inbox/items/:id', async (req, res) => {
    const visit = visitOf(res);
    const record = await gate.get(idOf(req));
    if (record.status !== 'pending') {
      res.status(404).type('text/plain').send(`approval ${record.id} is ${record.status}`);
      return;
    }
    const section = rightsOf(record, visit.principal).reject ? 'mine' : 'others';
    res
      .set('X-Inbox-Section', section)
      .type('html')
      .send(inboxItem(record, visit.principal, visit, now()).value);
  });

  router.post('/approvals/:id/decide', async (req, res) => {
    const id = idOf(req);
    const principal = visitOf(res).principal as Principal;
    const parsed = decideSchema.safeParse(req.body);
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error));
    let modifications: JsonValue | null = null;
    if (parsed.data.modifications) {
      try {
        modifications = JSON.parse(parsed.data.modifications) as JsonValue;
      } catch {
        throw new ValidationError([{ field: 'modifications', message: 'is not valid JSON' }]);
      }
    }
    try {
      await gate.decide(id, decisionFor(principal, parsed.data, modifications));
    } catch (error) {
      if (error instanceof AlreadyDecidedError) return decidedPage(res, req.path, error.approval, 409);
      if (error instanceof NotAllowedError) return sendMessage(res, 403, 'Not allowed', error.message, req.path);
      if (error instanceof ConflictError) return sendMessage(res, 409, 'Already voted', error.message, req.path);
      throw error;
    }
    res.redirect(303, `/approvals/${encodeURIComponent(id)}`);
  });

  router.get('/approvals/:id/changes', async (req, res) => {
    const record = await gate.get(idOf(req));
    changesPage(res, req.path, record, null, {});
  });

  // Checks the edited values with the gate's rules and shows what changes before anything is decided.
  router.post('/approvals/:id/changes', async (req, res) => {
    const record = await gate.get(idOf(req));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const reading = readModifications(record, body);
    if (!reading.ok) return changesPage(res, req.path, record, body, reading.errors);
    reviewPage(res, req.path, record, reading.value);
  });

  return router;
}

function decidedPage(res: Response, path: string, record: ApprovalRecord, status: number): void {
  sendPage(
    res,
    'Already decided',
    html`${outcomeLine(record)}<p><a href="/approvals/${record.id}">See the request and its history</a></p>`,
    { path, status },
  );
}

function changesPage(
  res: Response,
  path: string,
  record: ApprovalRecord,
  posted: Record<string, unknown> | null,
  errors: Record<string, string>,
): void {
  const visit = visitOf(res);
  const rights = rightsOf(record, visit.principal);
  if (record.status !== 'pending') {
    decidedPage(res, path, record, 409);
    return;
  }
  if (!rights.approve) {
    sendMessage(res, 403, 'Not allowed', rights.why ?? 'You may not approve this request.', path);
    return;
  }
  const problems = Object.entries(errors);
  const summary: SafeHtml | string =
    problems.length > 0
      ? html`<div class="error-summary" role="alert"><h2>Check these values</h2><ul>${problems.map(
          ([field, message]) => html`<li><a href="#field-${field}">${field}</a>: ${message}</li>`,
        )}</ul></div>`
      : '';
  const body = html`<p class="lead">${record.title}</p>
    ${summary}
    ${requestBody(record)}
    <form method="post" action="/approvals/${record.id}/changes" class="changes-form">
      ${csrfField(visit)}
      <fieldset><legend>Values to approve</legend>${modificationsInputs(record, posted, errors)}</fieldset>
      <div class="buttons"><button type="submit" class="primary">Review changes</button>
      <a href="/" class="button secondary">Cancel</a></div>
    </form>`;
  sendPage(res, 'Approve with changes', body, { path, status: problems.length > 0 ? 400 : 200 });
}

function reviewPage(res: Response, path: string, record: ApprovalRecord, value: JsonValue): void {
  const visit = visitOf(res);
  const original = originalValues(record);
  const changes = changedFields(original, value);
  const cell = (v: JsonValue | undefined) =>
    v === undefined ? html`<span class="muted">(none)</span>` : JSON.stringify(v);
  const diff =
    changes.length > 0
      ? html`<table class="diff"><caption>What changes</caption>
          <thead><tr><th scope="col">Field</th><th scope="col">Asked for</th><th scope="col">You approve</th></tr></thead>
          <tbody>${changes.map((c) => html`<tr><th scope="row">${c.name}</th><td class="from"><del>${cell(c.from)}</del></td><td class="to"><ins>${cell(c.to)}</ins></td></tr>`)}</tbody>
        </table>`
      : html`<p class="notice">Nothing changed: confirming approves the request as asked.</p>`;
  const body = html`<p class="lead">${record.title}</p>
    ${diff}
    <form method="post" action="/approvals/${record.id}/decide">
      ${csrfField(visit)}
      <input type="hidden" name="decision" value="approve">
      <input type="hidden" name="modifications" value="${JSON.stringify(value)}">
      <div class="field"><label for="review-reason">Reason (optional)</label>
      <textarea id="review-reason" name="feedback" rows="2" maxlength="${MAX_REASON}"></textarea></div>
      <div class="buttons"><button type="submit" class="approve">Confirm approval with changes</button>
      <a href="/approvals/${record.id}/changes" class="button secondary">Edit again</a></div>
    </form>`;
  sendPage(res, 'Review your changes', body, { path });
}
