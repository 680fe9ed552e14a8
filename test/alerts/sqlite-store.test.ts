import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertIndexes } from '../../src/alerts/groups.js';
import { AlertManager } from '../../src/alerts/manager.js';
import type { AlertSlackPort } from '../../src/alerts/ports.js';
import { createRouter } from '../../src/alerts/routing.js';
import type { AlertRecord } from '../../src/alerts/types.js';
import { systemClock } from '../../src/clock.js';
import { createStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { CHANNELS, OWNER, RecordingEmail, RecordingSlack, TEAM } from './support.js';

const routing = createRouter({ channels: CHANNELS, email: { team: TEAM, owner: OWNER } });

describe('alerts on SQLite (real clock, no pacing)', () => {
  const opened: Store[] = [];
  let dir = '';

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  /** A manager with a connection of its own to one shared file, as another process would have. */
  async function processWith(slack: AlertSlackPort = new RecordingSlack(systemClock), { dies = false } = {}) {
    dir ||= await mkdtemp(join(tmpdir(), 'gatehouse-alerts-'));
    // A short lease, so a dead process's claims pass to another within the test.
    const store = await createStore(`sqlite://${join(dir, 'gatehouse.sqlite')}`, { leaseMs: 300, pollMs: 50 });
    if (!dies) opened.push(store);
    const alerts = new AlertManager({
      store: store.records<AlertRecord>('alerts', alertIndexes),
      effects: store.effects,
      slack,
      email: new RecordingEmail(systemClock),
      routing,
      newId: randomUUID,
      slackIntervalMs: 0,
      updateIntervalMs: 0,
    });
    return { alerts, slack, store };
  }

  it('makes one group of a storm sent by two processes sharing the file, posted once', async () => {
    const one = await processWith();
    const two = await processWith();
    const failure = { taskId: 'campaign-42', stage: 'launch', error: 'ECONNRESET' };
    const sent = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? one : two).alerts.failure(failure)),
    );
    await Promise.all([one.alerts.idle(), two.alerts.idle()]);

    expect(new Set(sent.map((s) => s.alert.id)).size).toBe(1);
    expect(sent.filter((s) => !s.grouped)).toHaveLength(1);
    const posts = [one.slack, two.slack].flatMap((slack) => (slack as RecordingSlack).posts);
    expect(posts).toHaveLength(1);
    expect((await one.alerts.history()).map((a) => [a.kind, a.count])).toEqual([['failure', 40]]);
  });

  it('delivers after a restart what a killed process left pending in the file', async () => {
    // Slack never answers this process: it dies with the post in flight.
    const hung: AlertSlackPort = { post: () => new Promise(() => {}), update: async () => {} };
    const before = await processWith(hung, { dies: true });
    const { alert } = await before.alerts.failure({ taskId: 't', stage: 's', error: 'x' });
    await eventually(
      () => before.store.effects.owed(),
      (n) => n === 1,
    );
    // Dies: claims nothing more, and its lease on the delivery runs out.
    void before.store.effects.stop();
    before.alerts.stop();

    const after = await processWith();
    expect(await after.alerts.start()).toEqual({ pending: 1 });
    await eventually(
      async () => (after.slack as RecordingSlack).posts.map((p) => p.alert.id),
      (ids) => ids.length > 0,
    );
    expect((after.slack as RecordingSlack).posts.map((p) => p.alert.id)).toEqual([alert.id]);
    await eventually(
      () => after.alerts.start(),
      (result) => result.pending === 0,
    );
    expect((await after.alerts.history()).map((a) => a.id)).toEqual([alert.id]);
  });
});
