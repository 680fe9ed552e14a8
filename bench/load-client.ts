// The load generator, run in its own process (see `LoadClient`) so that sending requests never
// shares the measured server's thread or heap. Loopback only; every run is a bounded number of
// requests at a bounded concurrency.
import { Agent, type ClientRequest, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActionId } from '../src/slack/blocks/ids.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { blockActionsPayload, interactiveBody, signSlackRequest } from '../test/support/slack-requests.js';
import { percentile } from './stats.js';

/** Where to send, and with which credentials. */
export interface Target {
  url: string;
  token: string;
  signingSecret: string;
}

/** A request the load loop sends: which of the API calls, for which approval id. */
export type Call = 'create' | 'get' | 'decide' | 'click' | 'poll' | 'quick-poll';

interface Reply {
  status: number;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function send(target: Target, call: Call, id: string, options: { agent?: Agent | false } = {}): Promise<Reply> {
  const json = (method: string, path: string, body?: unknown) =>
    http(target.url, method, path, { authorization: `Bearer ${target.token}` }, body, options.agent);
  switch (call) {
    case 'create':
      return json('POST', '/api/v1/approvals', { id, title: `Benchmark ${id}` });
    case 'get':
      return json('GET', `/api/v1/approvals/${id}`);
    case 'decide':
      return json('POST', `/api/v1/approvals/${id}/decision`, { decision: 'approve', decidedBy: 'ops' });
    case 'poll':
      return json('GET', `/api/v1/approvals/${id}?wait=60`);
    case 'quick-poll':
      return json('GET', `/api/v1/approvals/${id}?wait=0.001`);
    case 'click': {
      const body = interactiveBody(blockActionsPayload({ actionId: ActionId.Approve, value: id, userId: 'U0ALICE' }));
      const headers = {
        ...signSlackRequest(body, target.signingSecret),
        'content-type': 'application/x-www-form-urlencoded',
      };
      return http(target.url, 'POST', '/slack/events', headers, body, options.agent);
    }
  }
}

function http(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  via: Agent | false = agent,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req: ClientRequest = request(
      `${base}${path}`,
      {
        method,
        agent: via,
        headers: {
          ...headers,
          ...(text === undefined ? {} : { 'content-length': Buffer.byteLength(text) }),
          ...(text !== undefined && !headers['content-type'] ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          data += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/**
 * `ids.length` calls from `concurrency` loops, each loop pausing `gapMs` between calls; the rate,
 * the statuses seen, and the latency p50 and p99 (ms).
 */
async function run(target: Target, call: Call, ids: string[], concurrency: number, gapMs = 0) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const t0 = performance.now();
        const { status } = await send(target, call, id);
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (gapMs > 0) await sleep(gapMs);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: ids.length / seconds, seconds, statuses, ...summary(latencies) };
}

/** In batches of 50 held long-polls, a signed click for each in turn: click sent → long-poll answered (ms). */
async function clickToLongPoll(target: Target, ids: string[]) {
  const latencies: number[] = [];
  for (let done = 0; done < ids.length; done += 50) {
    const batch = ids.slice(done, done + 50);
    const sent = new Map<string, number>();
    const answered = batch.map(async (id) => {
      for (;;) {
        const { body } = await send(target, 'poll', id);
        if ((JSON.parse(body) as { status: string }).status !== 'pending') return performance.now() - sent.get(id)!;
      }
    });
    await sleep(50); // every long-poll is held
    for (const id of batch) {
      sent.set(id, performance.now());
      const { status } = await send(target, 'click', id);
      if (status !== 200) throw new Error(`click answered ${status}`);
      await sleep(Math.random() * 10);
    }
    latencies.push(...(await Promise.all(answered)));
  }
  return summary(latencies);
}

/** p50 and p99 (nearest rank) of latencies in ms; only these cross to the measuring process. */
function summary(latencies: number[]) {
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Requests held open (long-polls or event streams), each on its own connection, until `close`. */
const held: ClientRequest[] = [];

async function open(target: Target, kind: 'poll' | 'events', ids: string[]) {
  let streaming = 0;
  await Promise.all(
    ids.map(
      (id) =>
        new Promise<void>((resolve, reject) => {
          const path = kind === 'poll' ? `/api/v1/approvals/${id}?wait=60` : `/api/v1/approvals/${id}/events`;
          const req = request(`${target.url}${path}`, {
            agent: false,
            headers: { authorization: `Bearer ${target.token}` },
          });
          req.on('error', () => {});
          // A long-poll is open once sent; a stream once its first event arrived.
          if (kind === 'poll') req.on('finish', () => resolve());
          else req.on('response', (res) => res.once('data', () => resolve(void streaming++)));
          req.once('error', reject);
          held.push(req);
          req.end();
        }),
    ),
  );
  return { open: held.length, streaming };
}

/** The fake Slack Web API lives here too, so answering the server's Slack calls costs it nothing. */
let slack: FakeSlack | undefined;

const operations = {
  slack: async () => {
    slack ??= await FakeSlack.start();
    return slack.url;
  },
  slackCalls: async (method: string) => slack?.callsTo(method).length ?? 0,
  run,
  clickToLongPoll,
  open,
  close: async () => {
    for (const req of held.splice(0)) req.destroy();
    return { closed: true };
  },
};

export type LoadOperations = typeof operations;

process.on('message', async (message: { seq: number; op: keyof LoadOperations; args: unknown[] }) => {
  try {
    const fn = operations[message.op] as (...args: unknown[]) => Promise<unknown>;
    process.send?.({ seq: message.seq, result: await fn(...message.args) });
  } catch (error) {
    process.send?.({ seq: message.seq, error: error instanceof Error ? error.stack : String(error) });
  }
});
