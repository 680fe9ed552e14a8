import { setTimeout as sleep } from 'node:timers/promises';
import { HOME_REFRESH_MS } from '../src/slack/listeners/events/home.js';
import { SIGNING_SECRET } from '../test/support/gatehouse.js';
import { postSlack } from '../test/support/slack-requests.js';
import type { LoadClient } from './load.js';
import { gatehouseSubject } from './side-by-side.js';

let eventSeq = 0;

/** Opens `user`'s App Home tab: the Events API callback Slack sends, signed. */
export function openHome(url: string, user: string) {
  const body = JSON.stringify({
    token: 'verification-token',
    team_id: 'T0TEST',
    api_app_id: 'A0GATEHOUSE',
    event: { type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
    type: 'event_callback',
    event_id: `EvHOME${String(++eventSeq).padStart(8, '0')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
  });
  return postSlack(url, body, { signingSecret: SIGNING_SECRET, contentType: 'application/json' });
}

/**
 * Create latency (one request at a time, paced over three refresh intervals, from the load
 * process) with `viewers` people who have opened the App Home tab; every request concerns them
 * all (no approvers named: anyone may decide). `sqliteFile`: a store with history to run on.
 */
export async function createWithViewers(load: LoadClient, viewers: number, creates: number, sqliteFile?: string) {
  const subject = await gatehouseSubject(load, { APPROVERS: '' }, sqliteFile);
  try {
    const before = await load.call('slackCalls', 'views.publish');
    for (let i = 0; i < viewers; i += 50) {
      const batch = Array.from({ length: Math.min(50, viewers - i) }, (_, j) => `U0VIEW${i + j}`);
      await Promise.all(batch.map((user) => openHome(subject.target.url, user)));
    }
    for (let waited = 0; (await load.call('slackCalls', 'views.publish')) - before < viewers; waited += 20) {
      if (waited > 60_000) throw new Error('the Home tabs were not all published');
      await sleep(20);
    }
    const opened = await load.call('slackCalls', 'views.publish');
    const ids = Array.from({ length: creates }, (_, i) => `home-${viewers}-${i}`);
    await load.call(
      'run',
      subject.target,
      'create',
      ids.slice(0, 20).map((id) => `warm-${id}`),
      1,
    );
    // Past the interval since the tabs were opened, and paced to span several rounds of refreshes.
    await sleep(HOME_REFRESH_MS);
    const run = await load.call('run', subject.target, 'create', ids, 1, (3 * HOME_REFRESH_MS) / creates);
    const refreshes = (await load.call('slackCalls', 'views.publish')) - opened;
    return { p50: run.p50, p99: run.p99, refreshes, seconds: run.seconds };
  } finally {
    await subject.stop();
  }
}
