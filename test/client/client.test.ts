import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyDecidedError,
  type ApprovalStreamEvent,
  ConnectionError,
  GatehouseClient,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../src/client/index.js';
import { fakeFetch, reply } from '../cli/support.js';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

let g: TestGatehouse;
let client: GatehouseClient;
let seq = 0;
const nextId = () => `client-${++seq}`;

beforeAll(async () => {
  g = await startGatehouse({ slack: false });
  client = new GatehouseClient({ url: g.url, token: API_TOKEN, env: {} });
});
afterAll(async () => {
  await g.stop();
});

/** Decides `id` through the API once it is stored. */
async function decideSoon(id: string, decision: 'approve' | 'reject', extra: Record<string, unknown> = {}) {
  await eventually(
    () => g.gatehouse.gate.get(id).catch(() => null),
    (r) => r !== null,
  );
  await g.gatehouse.gate.decide(id, { decision, decidedBy: 'U0ALICE', via: 'api', ...extra });
}

describe('GatehouseClient against a running Gatehouse', () => {
  it('creates idempotently by id and gets the request', async () => {
    const id = nextId();
    const first = await client.create({ id, title: 'Deploy v2', context: { env: 'prod' } });
    const again = await client.create({ id, title: 'Deploy v2', context: { env: 'prod' } });
    expect(first).toMatchObject({ id, status: 'pending', title: 'Deploy v2', context: { env: 'prod' } });
    expect(again.createdAt).toBe(first.createdAt);
    expect(await client.get(id)).toMatchObject({ id, status: 'pending' });
  });

  it('decides with a grant, and the next request of the same scope comes back approved via it', async () => {
    const scope = { actionKey: 'deploy', taskId: 'client-run', requestedBy: 'ci-bot' };
    const first = await client.create({ id: nextId(), title: 'Deploy', ...scope });
    expect(first.grantOptions).toEqual(['run', '1h']);
    await client.decide(first.id, { decision: 'approve', decidedBy: 'U0ALICE', grant: 'run' });
    const next = await client.create({ id: nextId(), title: 'Deploy again', ...scope });
    expect(next).toMatchObject({ status: 'approved', decision: { via: 'grant', grantId: `grant-${first.id}` } });
  });

  it('wait long-polls until the decision, and returns it still pending when its own time is over', async () => {
    const id = nextId();
    await client.create({ id, title: 'Send newsletter' });
    const waiting = client.wait(id);
    await decideSoon(id, 'approve', { feedback: 'go', modifications: { audience: 'beta' } });
    expect(await waiting).toMatchObject({
      status: 'approved',
      decision: { decidedBy: 'U0ALICE', via: 'api', feedback: 'go', modifications: { audience: 'beta' } },
    });

    const open = nextId();
    await client.create({ id: open, title: 'Nobody answers' });
    expect(await client.wait(open, { timeoutSeconds: 0 })).toMatchObject({ id: open, status: 'pending' });
  });

  it('waitStream follows the event stream to the decision', async () => {
    const id = nextId();
    await client.create({ id, title: 'Drop the table' });
    const seen: ApprovalStreamEvent['type'][] = [];
    const waiting = client.waitStream(id, { onEvent: (event) => seen.push(event.type) });
    await eventually(
      async () => seen,
      (types) => types.includes('status'),
    );
    await decideSoon(id, 'reject', { feedback: 'not today' });
    expect(await waiting).toMatchObject({ status: 'rejected', decision: { feedback: 'not today' } });
    expect(seen[0]).toBe('status');
    expect(seen.at(-1)).toBe('decided');
  });

  it('decide answers a late decision with AlreadyDecidedError carrying the one that won; cancel withdraws', async () => {
    const id = nextId();
    await client.create({ id, title: 'Rotate keys' });
    expect(await client.decide(id, { decision: 'approve', decidedBy: 'ci' })).toMatchObject({ status: 'approved' });
    const late = await client.decide(id, { decision: 'reject', decidedBy: 'bob' }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(AlreadyDecidedError);
    expect((late as AlreadyDecidedError).approval).toMatchObject({ id, status: 'approved' });

    const other = nextId();
    await client.create({ id: other, title: 'Superseded' });
    expect(await client.cancel(other, { reason: 'superseded', cancelledBy: 'ci' })).toMatchObject({
      status: 'cancelled',
      decision: { feedback: 'superseded' },
    });
  });

  it('sends an alert and reads the receipt', async () => {
    const receipt = await client.alert({ kind: 'custom', title: 'Hello from the client' });
    expect(receipt).toMatchObject({ severity: 'info', grouped: false, count: 1 });
  });

  it('maps refusals to coded errors: 400 with the fields, 401, 404', async () => {
    const bad = await client.create({ title: '' }).catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).issues).toEqual([{ field: 'title', message: 'must not be empty' }]);

    const stranger = new GatehouseClient({ url: g.url, token: 'wrong-token-0123456789', env: {} });
    await expect(stranger.get('x')).rejects.toBeInstanceOf(UnauthorizedError);

    const missing = await client.get('no-such-approval').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toContain('no-such-approval');
  });

  it('an aborted wait rejects with the signal’s reason', async () => {
    const id = nextId();
    await client.create({ id, title: 'Interrupted' });
    const stop = new AbortController();
    const waiting = client.wait(id, { signal: stop.signal });
    stop.abort(new Error('stopped by the caller'));
    await expect(waiting).rejects.toThrow('stopped by the caller');
  });
});

