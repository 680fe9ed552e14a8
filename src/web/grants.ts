import { Router } from 'express';
import { z } from 'zod';
import type { GrantRecord, Grants } from '../approvals/grants.js';
import { parseOrThrow } from '../approvals/schema.js';
import { grantIdSchema } from '../http/grants.js';
import { html } from './html.js';
import { csrfField, sendPage } from './layout.js';
import { LOCAL_OPERATOR_ID, type Principal, visitOf } from './session.js';

/** What the grants page needs of the gate's grants. */
export type WebGrants = Pick<Grants, 'list' | 'revoke' | 'status'>;

const DURATION_WORD = { run: 'for the run', '1h': 'for 1 hour' } as const;

/** Who a revocation is recorded as: the signed-in person, or the local operator. */
const actorOf = (principal: Principal): string =>
  principal.kind === 'local' ? LOCAL_OPERATOR_ID : (principal.userId ?? principal.email ?? principal.name);

/**
 * `/grants`: the standing approvals, newest first, each active one with a Revoke button (a
 * CSRF-checked POST). Anyone signed in may revoke: it only ever brings back asking a person.
 */
export function grantPages(grants: WebGrants): Router {
  const router = Router();

  router.get('/grants', async (_req, res) => {
    const visit = visitOf(res);
    const list = await grants.list({ limit: 100 });
    const row = (grant: GrantRecord) => {
      const status = grants.status(grant);
      const revoke =
        status === 'active'
          ? html`<form method="post" action="/grants/${encodeURIComponent(grant.id)}/revoke">${csrfField(visit)}
              <button type="submit" aria-label="Revoke the grant for ${grant.actionKey} to ${grant.requestedBy}">Revoke</button></form>`
          : '';
      return html`<tr><td><code>${grant.actionKey}</code></td><td>${grant.requestedBy}</td><td>${grant.taskId ?? '—'}</td>
        <td>${DURATION_WORD[grant.duration]}, by ${grant.grantedBy} (<a href="/approvals/${encodeURIComponent(grant.approvalId)}">${grant.approvalId}</a>)</td>
        <td>${status}${status === 'active' ? html` until <time datetime="${grant.expiresAt}">${grant.expiresAt}</time>` : ''}</td><td>${revoke}</td></tr>`;
    };
    const body =
      list.length === 0
        ? html`<p>No grants yet. Approvers make them with “Approve for this run” or “Approve for 1 hour”.</p>`
        : html`<div class="table-wrap"><table class="history"><caption class="visually-hidden">Grants, newest first</caption>
            <thead><tr><th scope="col">Action</th><th scope="col">Requester</th><th scope="col">Task</th><th scope="col">Granted</th><th scope="col">Status</th><th scope="col"></th></tr></thead>
            <tbody>${list.map(row)}</tbody></table></div>`;
    sendPage(res, 'Grants', body, { path: '/grants' });
  });

  router.post('/grants/:id/revoke', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: grantIdSchema }), req.params);
    await grants.revoke(id, { by: actorOf(visitOf(res).principal as Principal), reason: 'revoked on the web' });
    res.redirect(303, '/grants');
  });

  return router;
}
