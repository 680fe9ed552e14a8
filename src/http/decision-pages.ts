import express, { type ErrorRequestHandler, type Response, Router } from 'express';
import { type Logger, pino } from 'pino';
import type { ApprovalGate } from '../approvals/gate.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import {
  DECISION_LINKS_NAMESPACE,
  type DecisionTokenFailure,
  type PublicUrl,
  resolvePublicUrl,
  type UsedLink,
  UsedLinks,
  verifyDecisionToken,
} from '../email/links.js';
import { formatTime, maskedRecord, outcomeSentence, requestDetailsHtml } from '../email/templates/approval.js';
import { escapeHtml } from '../email/templates/html.js';
import { AlreadyDecidedError, NotFoundError } from '../errors.js';
import type { Store } from '../store/types.js';
import { truncate } from '../text.js';
import { FORM_TOKEN_FIELD, fromOwnPage, issueFormToken, validFormToken } from './form-guard.js';

/** Options of `decisionPages`. */
export interface DecisionPagesOptions {
  gate: ApprovalGate;
  /** Holds the used links (`decision-links` namespace). */
  store: Pick<Store, 'keyv'>;
  /** Key the links were signed with (`resolveLinkSecret`). */
  secret: string;
  /** Base URL of Gatehouse, shown at the foot of each page. */
  publicUrl: PublicUrl;
  logger?: Logger;
  clock?: Clock;
}

/**
 * Longest reason the form takes: ample for a reason, and even in a script whose characters take
 * nine bytes once form-encoded it stays under the 16 kB body limit.
 */
const MAX_REASON = 1500;

