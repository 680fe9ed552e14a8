import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadClient } from './load.js';
import type { Subject } from './side-by-side.js';
import { collect } from './stats.js';

const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;

async function until(ok: () => boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Heap of this process (where the server runs) per open client: `count` long-polls or event
 * streams held open from the load process, each on its own connection, after a full collection.
 */
export async function heapPerOpenClient(load: LoadClient, subject: Subject, kind: 'poll' | 'events', count: number) {
  const ids = Array.from({ length: count }, (_, i) => `${kind}-open-${i}`);
  await load.call('run', subject.target, 'create', ids, 32);
  await sleep(200);
  await collect();
  const base = sockets();
  const before = process.memoryUsage().heapUsed;
  const opened = await load.call('open', subject.target, kind, ids);
  await until(() => sockets() >= base + count, `${count} connections`);
  await sleep(1000); // every request read and parked
  await collect();
  const after = process.memoryUsage().heapUsed;
  await load.call('close');
  await until(() => sockets() <= base, 'the connections to close');
  return { perClient: (after - before) / count, opened: opened.open, streaming: opened.streaming };
}

/**
 * Heap growth after `total` completed long-polls (each held until its 1 ms wait runs out), measured
 * after a warm-up of `warmup` so the JIT and pools are settled; bytes per long-poll and in all.
 */
export async function heapAfterLongPolls(load: LoadClient, subject: Subject, total: number, warmup: number) {
  await load.call('run', subject.target, 'create', ['grow'], 1);
  const polls = (n: number) => Array.from({ length: n }, () => 'grow');
  await load.call('run', subject.target, 'quick-poll', polls(warmup), 50);
  await collect();
  const before = process.memoryUsage().heapUsed;
  const run = await load.call('run', subject.target, 'quick-poll', polls(total), 50);
  await collect();
  const after = process.memoryUsage().heapUsed;
  return {
    perPoll: (after - before) / total,
    totalBytes: after - before,
    perSecond: run.perSecond,
    statuses: run.statuses,
  };
}