describe('GatehouseClient options and wire format', () => {
  it('takes the url and token from the options, else the environment, else the default', async () => {
    const { fetch, calls } = fakeFetch(reply({ items: [], nextCursor: null }));
    const env = { GATEHOUSE_URL: 'http://env.test:1/', GATEHOUSE_API_TOKEN: ' env-token ' };
    await new GatehouseClient({ url: 'http://option.test:2', token: 'option-token', env, fetch }).list();
    await new GatehouseClient({ env, fetch }).list();
    await new GatehouseClient({ env: {}, fetch }).list();
    expect(calls.map((c) => [c.url, c.headers.authorization])).toEqual([
      ['http://option.test:2/api/v1/approvals', 'Bearer option-token'],
      ['http://env.test:1/api/v1/approvals', 'Bearer env-token'],
      ['http://127.0.0.1:3000/api/v1/approvals', undefined],
    ]);
  });

  it('lists with filters and a cursor, and reads the page', async () => {
    const item = { id: 'a1', status: 'pending', title: 'T', expiresAt: '2030-01-01T00:00:00.000Z', decision: null };
    const { fetch, calls } = fakeFetch(reply({ items: [item], nextCursor: 'c2' }), reply({ items: [] }));
    const c = new GatehouseClient({ url: 'http://g.test', env: {}, fetch });
    const page = await c.list({
      status: 'pending',
      approver: 'U0ALICE',
      taskId: 'task 1',
      since: new Date('2030-01-01T00:00:00Z'),
      q: 'deploy',
      limit: 20,
    });
    expect(page).toEqual({ items: [item], nextCursor: 'c2' });
    expect(await c.list({ cursor: 'c2' })).toEqual({ items: [], nextCursor: null });
    expect(calls.map((call) => call.url)).toEqual([
      'http://g.test/api/v1/approvals?status=pending&approver=U0ALICE&taskId=task+1&since=2030-01-01T00%3A00%3A00.000Z&q=deploy&limit=20',
      'http://g.test/api/v1/approvals?cursor=c2',
    ]);
  });

  it('refuses a URL that is not http(s), naming the option', () => {
    expect(() => new GatehouseClient({ url: 'localhost:3000', env: {} })).toThrow(ValidationError);
  });

  it('reports an unreachable server as a ConnectionError', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const c = new GatehouseClient({ url: `http://127.0.0.1:${port}`, env: {} });
    await expect(c.get('x')).rejects.toThrow(
      new ConnectionError(`cannot reach Gatehouse at http://127.0.0.1:${port}: connection refused`),
    );
  });
});

describe('GatehouseClient.waitStream through a restart', () => {
  const stream =
    (...events: Array<[string, unknown]>) =>
    () =>
      new Response(
        events.map(([type, data], i) => `event: ${type}\nid: ${i}\ndata: ${JSON.stringify(data)}\n\n`).join(''),
        {
          headers: { 'content-type': 'text/event-stream' },
        },
      );
  const pending = { id: 'a1', status: 'pending', title: 'T', expiresAt: '2030-01-01T00:00:00.000Z', decision: null };
  const approved = { ...pending, status: 'approved', decision: { decidedBy: 'U0ALICE', via: 'slack', feedback: null } };

  it('opens the stream again, after a pause, when the server ends it undecided', async () => {
    const slept: number[] = [];
    const { fetch, calls } = fakeFetch(
      stream(['status', pending]),
      stream(
        ['status', pending],
        ['decided', { type: 'decided', at: 'now', actor: 'U0ALICE', data: {}, approval: approved }],
      ),
    );
    const c = new GatehouseClient({
      url: 'http://g.test',
      env: {},
      fetch,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const types: string[] = [];
    const result = await c.waitStream('a1', { onEvent: (event) => types.push(event.type) });
    expect(result).toMatchObject({ status: 'approved' });
    expect(types).toEqual(['status', 'status', 'decided']);
    expect(calls.map((call) => call.url)).toEqual([
      'http://g.test/api/v1/approvals/a1/events',
      'http://g.test/api/v1/approvals/a1/events',
    ]);
    expect(slept).toEqual([1000]);
  });
});
