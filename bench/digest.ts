import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertIndexes } from '../src/alerts/groups.js';
import type { AlertRecord } from '../src/alerts/types.js';
import { createStore } from '../src/store/index.js';
import { ALL } from '../src/store/types.js';
import { startGatehouse } from '../test/support/gatehouse.js';

const CHANNEL = 'C0ALERTS';

/** Every stored group's delivery to the channel, read back from the file after the run. */
async function deliveriesIn(file: string) {
  const store = await createStore(`sqlite://${file}`);
  const tally = { groups: 0, sent: 0, digest: 0, other: 0 };
  try {
    const records = store.records<AlertRecord>('alerts', alertIndexes);
    let after: string | undefined;
    do {
      const page = await records.query({ index: ALL, limit: 1000, after });
      for (const record of page.items) {
        const delivery = record.deliveries?.find((d) => d.target === `slack:${CHANNEL}`);
        if (!delivery) continue;
        tally.groups += 1;
        if (delivery.status === 'sent') tally.sent += 1;
        else if (delivery.status === 'digest') tally.digest += 1;
        else tally.other += 1;
      }
      after = page.next ?? undefined;
    } while (after);
  } finally {
    await store.close();
  }
  return tally;
}

/**
 * `total` distinct failure alerts (one group each) into one channel, through the API from 32
 * clients as fast as it takes them: when the first post and the storm digest reach Slack.
 */
export async function digestStorm(total: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-digest-'));
  const file = join(dir, 'digest.sqlite');
  const g = await startGatehouse({ sqliteFile: file, env: { SLACK_ALERTS_CHANNEL: CHANNEL } });
  let stopped = false;
  try {
    const slack = g.slack;
    if (!slack) throw new Error('the digest bench needs the fake Slack');
    const started = Date.now();
    const firstPost = slack.waitFor('chat.postMessage', (c) => c.body.channel === CHANNEL, 600_000);
    const digest = slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text ?? '').includes('alert groups in the last'),
      600_000,
    );
    let next = 0;
    let rejected = 0;
    const client = async () => {
      for (let i = next++; i < total; i = next++) {
        const res = await g.api('/api/v1/alerts', {
          json: { kind: 'failure', taskId: `storm-${i}`, stage: 'load', error: `ECONNRESET #${i}` },
        });
        if (res.status !== 202) rejected += 1;
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 32 }, client));
    const sentSeconds = (Date.now() - started) / 1000;
    const [first, shown] = await Promise.all([firstPost, digest]);
    await g.gatehouse.alerts.idle();
    const settledSeconds = (Date.now() - started) / 1000;
    const updates = slack
      .callsTo('chat.update')
      .filter((c) => String(c.body.text ?? '').includes('alert groups in the last')).length;
    const posts = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === CHANNEL).length;
    stopped = true;
    await g.stop();
    const tally = await deliveriesIn(file);
    return {
      total,
      rejected,
      sentSeconds,
      settledSeconds,
      firstPostMs: first.at - started,
      digestMs: shown.at - started,
      posts,
      updates,
      ...tally,
    };
  } finally {
    if (!stopped) await g.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `BENCH_ONLY=digest`: 10,000 distinct failures into one channel (BENCH_DIGEST_ALERTS), with its targets. */
export async function benchDigest(check: (target: string, ok: boolean) => void): Promise<void> {
  const total = Number(process.env.BENCH_DIGEST_ALERTS ?? 10_000);
  console.log(`\n## Storm digest: ${total} distinct failure alerts into one channel, through the API (SQLite)`);
  const r = await digestStorm(total);
  console.log(
    `  accepted ${r.total - r.rejected} in ${r.sentSeconds.toFixed(1)} s; deliveries settled at ${r.settledSeconds.toFixed(1)} s`,
  );
  console.log(
    `  first post after ${r.firstPostMs} ms; digest visible after ${r.digestMs} ms (targets 2,000 / 5,000 ms)`,
  );
  console.log(`  Slack: ${r.posts} posts to the channel (the digest included), ${r.updates} digest updates`);
  console.log(
    `  history: ${r.groups} groups for the channel: ${r.sent} posted alone, ${r.digest} marked digest, ${r.other} other`,
  );
  check('storm: first post within 2 s', r.firstPostMs <= 2000);
  check('storm: digest visible within 5 s', r.digestMs <= 5000);
  check('storm: every group stored and marked posted or digest', r.groups === total && r.sent + r.digest === total);
}
