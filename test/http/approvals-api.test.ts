import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

let g: TestGatehouse;
beforeAll(async () => {
  g = await startGatehouse({ slack: false });
});
afterAll(async () => {
  await g.stop();
});

const create = (body: Record<string, unknown>) => g.api('/api/v1/approvals', { json: body });

describe('approvals API', () => {
  it('creates a request (201), returns the same one for the same id (200), in the documented shape', async () => {
    const first = await create({ id: 'deploy-42', title: 'Deploy v2', context: { env: 'prod' }, timeoutSeconds: 120 });
    expect(first.status).toBe(201);
    const body = await first.json();
    expect(body).toMatchObject({
      id: 'deploy-42',
      status: 'pending',
      title: 'Deploy v2',
      explanation: '',
      context: { env: 'prod' },
      approvers: ['U0ALICE', 'U0BOB'],
      decision: null,
    });
    expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt)).toBe(120_000);
    expect(body).not.toHaveProperty('version');

    const again = await create({ id: 'deploy-42', title: 'Deploy v2', context: { env: 'prod' }, timeoutSeconds: 120 });
    expect(again.status).toBe(200);
    expect((await again.json()).createdAt).toBe(body.createdAt);
  });

  it('refuses the same id with different content (409 naming what differs), so no old approval covers a new ask', async () => {
    await create({ id: 'stale-1', title: 'Spend', context: { budget: 50000, region: 'EU' } });
    const res = await create({ id: 'stale-1', title: 'Spend', context: { budget: 90000, region: 'EU' } });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error).toBe('stale_request');
    expect(body.differences).toEqual(['context.budget']);
    expect(body.approval.context.budget).toBe(50000);
  });

  it('generates an id when none is given', async () => {
    const res = await create({ title: 'No id' });
    expect(res.status).toBe(201);
    expect((await res.json()).id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 400 naming each wrong field, and stores nothing', async () => {
    const res = await create({ id: 'bad-1', title: '', approvers: ['alice'], timeoutSeconds: 'soon', colour: 'red' });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe('invalid_request');
    expect(body.issues.map((i: { field: string }) => i.field).sort()).toEqual([
      'approvers.0',
      'colour',
      'timeoutSeconds',
      'title',
    ]);
    expect((await g.api('/api/v1/approvals/bad-1')).status).toBe(404);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await g.api('/api/v1/approvals', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title": "x",',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).issues[0].field).toBe('body');
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await create({ title: 'big', explanation: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toBe('payload_too_large');
  });

  it('answers 401 without the token or with a wrong one', async () => {
    const none = await fetch(`${g.url}/api/v1/approvals/deploy-42`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await fetch(`${g.url}/api/v1/approvals/deploy-42`, {
      headers: { authorization: `Bearer ${API_TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
  });

  it('answers 404 for an unknown id and an unknown route', async () => {
    expect((await g.api('/api/v1/approvals/missing')).status).toBe(404);
    expect(
      (await g.api('/api/v1/approvals/missing/decision', { json: { decision: 'approve', decidedBy: 'x' } })).status,
    ).toBe(404);
    expect((await g.api('/api/v1/nothing-here')).status).toBe(404);
  });

  it('decides once: the second decision is a 409 carrying the first', async () => {
    await create({ id: 'dec-1', title: 'T' });
    const ok = await g.api('/api/v1/approvals/dec-1/decision', {
      json: { decision: 'reject', decidedBy: 'ci-bot', feedback: 'tests red' },
    });
    expect(ok.status).toBe(200);
    expect((await ok.json()).decision).toMatchObject({ decidedBy: 'ci-bot', via: 'api', feedback: 'tests red' });

    const late = await g.api('/api/v1/approvals/dec-1/decision', {
      json: { decision: 'approve', decidedBy: 'someone' },
    });
    expect(late.status).toBe(409);
    const body = await late.json();
    expect(body.approval).toMatchObject({ status: 'rejected', decision: { decidedBy: 'ci-bot' } });
  });

  it('names wrong decision fields', async () => {
    await create({ id: 'dec-2', title: 'T' });
    const res = await g.api('/api/v1/approvals/dec-2/decision', { json: { decision: 'maybe' } });
    expect(res.status).toBe(400);
    const fields = (await res.json()).issues.map((i: { field: string }) => i.field).sort();
    expect(fields).toEqual(['decidedBy', 'decision']);
  });

  it('cancels a pending request, and refuses to cancel a decided one (409)', async () => {
    await create({ id: 'can-1', title: 'T' });
    const res = await g.api('/api/v1/approvals/can-1/cancel', { json: { reason: 'superseded' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'cancelled', decision: { feedback: 'superseded', via: 'api' } });
    expect((await g.api('/api/v1/approvals/can-1/cancel', { method: 'POST' })).status).toBe(409);
  });

  it('holds a long-poll open until the decision, then answers at once', async () => {
    await create({ id: 'lp-1', title: 'T' });
    const started = performance.now();
    const poll = g.api('/api/v1/approvals/lp-1?wait=30');
    setTimeout(() => {
      void g.api('/api/v1/approvals/lp-1/decision', { json: { decision: 'approve', decidedBy: 'ops' } });
    }, 100);
    const res = await poll;
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('approved');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('answers a long-poll with the pending request when its wait runs out', async () => {
    await create({ id: 'lp-2', title: 'T' });
    const res = await g.api('/api/v1/approvals/lp-2?wait=0.2');
    expect((await res.json()).status).toBe('pending');
  });

  it('refuses a wait that is not a number', async () => {
    const res = await g.api('/api/v1/approvals/lp-2?wait=soon');
    expect(res.status).toBe(400);
    expect((await res.json()).issues[0].field).toBe('wait');
  });

  it('never decides on a GET', async () => {
    await create({ id: 'get-1', title: 'T' });
    await g.api('/api/v1/approvals/get-1/decision');
    await g.api('/api/v1/approvals/get-1/cancel');
    expect((await (await g.api('/api/v1/approvals/get-1')).json()).status).toBe('pending');
  });

  it('reports health without a token', async () => {
    const res = await fetch(`${g.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', store: 'ok', slack: 'off' });
  });
});

describe('metrics', () => {
  it('serves Prometheus metrics behind the token, counting requests and decisions', async () => {
    expect((await fetch(`${g.url}/metrics`)).status).toBe(401);
    const res = await g.api('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^gatehouse_approvals_requested_total \d+/m);
    expect(text).toMatch(/gatehouse_approvals_decided_total\{status="rejected",via="api"\} [1-9]/);
    expect(text).toMatch(/^gatehouse_approvals_pending \d+/m);
  });
});

describe('stopping', () => {
  it('answers open long-polls and stops accepting', async () => {
    const own = await startGatehouse({ slack: false });
    await own.api('/api/v1/approvals', { json: { id: 'stop-1', title: 'T' } });
    const poll = own.api('/api/v1/approvals/stop-1?wait=60');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = own.stop();
    const res = await poll;
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('pending');
    await stopped;
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  });
});

describe('without a token', () => {
  it('answers loopback clients', async () => {
    const open = await startGatehouse({ slack: false, env: { GATEHOUSE_API_TOKEN: '' } });
    try {
      const res = await fetch(`${open.url}/api/v1/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'from localhost' }),
      });
      expect(res.status).toBe(201);
      // Relayed by a proxy on this machine: it came from elsewhere, so no token means no answer.
      const relayed = await fetch(`${open.url}/api/v1/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
        body: JSON.stringify({ title: 'through a proxy' }),
      });
      expect(relayed.status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});
