import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signCallback, verifyCallbackSignature } from '../../src/approvals/callback-signature.js';
import { CallbackSender, type CallbackSenderOptions, type Sleep } from '../../src/approvals/callbacks.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { presentApproval } from '../../src/http/approvals.js';
import { MemoryStore } from '../../src/store/memory.js';
import { eventually } from '../support/eventually.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const SECRET = 'callback-secret-0123456789abcdef';

interface Received {
  path: string;
  body: string;
  timestamp: string;
  signature: string;
  /** Checked as a receiver following the README would: HMAC-SHA256 of `v1:<timestamp>:<body>`. */
  signedAsDocumented: boolean;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Holds the answer this long (real ms). */
  delayMs?: number;
}

/** A loopback callback receiver answering from a script (then 200), recording every request. */
class Receiver {
  readonly received: Received[] = [];
  script: Reply[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const timestamp = String(req.headers['x-gatehouse-timestamp']);
        const signature = String(req.headers['x-gatehouse-signature']);
        const expected = `v1=${createHmac('sha256', SECRET).update(`v1:${timestamp}:${body}`).digest('hex')}`;
        receiver.received.push({
          path: req.url ?? '',
          body,
          timestamp,
          signature,
          signedAsDocumented: signature === expected,
        });
        const reply = receiver.script.shift() ?? { status: 200 };
        setTimeout(() => res.writeHead(reply.status, reply.headers).end('{}'), reply.delayMs ?? 0);
      });
    });
    return receiver;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let receiver: Receiver;
let store: MemoryStore;
let clock: ManualClock;
let delays: number[];
/** Records each wait and moves the clock by it, so nothing really waits. */
const recordingSleep: Sleep = async (ms) => {
  delays.push(ms);
  await clock.advance(ms);
};

beforeEach(async () => {
  receiver = await Receiver.start();
  clock = new ManualClock();
  store = new MemoryStore({ clock });
  delays = [];
});
afterEach(() => receiver.close());

function setup(options: Partial<CallbackSenderOptions> = {}) {
  const gate = new ApprovalGate({ store: store, clock });
  const sender = new CallbackSender({ secret: SECRET, store, clock, sleep: recordingSleep, ...options });
  sender.attach(gate);
  return { gate, sender };
}

