import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../src/store/index.js';
import { startGatehouse } from '../test/support/gatehouse.js';
import { libraryWaiter, longPollWaiter, measureClickToResume, pollingWaiter } from './approvals.js';
import { measurePending } from './pending.js';
import { ms } from './stats.js';

const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 500);
const PENDING = Number(process.env.BENCH_PENDING ?? 10_000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);

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

console.log(`# Gatehouse benchmark — node ${process.version}, ${new Date().toISOString()}`);
await clickToResume();
await pending();
const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} of ${results.length} targets met`);
process.exit(failed.length > 0 ? 1 : 0);
