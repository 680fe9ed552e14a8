import { ActionId } from '../src/slack/blocks/ids.js';
import type { Instance } from '../test/support/cluster.js';
import type { FakeSlack } from '../test/support/fake-slack.js';
import { blockActionsPayload } from '../test/support/slack-requests.js';
import { bounded, type Latencies, summarize, until } from './cluster-support.js';
import { sleep } from './stats.js';

/** Long enough for a long-poll sent on loopback to have its watch in place before the click is sent. */
const SETTLE_MS = 50;

async function create(on: Instance, json: Record<string, unknown>): Promise<{ id: string; expiresAt: string }> {
  const res = await on.api('/api/v1/approvals', { json });
  if (res.status !== 201) throw new Error(`create on ${on.name} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; expiresAt: string };
}

/** Long-polls until the approval is no longer pending; resolves with its status and `performance.now()` then. */
async function longPoll(on: Instance, id: string): Promise<{ status: string; at: number }> {
  for (;;) {
    const body = (await (await on.api(`/api/v1/approvals/${id}?wait=30`)).json()) as { status: string };
    if (body.status !== 'pending') return { status: body.status, at: performance.now() };
  }
}

/** The 1-second poller: a GET once a second, from a random phase. */
async function poll(on: Instance, id: string): Promise<{ status: string; at: number }> {
  await sleep(Math.random() * 1000);
  for (;;) {
    const body = (await (await on.api(`/api/v1/approvals/${id}`)).json()) as { status: string };
    if (body.status !== 'pending') return { status: body.status, at: performance.now() };
    await sleep(1000);
  }
}

/** A signed Approve click from an approver, as Slack sends it. */
async function click(on: Instance, id: string): Promise<void> {
  const res = await on.slackPost(blockActionsPayload({ actionId: ActionId.Approve, value: id, userId: 'U0ALICE' }));
  if (res.status !== 200) throw new Error(`click on ${on.name} answered ${res.status}`);
}

export interface WakeRoute {
  create: Instance;
  waiter: Instance;
  decider: Instance;
  /** Long-poll (the event path) or the 1-second poller baseline. */
  waiting: 'long-poll' | 'poller';
}

/**
 * Click → waiter: each approval is created on `create`, waited for on `waiter`, and approved by a
 * signed Slack click on `decider`; the latency runs from sending the click to the waiter's answer.
 * At most `concurrency` approvals are in flight.
 */
export async function measureWake(route: WakeRoute, tag: string, count: number, concurrency: number) {
  const samples: number[] = [];
  const wrong: string[] = [];
  await bounded(count, concurrency, async (i) => {
    const { id } = await create(route.create, { id: `${tag}-${i}`, title: `Wake ${tag} ${i}` });
    const answered = route.waiting === 'long-poll' ? longPoll(route.waiter, id) : poll(route.waiter, id);
    await sleep(SETTLE_MS);
    const sent = performance.now();
    await click(route.decider, id);
    const { status, at } = await answered;
    if (status !== 'approved') wrong.push(`${id}: ${status}`);
    samples.push(at - sent);
  });
  if (wrong.length > 0) throw new Error(`waiters answered other than approved: ${wrong.slice(0, 3).join(', ')}`);
  return summarize(samples);
}

export interface Lateness {
  /** expiresAt → a long-poll on another instance answers `timeout`. */
  api: Latencies;
  /** expiresAt → the fake Slack receives the `chat.update` showing the outcome. */
  slack: Latencies;
}

/**
 * Deadline lateness: `count` approvals with 2–5 s timeouts, created round the cluster; each is
 * long-polled on the next instance. No reminder or escalation, so the deadline is the only step.
 */
export async function measureDeadlines(instances: Instance[], slack: FakeSlack, tag: string, count: number) {
  const at = (i: number) => instances[i % instances.length]!;
  const watched: Array<{ id: string; expiresAt: number; answered: Promise<{ status: string; at: number }> }> = [];
  await bounded(count, 4, async (i) => {
    const created = await create(at(i), {
      id: `${tag}-${i}`,
      title: `Deadline ${tag} ${i}`,
      timeoutSeconds: 2 + (i % 4),
      remindAtPercent: null,
      escalateAtPercent: null,
    });
    // Date.now() at the answer: expiresAt is wall-clock time.
    const answered = longPoll(at(i + 1), created.id).then((r) => ({ ...r, at: Date.now() }));
    watched.push({ id: created.id, expiresAt: Date.parse(created.expiresAt), answered });
  });
  const api: number[] = [];
  const wrong: string[] = [];
  for (const w of watched) {
    const { status, at: answeredAt } = await w.answered;
    if (status !== 'timeout') wrong.push(`${w.id}: ${status}`);
    api.push(answeredAt - w.expiresAt);
  }
  if (wrong.length > 0) throw new Error(`deadlines ended other than timeout: ${wrong.slice(0, 3).join(', ')}`);
  const updated: number[] = [];
  for (const w of watched) {
    const { message } = (await (await at(0).api(`/api/v1/approvals/${w.id}`)).json()) as {
      message: { ts: string } | null;
    };
    if (!message) throw new Error(`${w.id} timed out without ever being announced`);
    const outcome = () =>
      slack
        .callsTo('chat.update')
        .find((call) => call.body.ts === message.ts && !JSON.stringify(call.body.blocks).includes('"actions"'));
    await until(() => outcome() !== undefined, 30_000, `the outcome update of ${w.id}`);
    updated.push(outcome()!.at - w.expiresAt);
  }
  return { api: summarize(api), slack: summarize(updated) } satisfies Lateness;
}
