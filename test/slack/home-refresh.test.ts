import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { homeView, homeViewDigest } from '../../src/slack/blocks/home.js';
import { register as appHomeOpened } from '../../src/slack/listeners/events/app-home-opened.js';
import { HomePublisher } from '../../src/slack/listeners/events/home.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { SlackCall } from '../support/fake-slack.js';
import { ManualClock } from '../support/manual-clock.js';
import { startBolt, type TestBolt } from '../tasks/bolt-app.js';
import { boot, stageHooks, testRegistry } from '../tasks/support.js';

const INTERVAL_MS = 3000;
const logger = pino({ level: 'silent' });

let bolt: TestBolt;
let gate: ApprovalGate;
let clock: ManualClock;
let home: HomePublisher;
/** How many times the Home sources (the pending approvals) were read. */
let reads = 0;
let unsubscribe: Array<() => void> = [];

beforeAll(async () => {
  bolt = await startBolt();
  // Registered once on the app; each test's publisher answers.
  appHomeOpened(bolt.app, { home: { publish: (client, user) => home.publish(client, user) }, logger });
});
afterAll(() => bolt.close());

beforeEach(() => {
  bolt.slack.reset();
  const store = new MemoryStore();
  const booted = boot(store, testRegistry(stageHooks()));
  gate = booted.gate;
  const tasks = booted.tasks;
  const approvals = store.records<ApprovalRecord>('approvals');
  clock = new ManualClock();
  reads = 0;
  home = new HomePublisher({
    tasks,
    pendingApprovals: () => {
      reads++;
      return approvals.findBy('status', 'pending');
    },
    alertHistory: async () => [],
    logger,
    clock,
    refreshIntervalMs: INTERVAL_MS,
    refreshBatch: 15,
  });
  const changed = (approval: ApprovalRecord) => home.approvalChanged(bolt.app.client, approval);
  unsubscribe = [gate.onRequested(changed), gate.onDecided(changed)];
});
afterEach(async () => {
  for (const off of unsubscribe) off();
  await home.idle();
});

const publishes = (user: string) => bolt.slack.callsTo('views.publish').filter((c) => c.body.user_id === user);
const shows = (call: SlackCall | undefined, text: string) => JSON.stringify(call?.body.view ?? {}).includes(text);

async function open(user: string) {
  const before = publishes(user).length;
  await bolt.event({ type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: '1700000000.0001' });
  await bolt.slack.waitFor('views.publish', (c) => c.body.user_id === user && publishes(user).length > before);
}

/** Moves the clock and waits for the round of refreshes it started, if any. */
async function advance(ms: number) {
  await clock.advance(ms);
  await home.idle();
}

describe('App Home refreshes', () => {
  it("republishes a viewer's tab at most once per interval, showing every change since", async () => {
    await open('U0ALICE');
    await gate.submit({ id: 'r-1', title: 'First change', approvers: ['U0ALICE'] });
    await advance(0);
    await advance(INTERVAL_MS / 3);
    await gate.submit({ id: 'r-2', title: 'Second change', approvers: ['U0ALICE'] });
    await gate.submit({ id: 'r-3', title: 'Third change', approvers: ['U0ALICE'] });
    await advance(INTERVAL_MS / 3);
    expect(publishes('U0ALICE')).toHaveLength(1);

    await advance(INTERVAL_MS / 3);
    const calls = publishes('U0ALICE');
    expect(calls).toHaveLength(2);
    for (const title of ['First change', 'Second change', 'Third change']) expect(shows(calls[1], title)).toBe(true);
    expect(reads).toBe(2);

    // Long after the last publish, the next change shows at once.
    await advance(10 * INTERVAL_MS);
    await gate.cancel('r-1', { reason: 'not needed' });
    await advance(0);
    expect(publishes('U0ALICE')).toHaveLength(3);
    expect(shows(publishes('U0ALICE')[2], 'First change')).toBe(false);
  });

  it('publishes nothing when what the viewer sees did not change', async () => {
    await open('U0ALICE');
    await open('U0BOB');
    await advance(INTERVAL_MS);
    await gate.submit({ id: 'bob-only', title: 'For Bob', approvers: ['U0BOB'] });
    await advance(0);
    expect(publishes('U0BOB')).toHaveLength(2);
    expect(publishes('U0ALICE')).toHaveLength(1);

    // Told of a change that leaves Bob's tab as it was: it is rebuilt, but not sent again.
    home.approvalChanged(bolt.app.client, await gate.get('bob-only'));
    await advance(INTERVAL_MS);
    expect(reads).toBe(4);
    expect(publishes('U0BOB')).toHaveLength(2);
  });

  it('refreshes the most recent viewers first, a batch per round, reading the sources once a round', async () => {
    const viewers = Array.from({ length: 40 }, (_, i) => `U0VIEWER${i}`);
    for (const user of viewers) await home.publish(bolt.app.client, user);
    await advance(INTERVAL_MS);
    const before = reads;
    await gate.submit({ id: 'for-all', title: 'Anyone may decide', approvers: viewers });
    const refreshed = () => viewers.filter((user) => publishes(user).length === 2);
    await advance(0);
    expect(reads).toBe(before + 1);
    expect(refreshed()).toEqual(viewers.slice(25));
    await advance(INTERVAL_MS);
    expect(refreshed()).toEqual(viewers.slice(10));
    await advance(INTERVAL_MS);
    expect(refreshed()).toEqual(viewers);
    expect(reads).toBe(before + 3);
    for (const user of viewers) expect(shows(publishes(user)[1], 'Anyone may decide')).toBe(true);
  });
});

describe('homeViewDigest', () => {
  const stats = {
    total: 0,
    running: 0,
    completed: 0,
    failed: 0,
    failureRate: 0,
    avgDurationSeconds: null,
    totalCostUsd: 0,
  };

  it('leaves out the time of the build, and nothing the viewer sees', async () => {
    const { gate: own } = boot(new MemoryStore(), testRegistry(stageHooks()));
    const { record } = await own.submit({ id: 'd-1', title: 'Deploy' });
    const at = (iso: string, approvals: ApprovalRecord[]) =>
      homeViewDigest(homeView({ approvals, tasks: [], alerts: [], stats, now: new Date(iso) }));
    expect(at('2026-01-05T09:00:00Z', [record])).toBe(at('2026-01-05T17:30:00Z', [record]));
    expect(at('2026-01-05T09:00:00Z', [record])).not.toBe(at('2026-01-05T09:00:00Z', []));
    expect(at('2026-01-05T09:00:00Z', [record])).not.toBe(
      at('2026-01-05T09:00:00Z', [{ ...record, title: 'Deploy to production' }]),
    );
  });
});
