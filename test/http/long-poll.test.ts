import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { approvalRoutes, presentApproval } from '../../src/http/approvals.js';
import { errorHandler } from '../../src/http/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { eventually } from '../support/eventually.js';

let server: Server;
let url: string;
let gate: ApprovalGate;
let shutdown: AbortController;
/** Gate subscriptions the routes hold right now, and reads of the store they made. */
let held: { listeners: number; reads: number };
/** Runs inside the next read, before it returns what it read. */
let duringRead: (() => Promise<void>) | undefined;

beforeEach(async () => {
  gate = new ApprovalGate({ store: new MemoryStore() });
  const counts = { listeners: 0, reads: 0 };
  held = counts;
  const onEvent = gate.onEvent.bind(gate);
  gate.onEvent = (listener) => {
    counts.listeners++;
    const off = onEvent(listener);
    return () => {
      counts.listeners--;
      off();
    };
  };
  const get = gate.get.bind(gate);
  gate.get = async (id) => {
    counts.reads++;
    const record = await get(id);
    const hook = duringRead;
    duringRead = undefined;
    await hook?.();
    return record;
  };
  shutdown = new AbortController();
  const app = express();
  app.use(express.json());
  app.use(approvalRoutes(gate, shutdown.signal));
  app.use(errorHandler(pino({ level: 'silent' }), presentApproval));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const poll = (id: string, wait: number, signal?: AbortSignal) =>
  fetch(`${url}/approvals/${id}?wait=${wait}`, { signal }).then(async (res) => ({
    status: res.status,
    body: await res.json(),
  }));

describe('GET /approvals/:id?wait= (long-poll)', () => {
  it('answers with the decision as soon as it is committed, after one read', async () => {
    await gate.submit({ id: 'lp-a', title: 'Deploy' });
    const answer = poll('lp-a', 60);
    await eventually(
      async () => held.listeners,
      (n) => n === 1,
    );
    await gate.decide('lp-a', { decision: 'approve', decidedBy: 'ops', via: 'api' });
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(body).toEqual(presentApproval(await gate.get('lp-a')));
    expect(body.status).toBe('approved');
    expect(held.reads).toBe(2); // the poll's one read, and this test's
    expect(held.listeners).toBe(0);
  });

  it('does not miss a decision committed while the approval is being read', async () => {
    await gate.submit({ id: 'lp-b', title: 'Deploy' });
    duringRead = async () => {
      await gate.cancel('lp-b', { reason: 'superseded' });
    };
    const { body } = await poll('lp-b', 60);
    expect(body.status).toBe('cancelled');
    expect(body.decision.feedback).toBe('superseded');
    expect(held.listeners).toBe(0);
  });

  it('answers an approval already decided at once', async () => {
    await gate.submit({ id: 'lp-c', title: 'Deploy' });
    await gate.decide('lp-c', { decision: 'reject', decidedBy: 'ops', via: 'api' });
    const { body } = await poll('lp-c', 60);
    expect(body.status).toBe('rejected');
    expect(held.reads).toBe(1);
    expect(held.listeners).toBe(0);
  });

  it('answers with the approval as it stands, votes included, when the wait runs out', async () => {
    await gate.submit({ id: 'lp-d', title: 'Deploy', approvers: ['U0A', 'U0B'], requiredApprovals: 2 });
    const answer = poll('lp-d', 0.3);
    await eventually(
      async () => held.listeners,
      (n) => n === 1,
    );
    await gate.decide('lp-d', { decision: 'approve', decidedBy: 'U0A', via: 'api' });
    const { body } = await answer;
    expect(body.status).toBe('pending');
    expect(body.votes).toHaveLength(1);
    expect(held.reads).toBe(1);
    expect(held.listeners).toBe(0);
  });

  it('answers every open long-poll when the server stops, and new ones at once', async () => {
    await gate.submit({ id: 'lp-e', title: 'Deploy' });
    const answers = [poll('lp-e', 60), poll('lp-e', 60)];
    await eventually(
      async () => held.reads,
      (n) => n === 2,
    );
    shutdown.abort();
    for (const { body } of await Promise.all(answers)) expect(body.status).toBe('pending');
    expect(held.listeners).toBe(0);
    expect((await poll('lp-e', 60)).body.status).toBe('pending');
  });

  it('frees its watch when the client goes away', async () => {
    await gate.submit({ id: 'lp-f', title: 'Deploy' });
    const gone = new AbortController();
    const answer = poll('lp-f', 60, gone.signal).catch((error: unknown) => error);
    await eventually(
      async () => held.listeners,
      (n) => n === 1,
    );
    gone.abort();
    expect(await answer).toBeInstanceOf(Error);
    await eventually(
      async () => held.listeners,
      (n) => n === 0,
    );
    // The gate goes on without it.
    const decided = await gate.decide('lp-f', { decision: 'approve', decidedBy: 'ops', via: 'api' });
    expect(decided.status).toBe('approved');
  });

  it('answers 404 for an unknown id and holds nothing', async () => {
    const { status, body } = await poll('nope', 60);
    expect(status).toBe(404);
    expect(body.error).toBe('not_found');
    expect(held.listeners).toBe(0);
  });
});
