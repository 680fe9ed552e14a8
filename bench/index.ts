import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../src/store/index.js';
import { startGatehouse } from '../test/support/gatehouse.js';
import { libraryWaiter, longPollWaiter, measureClickToResume, pollingWaiter } from './approvals.js';
import { measureBoot } from './boot.js';
import { clusterBench } from './cluster.js';
import { benchDigest } from './digest.js';
import { createWithViewers } from './home.js';
import { LoadClient } from './load.js';
import { heapAfterLongPolls, heapPerOpenClient } from './memory.js';
import { measurePending } from './pending.js';
import { benchScale } from './scale.js';
import { baselineSubject, gatehouseSubject, measureServer, type Subject } from './side-by-side.js';
import { ms } from './stats.js';
import { storeBackends } from './store-backends.js';
import { benchRedisStore } from './store-redis.js';
import { accountFor, burstThroughput, postsPerChannel, runStorm } from './storm.js';

const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 500);
const PENDING = Number(process.env.BENCH_PENDING ?? 10_000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const STORM = Number(process.env.BENCH_STORM ?? 10_000);
const STORM_SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? 60);
const SIZES = {
  clicks: Number(process.env.BENCH_CLICKS ?? 200),
  creates: Number(process.env.BENCH_CREATES ?? 2000),
  gets: Number(process.env.BENCH_GETS ?? 5000),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32),
};
const OPEN_CLIENTS = Number(process.env.BENCH_OPEN ?? 2000);
const FULL = process.env.BENCH_FULL === '1';
const LONG_POLLS = Number(process.env.BENCH_LONGPOLLS ?? (FULL ? 1_000_000 : 30_000));
const BOOTS = Number(process.env.BENCH_BOOTS ?? 5);
const HOME_CREATES = Number(process.env.BENCH_HOME_CREATES ?? 100);
const HOME_ROUNDS = Number(process.env.BENCH_HOME_ROUNDS ?? 3);
const ONLY = process.env.BENCH_ONLY; // approvals | pending | storm | baseline | memory | boot | home

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

/** `value` next to the baseline's, with the ratio. */
const versus = (label: string, ours: string, theirs: string, ratio: number) =>
  console.log(`  ${label.padEnd(34)} ${ours.padStart(14)}  baseline ${theirs.padStart(14)}  ratio ${ratio.toFixed(2)}`);
const rate = (perSecond: number) => `${perSecond.toFixed(0)} req/s`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;

/** Runs `fn` on Gatehouse and on the minimal server, one after the other, with one load process. */
async function bothServers<T>(fn: (load: LoadClient, subject: Subject) => Promise<T>, env?: Record<string, string>) {
  const load = new LoadClient();
  try {
    const gatehouse = await gatehouseSubject(load, env);
    const ours = await fn(load, gatehouse).finally(() => gatehouse.stop());
    const baseline = await baselineSubject();
    const theirs = await fn(load, baseline).finally(() => baseline.stop());
    return { ours, theirs };
  } finally {
    load.close();
  }
}

async function sideBySide() {
  console.log(
    `\n## Against a minimal server (node:http + Map + EventEmitter, same HMAC check and long-poll; load from another process)`,
  );
  const { ours, theirs } = await bothServers((load, subject) => measureServer(load, subject, SIZES));
  versus('click → long-poll p50', ms(ours.clickP50), ms(theirs.clickP50), ours.clickP50 / theirs.clickP50);
  versus('click → long-poll p99', ms(ours.clickP99), ms(theirs.clickP99), ours.clickP99 / theirs.clickP99);
  versus(
    'create',
    rate(ours.createPerSecond),
    rate(theirs.createPerSecond),
    ours.createPerSecond / theirs.createPerSecond,
  );
  versus('GET by id', rate(ours.getPerSecond), rate(theirs.getPerSecond), ours.getPerSecond / theirs.getPerSecond);
  versus(
    'decision',
    rate(ours.decidePerSecond),
    rate(theirs.decidePerSecond),
    ours.decidePerSecond / theirs.decidePerSecond,
  );
  versus('ack p50, 100 clicks at once', ms(ours.ackP50), ms(theirs.ackP50), ours.ackP50 / theirs.ackP50);
  versus('ack p99, 100 clicks at once', ms(ours.ackP99), ms(theirs.ackP99), ours.ackP99 / theirs.ackP99);
  console.log(
    `  (${SIZES.creates} creates, ${SIZES.gets} GETs, ${SIZES.creates} decisions, ${SIZES.concurrency} at a time)`,
  );
  for (const failure of [...ours.failures, ...theirs.failures]) console.log(`  unexpected answers: ${failure}`);
  check('click → long-poll p50 within 1.3× the minimal server', ours.clickP50 / theirs.clickP50 <= 1.3);
  check('create throughput at least 1/5 of the minimal server', ours.createPerSecond / theirs.createPerSecond >= 1 / 5);
  check('GET throughput at least 1/4 of the minimal server', ours.getPerSecond / theirs.getPerSecond >= 1 / 4);
  check(
    'decision throughput at least 1/5 of the minimal server',
    ours.decidePerSecond / theirs.decidePerSecond >= 1 / 5,
  );
  check('ack p99 of 100 concurrent clicks within 2× the minimal server', ours.ackP99 / theirs.ackP99 <= 2);
}

