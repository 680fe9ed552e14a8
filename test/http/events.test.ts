import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { presentApproval } from '../../src/http/approvals.js';
import { requireToken } from '../../src/http/auth.js';
import { errorHandler } from '../../src/http/errors.js';
import { approvalEventRoutes } from '../../src/http/events.js';
import { MemoryStore } from '../../src/store/memory.js';
import { eventually } from '../support/eventually.js';
import { ManualClock } from '../support/manual-clock.js';

const TOKEN = 'events-test-token-0123456789';

/** One parsed event-stream frame: an event, or a comment (`: keep-alive`). */
interface Frame {
  event?: string;
  id?: string;
  // biome-ignore lint/suspicious/noExplicitAny: assertions index into the parsed JSON freely
  data?: any;
  comment?: string;
}

/** Reads an event stream frame by frame from a real HTTP response. */
class StreamReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  ended = false;

  constructor(readonly response: Response) {
    if (!response.body) throw new Error('no body');
    this.reader = response.body.getReader();
  }

  /** The next frame, or null once the server ended the stream. */
  async next(): Promise<Frame | null> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const raw = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseFrame(raw);
      }
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        return null;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }
}

function parseFrame(raw: string): Frame {
  const frame: Frame = {};
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else if (line.startsWith('event: ')) frame.event = line.slice(7);
    else if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
  }
  return frame;
}

let server: Server;
let url: string;
let gate: ApprovalGate;
let shutdown: AbortController;
/** Listeners the routes hold on the current gate right now. */
let listening: { count: number };

async function start(keepAliveMs = 15_000) {
  const clock = new ManualClock();
  gate = new ApprovalGate({ store: new MemoryStore({ clock }), clock });
  const counter = { count: 0 };
  listening = counter;
  const onEvent = gate.onEvent.bind(gate);
  gate.onEvent = (listener) => {
    counter.count++;
    const off = onEvent(listener);
    return () => {
      counter.count--;
      off();
    };
  };
  shutdown = new AbortController();
  const api = express.Router();
  api.use(requireToken(TOKEN));
  api.use(approvalEventRoutes(gate, { keepAliveMs, shutdown: shutdown.signal }));
  api.use(errorHandler(pino({ level: 'silent' }), presentApproval));
  const app = express();
  app.use('/api/v1', api);
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
}

async function open(id: string, signal?: AbortSignal): Promise<StreamReader> {
  const response = await fetch(`${url}/approvals/${id}/events`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal,
  });
  return new StreamReader(response);
}

beforeEach(async () => {
  await start();
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('GET /api/v1/approvals/:id/events', () => {
  it('sends the status, then each event, and ends after the decision', async () => {
    await gate.submit({ id: 'deploy-1', title: 'Deploy', approvers: ['U0ALICE', 'U0BOB'], requiredApprovals: 2 });
    const stream = await open('deploy-1');
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.response.headers.get('cache-control')).toContain('no-cache');

    const status = await stream.next();
    expect(status).toEqual({ event: 'status', id: '0', data: presentApproval(await gate.get('deploy-1')) });

    await gate.decide('deploy-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack' });
    const vote = await stream.next();
    expect(vote).toMatchObject({
      event: 'vote',
      id: '1',
      data: { type: 'vote', approvalId: 'deploy-1', actor: 'U0ALICE' },
    });
    expect(vote?.data.approval.status).toBe('pending');

    await gate.decide('deploy-1', { decision: 'approve', decidedBy: 'U0BOB', via: 'api', feedback: 'ship it' });
    const decided = await stream.next();
    expect(decided).toMatchObject({
      event: 'decided',
      id: '2',
      data: { actor: 'U0BOB', data: { status: 'approved' } },
    });
    expect(decided?.data.approval).toEqual(presentApproval(await gate.get('deploy-1')));
    expect(decided?.data.approval).not.toHaveProperty('version');

    expect(await stream.next()).toBeNull();
    await eventually(
      async () => listening.count,
      (n) => n === 0,
    );
  });

  it("ignores other approvals' events, and ends at once for an approval already decided", async () => {
    await gate.submit({ id: 'a', title: 'A' });
    await gate.submit({ id: 'b', title: 'B' });
    const stream = await open('a');
    expect((await stream.next())?.event).toBe('status');
    await gate.cancel('b', { reason: 'not needed' });
    await gate.cancel('a', { reason: 'plan changed' });
    const next = await stream.next();
    expect(next).toMatchObject({ event: 'decided', data: { approvalId: 'a', data: { status: 'cancelled' } } });

    const late = await open('a');
    expect(await late.next()).toMatchObject({ event: 'status', data: { status: 'cancelled' } });
    expect(await late.next()).toBeNull();
  });

  it('sends a keep-alive comment on the interval', async () => {
    await new Promise((resolve) => server.close(resolve));
    await start(20);
    await gate.submit({ id: 'slow', title: 'Slow' });
    const stream = await open('slow');
    await stream.next();
    expect(await stream.next()).toEqual({ comment: 'keep-alive' });
  });

  it('removes its listener when the client goes away', async () => {
    await gate.submit({ id: 'deploy-2', title: 'Deploy' });
    const gone = new AbortController();
    const stream = await open('deploy-2', gone.signal);
    await stream.next();
    expect(listening.count).toBe(1);
    gone.abort();
    await eventually(
      async () => listening.count,
      (n) => n === 0,
    );
    // The gate goes on without it.
    await gate.decide('deploy-2', { decision: 'reject', decidedBy: 'U0ALICE', via: 'api' });
  });

  it('ends open streams when the server shuts down', async () => {
    await gate.submit({ id: 'deploy-3', title: 'Deploy' });
    const stream = await open('deploy-3');
    await stream.next();
    shutdown.abort();
    expect(await stream.next()).toBeNull();
    expect(listening.count).toBe(0);
  });

  it('answers 404 for an unknown id, 400 for a bad one, 401 without the token', async () => {
    const unknown = await fetch(`${url}/approvals/nope/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toBe('not_found');
    const bad = await fetch(`${url}/approvals/${encodeURIComponent('a b')}/events`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${url}/approvals/nope/events`)).status).toBe(401);
    expect(listening.count).toBe(0);
  });
});
