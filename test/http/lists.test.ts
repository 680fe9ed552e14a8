import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { ManualClock } from '../support/manual-clock.js';

let g: TestGatehouse;
const clock = new ManualClock(Date.parse('2026-03-10T09:00:00.000Z'));

const create = async (id: string, extra: Record<string, unknown> = {}) => {
  const res = await g.api('/api/v1/approvals', { json: { id, title: `Request ${id}`, ...extra } });
  expect(res.status).toBe(201);
};
const decide = async (id: string, decision: 'approve' | 'reject', decidedBy = 'U0ALICE') => {
  const res = await g.api(`/api/v1/approvals/${id}/decision`, { json: { decision, decidedBy } });
  expect(res.status).toBe(200);
};
const list = async (query: string) => {
  const res = await g.api(`/api/v1/approvals${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { approvals: Array<{ id: string; status: string }>; nextCursor: string | null };
};

beforeAll(async () => {
  g = await startGatehouse({ slack: false, clock });
  // Three days of requests, a minute apart within each day.
  await create('deploy-web', { explanation: 'Roll out v2', taskId: 'release-7', context: { service: 'checkout' } });
  await clock.advance(60_000);
  await create('deploy-db', { approvers: ['U0CAROL'], taskId: 'release-7', timeoutSeconds: 7 * 24 * 3600 });
  await clock.advance(90_000);
  await decide('deploy-web', 'approve');
  await clock.advance(24 * 3600_000);
  await create('send-mail', { title: 'Send the newsletter' });
  await clock.advance(300_000);
  await decide('send-mail', 'reject', 'U0BOB');
  await clock.advance(24 * 3600_000);
  await create('delete-data');
});
afterAll(async () => {
  await g.stop();
});

describe('GET /api/v1/approvals', () => {
  it('lists newest first and pages with an opaque cursor until it is null', async () => {
    const first = await list('?limit=2');
    expect(first.approvals.map((a) => a.id)).toEqual(['delete-data', 'send-mail']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await list(`?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.approvals.map((a) => a.id)).toEqual(['deploy-db', 'deploy-web']);
    expect(second.nextCursor).toBeNull();
  });

  it('filters by status, approver, task, time and text', async () => {
    expect((await list('?status=pending')).approvals.map((a) => a.id)).toEqual(['delete-data', 'deploy-db']);
    expect((await list('?status=approved,rejected')).approvals.map((a) => a.id)).toEqual(['send-mail', 'deploy-web']);
    expect((await list('?approver=U0CAROL')).approvals.map((a) => a.id)).toEqual(['deploy-db']);
    // Decided by: U0BOB is a default approver of every request but deploy-db, and decided send-mail.
    expect((await list('?approver=U0BOB&status=rejected')).approvals.map((a) => a.id)).toEqual(['send-mail']);
    expect((await list('?taskId=release-7')).approvals.map((a) => a.id)).toEqual(['deploy-db', 'deploy-web']);
    expect((await list('?since=2026-03-11T00:00:00Z')).approvals.map((a) => a.id)).toEqual([
      'delete-data',
      'send-mail',
    ]);
    expect((await list('?q=NEWSLETTER')).approvals.map((a) => a.id)).toEqual(['send-mail']);
    expect((await list('?q=checkout')).approvals.map((a) => a.id)).toEqual(['deploy-web']);
  });

  it('answers 400 naming each bad parameter, and for a cursor it never handed out', async () => {
    const res = await g.api('/api/v1/approvals?status=maybe&limit=0&since=yesterday&colour=red');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: Array<{ field: string }> };
    expect(body.issues.map((i) => i.field).sort()).toEqual(['colour', 'limit', 'since', 'status.0']);
    const cursor = await g.api('/api/v1/approvals?cursor=bm90LWEtY3Vyc29y');
    expect(cursor.status).toBe(400);
    expect(((await cursor.json()) as { issues: unknown[] }).issues).toEqual([
      { field: 'cursor', message: 'is not a cursor this list handed out (use nextCursor)' },
    ]);
  });

  it('needs the bearer token like the rest of the API', async () => {
    const res = await fetch(`${g.url}/api/v1/approvals`);
    expect(res.status).toBe(401);
  });
});

describe('GET /api/v1/tasks and /api/v1/summary', () => {
  it('lists tasks in the same style and validates its query', async () => {
    const res = await g.api('/api/v1/tasks?status=running,failed&limit=5');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tasks: [], nextCursor: null });
    const bad = await g.api('/api/v1/tasks?status=sleeping');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: Array<{ field: string }> }).issues[0]?.field).toBe('status.0');
  });

  it('sums approvals per day with their time to decision, and alerts of the last 24 h by severity', async () => {
    await g.api('/api/v1/alerts', { json: { kind: 'failure', taskId: 'nightly', stage: 'load', error: 'timed out' } });
    await g.api('/api/v1/alerts', { json: { kind: 'cost_warning', taskId: 'nightly', currentCost: 8, budget: 10 } });
    await g.gatehouse.alerts.idle();
    const res = await g.api('/api/v1/summary?days=3');
    expect(res.status).toBe(200);
    const summary = await res.json();
    expect(summary.days).toBe(3);
    expect(summary.approvals.pending).toBe(2);
    expect(summary.approvals.days).toEqual([
      { day: '2026-03-10', requested: 2, approved: 1, rejected: 0, timeout: 0, cancelled: 0, avgDecisionSeconds: 150 },
      { day: '2026-03-11', requested: 1, approved: 0, rejected: 1, timeout: 0, cancelled: 0, avgDecisionSeconds: 300 },
      { day: '2026-03-12', requested: 1, approved: 0, rejected: 0, timeout: 0, cancelled: 0, avgDecisionSeconds: null },
    ]);
    expect(summary.approvals.decisionSeconds).toEqual({ avg: 225, p95: 300, count: 2 });
    expect(summary.alerts.bySeverity).toEqual({ critical: 1, warning: 1, info: 0 });
    expect(summary.alerts.perHour).toHaveLength(24);
    expect(summary.tasks.counts).toEqual({ running: 0, interrupted: 0, failed: 0, cancelled: 0, completed: 0 });
    expect(summary.tasks.costPerDay.map((d: { day: string }) => d.day)).toEqual([
      '2026-03-10',
      '2026-03-11',
      '2026-03-12',
    ]);
    const bad = await g.api('/api/v1/summary?days=1000');
    expect(bad.status).toBe(400);
  });
});