const HEADERS = {
  // The URL is a capability: never cached, never sent on as a referrer, never indexed.
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex',
  'X-Content-Type-Options': 'nosniff',
  // No scripts at all, no framing (a framed confirm button could be clicked by trickery).
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const TOKEN_FAILURES: Record<DecisionTokenFailure, { status: number; title: string; message: string }> = {
  malformed: {
    status: 400,
    title: 'This is not a complete decision link',
    message: 'The address may have been cut when it was copied. Open the link straight from the e-mail.',
  },
  forged: {
    status: 403,
    title: 'This decision link is not valid',
    message:
      'Its signature does not match: the link was altered, or it was signed with a key this Gatehouse no longer uses.',
  },
  expired: {
    status: 410,
    title: 'This decision link has expired',
    message: 'Decision links stop working at the deadline of their request, and this deadline has passed.',
  },
};

/**
 * The pages behind the links of approval e-mails, mounted at `/decisions`. Opening a link (GET,
 * HEAD) only shows the request and a confirm form: mail scanners open links. The POST of that
 * form decides, once per link and once per approval.
 */
export function decisionPages(options: DecisionPagesOptions): Router {
  const { gate, secret } = options;
  const publicUrl = () => resolvePublicUrl(options.publicUrl);
  const logger = options.logger ?? pino({ level: 'silent' });
  const clock = options.clock ?? systemClock;
  const used = new UsedLinks(options.store.keyv(DECISION_LINKS_NAMESPACE));
  const router = Router();
  const render = (res: Response, status: number, title: string, body: string) =>
    res
      .status(status)
      .type('html')
      .send(page(title, body, publicUrl()));

  /** The link's payload and its approval, or an error page already sent. */
  const open = async (token: string, res: Response) => {
    const check = verifyDecisionToken(token, secret, clock.now());
    if (!check.ok) {
      const failure = TOKEN_FAILURES[check.reason];
      render(res, failure.status, failure.title, `<p>${escapeHtml(failure.message)}</p>`);
      return undefined;
    }
    try {
      return { payload: check.payload, record: await gate.get(check.payload.approvalId) };
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      render(res, 404, 'Unknown approval request', '<p>This Gatehouse holds no approval request for this link.</p>');
      return undefined;
    }
  };

  /** The 409 page of a request that is no longer pending, or of a link that was used already. */
  const closed = (res: Response, record: ApprovalRecord, use: UsedLink | undefined) => {
    const title = use ? 'This link was already used' : 'This request was already decided';
    const usedLine = use
      ? `<p>It was used on ${escapeHtml(formatTime(use.usedAt))} to ${use.action} the request.</p>`
      : '';
    render(res, 409, title, `${usedLine}${outcomeHtml(record)}${requestHtml(record)}`);
  };

  /** A POST that did not come from the page this link shows: nothing decided, the link still works. */
  const refuseForm = (res: Response) =>
    render(
      res,
      403,
      'Confirm on the decision page',
      '<p>This confirmation did not come from the page of its link, so nothing was decided. Open the link from the e-mail again and confirm there.</p>',
    );

  router.use((_req, res, next) => {
    res.set(HEADERS);
    next();
  });

  router.get('/:token', async (req, res) => {
    const opened = await open(req.params.token, res);
    if (!opened) return;
    const { payload, record } = opened;
    const use = await used.get(payload.nonce);
    if (record.status !== 'pending' || use) return closed(res, record, use);
    const approve = payload.action === 'approve';
    const formToken = issueFormToken(res, {
      secret,
      bindTo: payload.nonce,
      path: req.baseUrl || '/',
      secure: publicUrl().startsWith('https:'),
    });
    const as = payload.recipient ? `<p class="muted">You decide as ${escapeHtml(payload.recipient)}.</p>` : '';
    const form =
      `<form method="post"><input type="hidden" name="${FORM_TOKEN_FIELD}" value="${escapeHtml(formToken)}">` +
      `<label for="reason">Reason (optional)</label>` +
      `<textarea id="reason" name="reason" rows="4" maxlength="${MAX_REASON}"></textarea>${as}` +
      `<button type="submit" class="${approve ? 'approve' : 'reject'}">${approve ? 'Confirm approval' : 'Confirm rejection'}</button></form>`;
    render(
      res,
      200,
      approve ? 'Approve this request?' : 'Reject this request?',
      `${requestHtml(record)}<p><strong>Status:</strong> waiting for a decision</p>${form}`,
    );
  });

  router.post('/:token', express.urlencoded({ limit: '16kb', extended: false }), async (req, res) => {
    if (!fromOwnPage(req, publicUrl())) return refuseForm(res);
    const opened = await open(req.params.token, res);
    if (!opened) return;
    const { payload, record } = opened;
    if (record.status !== 'pending') return closed(res, record, await used.get(payload.nonce));
    const sent = (req.body as Record<string, unknown> | undefined)?.[FORM_TOKEN_FIELD];
    if (!validFormToken(req, secret, payload.nonce, sent)) return refuseForm(res);
    if (!(await used.claim(payload, clock.now()))) {
      return closed(res, await gate.get(record.id), await used.get(payload.nonce));
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const reason = typeof body.reason === 'string' ? body.reason.trim().slice(0, MAX_REASON) : '';
    let decided: ApprovalRecord;
    try {
      decided = await gate.decide(record.id, {
        decision: payload.action,
        decidedBy: payload.recipient ? `email:${payload.recipient}` : 'email link',
        via: 'email',
        feedback: reason === '' ? null : reason,
      });
    } catch (error) {
      // Decided elsewhere in the meantime: say by whom, not that this very request used the link.
      if (error instanceof AlreadyDecidedError) return closed(res, error.approval, undefined);
      // Not the link's fault: it stays usable for another try.
      await used.release(payload.nonce).catch((releaseError: unknown) => {
        logger.error({ err: releaseError, approvalId: record.id }, 'could not release a decision link');
      });
      throw error;
    }
    render(
      res,
      200,
      decided.status === 'approved' ? 'Approved' : 'Rejected',
      `${outcomeHtml(decided)}<p>Whoever waits for this decision has been told. You can close this page.</p>${requestHtml(decided)}`,
    );
  });

  const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    const { type, status } = (error ?? {}) as { type?: string; status?: number };
    if (type === 'entity.too.large') {
      render(res, 413, 'The reason is too long', '<p>Shorten the reason and confirm again; nothing was decided.</p>');
    } else if (type === 'entity.parse.failed' || type === 'charset.unsupported' || type === 'encoding.unsupported') {
      render(res, 400, 'The form could not be read', '<p>Nothing was decided. Go back and confirm again.</p>');
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      // An address that cannot even be decoded (`/decisions/%ff`) is not a link this Gatehouse sent.
      const failure = TOKEN_FAILURES.malformed;
      render(res, 400, failure.title, `<p>${escapeHtml(failure.message)}</p>`);
    } else {
      logger.error({ err: error }, 'decision page failed');
      render(res, 500, 'Something went wrong', '<p>Nothing was decided. Try again in a moment.</p>');
    }
  };
  router.use(onError);
  return router;
}

function requestHtml(record: ApprovalRecord): string {
  const title = truncate(maskedRecord(record).title.replace(/\s+/g, ' ').trim(), 300) || 'Approval request';
  return `<section class="request"><h2>${escapeHtml(title)}</h2>${requestDetailsHtml(record)}</section>`;
}

function outcomeHtml(record: ApprovalRecord): string {
  return `<p class="outcome ${record.status}">${escapeHtml(outcomeSentence(record)).replace(/\r?\n/g, '<br>')}</p>`;
}

const STYLE = `
body{margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d1c1d}
main{max-width:680px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 28px}
h1{font-size:22px;margin:0 0 16px}h2{font-size:18px;margin:16px 0 12px}
.request{border-top:1px solid #e5e5e5;margin-top:16px}
.outcome{padding:12px 14px;border-radius:6px;background:#f0f0f0;line-height:1.5}
.outcome.approved{background:#e6f4ea}.outcome.rejected,.outcome.cancelled{background:#fdecea}.outcome.timeout{background:#fff4e0}
label{display:block;font-weight:600;margin:16px 0 6px}
textarea{width:100%;box-sizing:border-box;font:inherit;padding:8px;border:1px solid #ccc;border-radius:6px}
button{margin-top:16px;padding:10px 20px;border:0;border-radius:6px;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button.approve{background:#007a5a}button.reject{background:#c0392b}
.muted,footer{color:#777;font-size:13px}footer{max-width:680px;margin:12px auto}`;

function page(title: string, body: string, publicUrl: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">` +
    `<title>${escapeHtml(title)} · Gatehouse</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(title)}</h1>${body}</main>` +
    `<footer>Gatehouse · ${escapeHtml(publicUrl)}</footer></body></html>`
  );
}