async function memory() {
  console.log(`\n## Heap of the server process: ${OPEN_CLIENTS} open clients; ${LONG_POLLS} completed long-polls`);
  const env = { SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '', SLACK_APPROVALS_CHANNEL: '' };
  const poll = await bothServers((load, s) => heapPerOpenClient(load, s, 'poll', OPEN_CLIENTS), env);
  versus(
    'heap per open long-poll',
    kb(poll.ours.perClient),
    kb(poll.theirs.perClient),
    poll.ours.perClient / poll.theirs.perClient,
  );
  const sse = await bothServers((load, s) => heapPerOpenClient(load, s, 'events', OPEN_CLIENTS), env);
  versus(
    'heap per open SSE stream',
    kb(sse.ours.perClient),
    kb(sse.theirs.perClient),
    sse.ours.perClient / sse.theirs.perClient,
  );
  const warmup = Math.min(20_000, Math.ceil(LONG_POLLS / 10));
  const grow = await bothServers((load, s) => heapAfterLongPolls(load, s, LONG_POLLS, warmup), env);
  versus(
    `heap growth after ${LONG_POLLS} long-polls`,
    `${(grow.ours.totalBytes / 1024 / 1024).toFixed(2)} MiB`,
    `${(grow.theirs.totalBytes / 1024 / 1024).toFixed(2)} MiB`,
    grow.ours.totalBytes / grow.theirs.totalBytes,
  );
  console.log(
    `  per long-poll: ${grow.ours.perPoll.toFixed(2)} B (baseline ${grow.theirs.perPoll.toFixed(2)} B); ` +
      `${grow.ours.perSecond.toFixed(0)}/s vs ${grow.theirs.perSecond.toFixed(0)}/s` +
      (FULL ? '' : ' (BENCH_FULL=1 runs 1,000,000)'),
  );
  check('at most 4 KB of heap per open long-poll', poll.ours.perClient <= 4096);
  check('at most 4 KB of heap per open SSE stream', sse.ours.perClient <= 4096);
  check('no heap growth from completed long-polls (under 4 B each)', grow.ours.perPoll < 4);
}

async function boot() {
  console.log(`\n## Boot to ready (spawn → "listening" log line → first /healthz 200), median of ${BOOTS}`);
  const r = await measureBoot(BOOTS);
  console.log(
    `  npm start (node dist/main.js)      listening ${ms(r.compiled.listening)}  ready ${ms(r.compiled.ready)}`,
  );
  console.log(`  before (tsx src/main.ts)           listening ${ms(r.tsx.listening)}  ready ${ms(r.tsx.ready)}`);
  console.log(
    `  ratio compiled/tsx ${(r.compiled.ready / r.tsx.ready).toFixed(2)}; node -e 0 alone takes ${ms(r.nodeAlone)} here`,
  );
  check('boot to ready within 500 ms', r.compiled.ready <= 500);
}

async function home() {
  console.log(
    `\n## Create latency with App Home viewers (${HOME_CREATES} creates one at a time over 3 refresh intervals, each concerning every viewer; ` +
      `median of ${HOME_ROUNDS} rounds of 0, 1, 500 viewers)`,
  );
  const rounds: Array<Array<{ viewers: number; p50: number; p99: number; refreshes: number; seconds: number }>> = [];
  for (let round = 0; round < HOME_ROUNDS; round++) {
    const figures = [];
    for (const viewers of [0, 1, 500]) {
      const load = new LoadClient();
      try {
        figures.push({ viewers, ...(await createWithViewers(load, viewers, HOME_CREATES)) });
      } finally {
        load.close();
      }
    }
    rounds.push(figures);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const results = [0, 1, 2].map((i) => ({
    viewers: rounds[0]![i]!.viewers,
    p50: median(rounds.map((r) => r[i]!.p50)),
    p99: median(rounds.map((r) => r[i]!.p99)),
    refreshes: median(rounds.map((r) => r[i]!.refreshes)),
    seconds: median(rounds.map((r) => r[i]!.seconds)),
  }));
  const none = results[0]!;
  for (const r of results)
    console.log(
      `  ${String(r.viewers).padStart(3)} viewers  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  ratio to 0 viewers ${(r.p50 / none.p50).toFixed(2)}  ` +
        `(${r.refreshes} Home refreshes in ${r.seconds.toFixed(1)} s)`,
    );
  for (const r of results.slice(1))
    check(`create p50 with ${r.viewers} Home viewers within 1.5× of none`, r.p50 / none.p50 <= 1.5);
}

console.log(`# Gatehouse benchmark — node ${process.version}, ${new Date().toISOString()}`);
if (!ONLY || ONLY === 'approvals') await clickToResume();
if (!ONLY || ONLY === 'pending') await pending();
if (!ONLY || ONLY === 'storm') await storm();
if (!ONLY || ONLY === 'backends') await storeBackends(check);
if (!ONLY || ONLY === 'redis') await benchRedisStore(check);
if (!ONLY || ONLY === 'baseline') await sideBySide();
if (!ONLY || ONLY === 'memory') await memory();
if (!ONLY || ONLY === 'boot') await boot();
if (!ONLY || ONLY === 'home') await home();
if (!ONLY || ONLY === 'scale') await benchScale(check);
if (!ONLY || ONLY === 'digest') await benchDigest(check);
if (!ONLY || ONLY === 'cluster') await clusterBench(check);
const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} of ${results.length} targets met`);
process.exit(failed.length > 0 ? 1 : 0);
