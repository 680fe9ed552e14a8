import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_NAMESPACE, AuditLog } from '../../src/approvals/audit.js';
import { CallbackSender } from '../../src/approvals/callbacks.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { approvalRoutes, presentApproval } from '../../src/http/approvals.js';
import { auditRoutes } from '../../src/http/audit.js';
import { requireToken } from '../../src/http/auth.js';
import { errorHandler } from '../../src/http/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Versioned } from '../../src/store/types.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const TOKEN = 'audit-test-token-0123456789';

let server: Server;
let url: string;
let store: MemoryStore;
let gate: ApprovalGate;
let audit: AuditLog;

beforeEach(async () => {
  const clock = new ManualClock();
  store = new MemoryStore({ clock });
  gate = new ApprovalGate({ store: store, clock });
  audit = new AuditLog({ store, clock });
  audit.attach();
  const callbacks = new CallbackSender({ secret: 'audit-test-secret', store, clock });
  const api = express.Router();
  api.use(requireToken(TOKEN));
  api.use(express.json());
  api.use(approvalRoutes(gate, new AbortController().signal));
  api.use(auditRoutes(audit, { deliveries: (id) => callbacks.deliveries(id) }));
  api.use(errorHandler(pino({ level: 'silent' }), presentApproval));
  const app = express();
  app.use('/api/v1', api);
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });

/** Creates and decides an approval through the API, then waits for the trail to be written. */
async function decidedThroughApi(id: string) {
  expect((await call('/approvals', { method: 'POST', body: JSON.stringify({ id, title: 'Deploy' }) })).status).toBe(
    201,
  );
  const decision = { decision: 'reject', decidedBy: 'ci-bot', feedback: 'tests red' };
  expect((await call(`/approvals/${id}/decision`, { method: 'POST', body: JSON.stringify(decision) })).status).toBe(
    200,
  );
  await settle();
  await audit.idle();
}

describe('audit API', () => {
  it('GET /approvals/:id/audit lists the trail of one approval, with its callbacks', async () => {
    await decidedThroughApi('deploy-1');
    await decidedThroughApi('deploy-2');
    const res = await call('/approvals/deploy-1/audit');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.entries.map((e: { type: string }) => e.type)).toEqual(['requested', 'decided']);
    expect(body.entries[1]).toMatchObject({
      seq: 2,
      approvalId: 'deploy-1',
      actor: 'ci-bot',
      data: { status: 'rejected', via: 'api', feedback: 'tests red' },
    });
    expect(body.entries[1].prevHash).toBe(body.entries[0].hash);
    expect(body.callbacks).toEqual([]);
  });

  it('answers 404 for an approval with no trail, 400 for a bad id, 401 without the token', async () => {
    const missing = await call('/approvals/nope/audit');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toBe('not_found');
    expect((await call(`/approvals/${encodeURIComponent('a b')}/audit`)).status).toBe(400);
    expect((await fetch(`${url}/audit/verify`)).status).toBe(401);
  });

  it('GET /audit/verify answers 200 for an intact chain and 409 naming where it breaks', async () => {
    await decidedThroughApi('deploy-1');
    await decidedThroughApi('deploy-2');
    const intact = await call('/audit/verify');
    expect(intact.status).toBe(200);
    expect(await intact.json()).toMatchObject({ ok: true, entries: 4 });

    const entries = store.records<Versioned & { data: Record<string, unknown> }>(AUDIT_NAMESPACE);
    const third = await entries.get('000000000003');
    await entries.replace({ ...third!, data: { ...third!.data, title: 'Something else' }, version: 2 }, 1);
    const broken = await call('/audit/verify');
    expect(broken.status).toBe(409);
    expect(await broken.json()).toEqual({ ok: false, brokenAt: 3, reason: expect.stringContaining('edited') });
  });
});