/** Asks for an approval with a callback to the receiver and approves it; resolves once delivery settled. */
async function approveWithCallback(gate: ApprovalGate, sender: CallbackSender, id = 'deploy-1', path = '/hook') {
  await gate.submit({ id, title: 'Deploy v2', context: { env: 'prod' }, callbackUrl: `${receiver.url}${path}` });
  const decided = await gate.decide(id, { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack', feedback: 'go' });
  await eventually(
    () => sender.deliveries(id),
    (found) => found.length > 0,
  );
  await sender.idle();
  return decided;
}

describe('CallbackSender', () => {
  it('retries 500, 500, then delivers on 200, signed every time, with backoff 1 s then 2 s', async () => {
    const { gate, sender } = setup();
    receiver.script = [{ status: 500 }, { status: 500 }, { status: 200 }];
    const decided = await approveWithCallback(gate, sender, 'deploy-1', '/hook?token=receiver-own');

    expect(receiver.received).toHaveLength(3);
    expect(delays).toEqual([1000, 2000]);
    for (const request of receiver.received) {
      expect(request.path).toBe('/hook?token=receiver-own');
      expect(request.signedAsDocumented).toBe(true);
      expect(verifyCallbackSignature({ ...request, secret: SECRET, now: clock.now() })).toBe(true);
      expect(JSON.parse(request.body)).toEqual({ event: 'approval.decided', approval: presentApproval(decided) });
    }
    // Each attempt is signed with its own time (the clock moved by the waits).
    expect(receiver.received.map((r) => Number(r.timestamp) - Number(receiver.received[0]?.timestamp))).toEqual([
      0, 1, 3,
    ]);

    const [delivery] = await sender.deliveries('deploy-1');
    expect(delivery).toMatchObject({
      approvalId: 'deploy-1',
      state: 'delivered',
      delivered: true,
      nextAttemptAt: null,
    });
    expect(delivery?.attempts.map((a) => [a.status, a.error])).toEqual([
      [500, 'HTTP 500'],
      [500, 'HTTP 500'],
      [200, null],
    ]);
    expect(delivery?.attempts.every((a) => a.durationMs >= 0)).toBe(true);
    expect(delivery).not.toHaveProperty('body');
  });

  it('does not retry a 400: the receiver refused for good', async () => {
    const { gate, sender } = setup();
    receiver.script = [{ status: 400 }];
    await approveWithCallback(gate, sender);
    expect(receiver.received).toHaveLength(1);
    expect(delays).toEqual([]);
    const [delivery] = await sender.deliveries('deploy-1');
    expect(delivery).toMatchObject({ state: 'failed', delivered: false, attempts: [{ status: 400 }] });
  });

  it('retries 408 and 429, waiting at least what Retry-After asks (capped at maxDelayMs)', async () => {
    const { gate, sender } = setup({ maxDelayMs: 60_000 });
    const inTwoMinutes = new Date(clock.now() + 120_000).toUTCString();
    receiver.script = [
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 408 },
      { status: 503, headers: { 'retry-after': inTwoMinutes } },
    ];
    await approveWithCallback(gate, sender);
    expect(delays).toEqual([7000, 2000, 60_000]);
    expect((await sender.deliveries('deploy-1'))[0]?.delivered).toBe(true);
  });

  it('gives up after the retry bound, with exponential waits capped at maxDelayMs', async () => {
    const { gate, sender } = setup({ retries: 4, minDelayMs: 1000, maxDelayMs: 5000 });
    receiver.script = Array.from({ length: 10 }, () => ({ status: 502 }));
    await approveWithCallback(gate, sender);
    expect(delays).toEqual([1000, 2000, 4000, 5000]);
    const [delivery] = await sender.deliveries('deploy-1');
    expect(delivery).toMatchObject({ state: 'failed', delivered: false, nextAttemptAt: null });
    expect(delivery?.attempts).toHaveLength(5);
  });

  it('records a refused connection and a timeout as attempts without a status, and retries them', async () => {
    const { gate, sender } = setup({ timeoutMs: 100 });
    receiver.script = [{ status: 200, delayMs: 1000 }];
    await approveWithCallback(gate, sender);
    const attempts = (await sender.deliveries('deploy-1'))[0]?.attempts ?? [];
    expect(attempts.map((a) => [a.status, a.error])).toEqual([
      [null, 'no answer within 100 ms'],
      [200, null],
    ]);

    await receiver.close();
    const down = setup({ retries: 1 });
    await approveWithCallback(down.gate, down.sender, 'deploy-2');
    const refused = (await down.sender.deliveries('deploy-2'))[0];
    expect(refused?.state).toBe('failed');
    expect(refused?.attempts.map((a) => a.status)).toEqual([null, null]);
    expect(refused?.attempts[0]?.error).toMatch(/ECONNREFUSED/);
  });

  it('resumes an undelivered callback after a restart, and sends it once however many senders start', async () => {
    const first = setup({
      // Stopped while waiting for the retry.
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    });
    receiver.script = [{ status: 500 }];
    await first.gate.submit({ id: 'deploy-1', title: 'Deploy', callbackUrl: `${receiver.url}/hook` });
    await first.gate.decide('deploy-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api' });
    await eventually(
      () => first.sender.deliveries('deploy-1'),
      ([d]) => d?.attempts.length === 1,
    );
    await first.sender.stop();
    expect((await first.sender.deliveries('deploy-1'))[0]?.state).toBe('pending');

    const restarted = [1, 2].map(() => new CallbackSender({ secret: SECRET, store, clock, sleep: recordingSleep }));
    expect(await Promise.all(restarted.map((sender) => sender.start()))).toEqual([{ resumed: 1 }, { resumed: 1 }]);
    await Promise.all(restarted.map((sender) => sender.idle()));
    await settle();

    expect(receiver.received).toHaveLength(2);
    expect(receiver.received.every((r) => r.signedAsDocumented)).toBe(true);
    const [delivery] = await restarted[0]!.deliveries('deploy-1');
    expect(delivery).toMatchObject({ state: 'delivered', delivered: true });
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 200]);
  });

  it('sends nothing to a URL that is not http(s), and never logs the secret', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const { gate, sender } = setup({ logger });
    receiver.script = [{ status: 500 }];
    await approveWithCallback(gate, sender, 'deploy-1', '/hook?token=receiver-own');

    const decided = await gate.get('deploy-1');
    await sender.send({ ...decided, id: 'ftp-1', callbackUrl: 'ftp://files.example.com/drop' });
    expect((await sender.deliveries('ftp-1'))[0]).toMatchObject({
      state: 'failed',
      attempts: [{ status: null, error: 'not an http(s) URL' }],
    });
    expect(receiver.received).toHaveLength(2);
    expect(lines.join('\n')).toContain('callback failed; will retry');
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain('receiver-own');
  });
});

describe('callback signatures', () => {
  const body = '{"event":"approval.decided"}';
  const now = Date.parse('2026-01-05T09:00:00Z');
  const timestamp = now / 1000;

  it('follows the documented scheme: v1= hex HMAC-SHA256 of "v1:<timestamp>:<body>"', () => {
    const expected = createHmac('sha256', SECRET).update(`v1:${timestamp}:${body}`).digest('hex');
    expect(signCallback(body, SECRET, timestamp)).toBe(`v1=${expected}`);
  });

  it('refuses a changed body, another secret, a stale timestamp and garbage', () => {
    const signature = signCallback(body, SECRET, timestamp);
    const check = { body, secret: SECRET, timestamp, signature, now };
    expect(verifyCallbackSignature(check)).toBe(true);
    expect(verifyCallbackSignature({ ...check, body: `${body} ` })).toBe(false);
    expect(verifyCallbackSignature({ ...check, secret: 'another-secret' })).toBe(false);
    expect(verifyCallbackSignature({ ...check, now: now + 301_000 })).toBe(false);
    expect(verifyCallbackSignature({ ...check, timestamp: 'soon' })).toBe(false);
    expect(verifyCallbackSignature({ ...check, signature: 'v1=00' })).toBe(false);
    expect(verifyCallbackSignature({ ...check, signature: undefined })).toBe(false);
  });

  it('names a bad option', () => {
    expect(() => new CallbackSender({ secret: '', store: new MemoryStore() })).toThrow(/`secret`/);
    expect(() => new CallbackSender({ secret: SECRET, store: new MemoryStore(), retries: -1 })).toThrow(/`retries`/);
  });
});
