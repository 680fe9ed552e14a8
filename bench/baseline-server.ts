import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the minimal server keeps of an approval. */
interface Approval {
  id: string;
  title: string;
  status: 'pending' | 'approved' | 'rejected';
  createdAt: string;
  decidedBy: string | null;
}

/** A running minimal server: its base URL and how to stop it. */
export interface BaselineServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * The physical limit Gatehouse is measured against: node:http, a Map and an EventEmitter, with the
 * same wire contract for what the benchmark exercises — bearer token (constant-time), JSON bodies,
 * `GET /api/v1/approvals/:id?wait=` long-poll, an SSE stream, and signed Slack button clicks
 * (v0 HMAC-SHA256 over `v0:{timestamp}:{body}`, five-minute window, constant-time compare).
 */
export async function startBaseline({ token, signingSecret }: { token: string; signingSecret: string }) {
  const approvals = new Map<string, Approval>();
  const decided = new EventEmitter().setMaxListeners(0);
  const expectedAuth = Buffer.from(`Bearer ${token}`);

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const decide = (approval: Approval, decision: string, by: string) => {
    if (approval.status !== 'pending') return false;
    approval.status = decision === 'approve' ? 'approved' : 'rejected';
    approval.decidedBy = by;
    decided.emit(approval.id, approval);
    return true;
  };
  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth);
  };
  const slackSigned = (req: IncomingMessage, body: string) => {
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
    const expected = Buffer.from(
      `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
    );
    const given = Buffer.from(String(req.headers['x-slack-signature'] ?? ''));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const longPoll = (res: ServerResponse, approval: Approval, waitMs: number) => {
    const answer = (record: Approval) => {
      decided.off(approval.id, answer);
      clearTimeout(timer);
      res.off('close', gone);
      json(res, 200, record);
    };
    const gone = () => {
      decided.off(approval.id, answer);
      clearTimeout(timer);
    };
    decided.on(approval.id, answer);
    const timer = setTimeout(() => answer(approval), waitMs);
    res.once('close', gone);
  };

  const stream = (res: ServerResponse, approval: Approval) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write(`event: status\ndata: ${JSON.stringify(approval)}\n\n`);
    if (approval.status !== 'pending') return void res.end();
    const onDecided = (record: Approval) => {
      res.end(`event: decided\ndata: ${JSON.stringify(record)}\n\n`);
    };
    decided.once(approval.id, onDecided);
    res.once('close', () => decided.off(approval.id, onDecided));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
    if (url.pathname === '/slack/events' && req.method === 'POST') {
      if (!slackSigned(req, body)) return json(res, 401, { error: 'bad signature' });
      const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}');
      const action = payload.actions?.[0];
      const approval = approvals.get(String(action?.value));
      if (approval) decide(approval, action.action_id.includes('reject') ? 'reject' : 'approve', payload.user.id);
      res.writeHead(200, { 'content-length': 0 });
      return res.end();
    }
    if (parts[0] !== 'api' || parts[1] !== 'v1' || parts[2] !== 'approvals') return json(res, 404, { error: 'nope' });
    if (!authorized(req)) return json(res, 401, { error: 'unauthorized' });
    if (req.method === 'POST' && parts.length === 3) {
      const input = JSON.parse(body) as { id?: string; title?: string };
      if (typeof input.title !== 'string') return json(res, 400, { issues: [{ field: 'title', message: 'required' }] });
      const id = input.id ?? randomUUID();
      const existing = approvals.get(id);
      if (existing) return json(res, 200, existing);
      const approval: Approval = {
        id,
        title: input.title,
        status: 'pending',
        createdAt: new Date().toISOString(),
        decidedBy: null,
      };
      approvals.set(id, approval);
      return json(res, 201, approval);
    }
    const approval = approvals.get(parts[3] ?? '');
    if (!approval) return json(res, 404, { error: 'not_found' });
    if (req.method === 'GET' && parts.length === 4) {
      const wait = Math.min(Number(url.searchParams.get('wait') ?? 0), 60);
      if (wait > 0 && approval.status === 'pending') return longPoll(res, approval, wait * 1000);
      return json(res, 200, approval);
    }
    if (req.method === 'GET' && parts[4] === 'events') return stream(res, approval);
    if (req.method === 'POST' && parts[4] === 'decision') {
      const input = JSON.parse(body) as { decision: string; decidedBy: string };
      if (!decide(approval, input.decision, input.decidedBy)) return json(res, 409, { error: 'already_decided' });
      return json(res, 200, approval);
    }
    return json(res, 404, { error: 'nope' });
  };

  const server = createServer((req, res) => {
    if (req.method === 'GET') return handle(req, res, '');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch {
        json(res, 400, { error: 'bad request' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies BaselineServer;
}
