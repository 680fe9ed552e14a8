import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../src/store/index.js';
import { startGatehouse } from '../test/support/gatehouse.js';
import { libraryWaiter, longPollWaiter, measureClickToResume, pollingWaiter } from './approvals.js';
import { measurePending } from './pending.js';
import { ms } from './stats.js';
import { storeBackends } from './store-backends.js';
import { benchRedisStore } from './store-redis.js';
import { accountFor, burstThroughput, postsPerChannel, runStorm } from './storm.js';

const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 500);
const PENDING = Number(process.env.BENCH_PENDING ?? 10_000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const STORM = Number(process.env.BENCH_STORM ?? 10_000);
const STORM_SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? 60);
const ONLY = process.env.BENCH_ONLY; // approvals | pending | storm

const results: Array<{ target: string; ok: boolean }> = [];
const check = (target: string, ok: boolean) => {
  results.push({ target, ok });
  console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${target}`);
};

async function clickToResume() {
  console.log(`\n## Click-to-resume latency (${APPROVALS} approvals each; signed click in → waiter returns; SQLite)`);
  const g = await startGatehouse({ env: { APPROVERS: 'U0ALICE' } });
  try {
    const library = await measureClickToResume(g, 'lib', APPROVALS, libraryWaiter(g));
    const longPoll = await measureClickToResume(g, 'lp', APPROVALS, longPollWaiter(g));
    const polling = await measureClickToResume(g, 'poll', APPROVALS, pollingWaiter(g));
    for (const [name, r] of [
      ['requireApproval (event)', library],
      ['HTTP long-poll (event)', longPoll],
      ['1-second poller (baseline)', polling],
    ] as const) {
      console.log(`  ${name.padEnd(28)} n=${r.n}  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  max ${ms(r.max)}`);
    }
    console.log(`  p50 ratio baseline/requireApproval: ${(polling.p50 / library.p50).toFixed(0)}x`);
    console.log(`  p50 ratio baseline/long-poll:       ${(polling.p50 / longPoll.p50).toFixed(0)}x`);
    check('requireApproval p50 at least 50x faster than the 1-second poller', polling.p50 / library.p50 >= 50);
    check('long-poll p50 at least 50x faster than the 1-second poller', polling.p50 / longPoll.p50 >= 50);
    check('requireApproval p99 under 50 ms', library.p99 < 50);
    check('long-poll p99 under 50 ms', longPoll.p99 < 50);
  } finally {
    await g.stop();
  }
}

async function pending() {
  console.log(`\n## ${PENDING} approvals pending at once (SQLite store), idle for ${IDLE_MS / 1000} s`);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const store = await createStore(`sqlite://${join(dir, 'bench.sqlite')}`);
  try {
    const r = await measurePending(store, PENDING, IDLE_MS);
    console.log(`  heap per pending approval:   ${r.heapPerPending.toFixed(0)} bytes`);
    console.log(`  RSS growth:                  ${(r.rssDelta / 1024 / 1024).toFixed(1)} MiB`);
    console.log(`  CPU while idle (event):      ${r.idleCpuMs.toFixed(1)} ms over ${IDLE_MS / 1000} s`);
    console.log(`  CPU while idle (1 s pollers): ${r.pollingCpuMs.toFixed(1)} ms over ${IDLE_MS / 1000} s`);
    check('at most 4 KB of heap per pending approval', r.heapPerPending <= 4096);
    check('no measurable CPU while they wait (< 1 % of one core)', r.idleCpuMs < IDLE_MS * 0.01);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function storm() {
  console.log(`\n## Alert storm: ${STORM} alerts over ${STORM_SECONDS} s across 20 tasks, through the API (SQLite)`);
  const g = await startGatehouse({
    env: { SLACK_ALERTS_CHANNEL: 'C0ALERTS', SLACK_MONITORING_CHANNEL: 'C0MONITOR', SLACK_STATUS_CHANNEL: 'C0STATUS' },
  });
  try {
    const r = await runStorm(g, STORM, STORM_SECONDS);
    const posts = g.slack!.callsTo('chat.postMessage');
    const updates = g.slack!.callsTo('chat.update');
    console.log(
      `  accepted ${r.accepted} (rejected ${r.rejected}) in ${r.sendSeconds.toFixed(1)} s: ${r.acceptedPerSecond.toFixed(0)}/s offered load`,
    );
    console.log(
      `  API latency p50 ${ms(r.p50)}  p99 ${ms(r.p99)}; Slack queues drained at ${r.drainSeconds.toFixed(1)} s`,
    );
    console.log(`  Slack: ${posts.length} posts, ${updates.length} counter updates`);
    const channels = postsPerChannel(posts);
    for (const c of channels) {
      console.log(
        `  ${c.channel.padEnd(10)} ${String(c.posts).padStart(3)} posts, sustained ${c.perSecond.toFixed(2)}/s, most in any 1 s: ${c.maxInWindow}, smallest gap ${c.minGap.toFixed(0)} ms`,
      );
    }
    const updateTimes = updates.map((u) => u.at).sort((a, b) => a - b);
    let updatesPerMinute = 0;
    for (let i = 0, j = 0; i < updateTimes.length; i++) {
      while (updateTimes[i]! - updateTimes[j]! >= 60_000) j++;
      updatesPerMinute = Math.max(updatesPerMinute, i - j + 1);
    }
    console.log(`  chat.update: at most ${updatesPerMinute} in any minute (Slack allows about 50 per workspace)`);
    const account = await accountFor(g, updates, posts);
    console.log(
      `  ${account.groups} alert groups count ${account.counted} alerts; final Slack texts show ${account.shown}`,
    );
    const burst = await burstThroughput(g, 5000);
    console.log(`  burst: the API accepts ${burst.toFixed(0)} alerts/s (5,000 back to back, 32 clients)`);
    check(
      'Slack posts stay at 1 per second per channel, sustained (no gap under 950 ms)',
      channels.every((c) => c.perSecond <= 1.01 && c.minGap >= 950),
    );
    check('every alert accepted and counted in a stored group', r.accepted === STORM && account.counted === STORM);
    check('every alert shown in a delivered message or its counter', account.shown === STORM);
    check('counter updates stay within about 50 a minute', updatesPerMinute <= 51);
  } finally {
    await g.stop();
  }
}

console.log(`# Gatehouse benchmark — node ${process.version}, ${new Date().toISOString()}`);
if (!ONLY || ONLY === 'approvals') await clickToResume();
if (!ONLY || ONLY === 'pending') await pending();
if (!ONLY || ONLY === 'storm') await storm();
if (!ONLY || ONLY === 'backends') await storeBackends(check);
if (!ONLY || ONLY === 'redis') await benchRedisStore(check);
const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} of ${results.length} targets met`);
process.exit(failed.length > 0 ? 1 : 0);
