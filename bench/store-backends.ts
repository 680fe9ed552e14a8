import { performance } from 'node:perf_hooks';
import { createStore } from '../src/store/index.js';
import type { Store, StoreOptions, Versioned } from '../src/store/types.js';
import { dropSchema, freshSchema, postgresReachable, schemaUrl } from '../test/support/postgres.js';
import { ms, percentile, sleep } from './stats.js';

const WRITES = Number(process.env.BENCH_STORE_WRITES ?? 500);
const EFFECTS = Number(process.env.BENCH_STORE_EFFECTS ?? 300);
const POLLED = Number(process.env.BENCH_STORE_POLLED ?? 20);
/** What a Gatehouse instance runs with (the store defaults, but for the 0.5 s pg-boss polling floor). */
const OPTIONS: StoreOptions = { pollMs: 500 };

/** A clustered backend under measurement: how to reach it and to clean up after. */
interface Backend {
  name: string;
  /** A URL of fresh, empty data, or null when the service does not answer. */
  prepare(): Promise<{ url: string; cleanup: () => Promise<void> } | null>;
}

const BACKENDS: Backend[] = [
  {
    name: 'PostgreSQL',
    async prepare() {
      if (!(await postgresReachable())) return null;
      const schema = freshSchema('gh_bench');
      return { url: schemaUrl(schema), cleanup: () => dropSchema(schema) };
    },
  },
];

interface Latencies {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function summarize(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };
}

interface Doc extends Versioned {
  n: number;
}

/**
 * A decision-like write on `writer` (update: read, change, compare-and-swap, with one effect owed) →
 * `watcher` told of that id; one at a time, `count` times.
 */
async function watchLatency(writer: Store, watcher: Store, namespace: string, count: number): Promise<Latencies> {
  const docs = writer.records<Doc>(namespace);
  for (let i = 0; i < count; i++) await docs.insert({ id: `doc-${i}`, version: 1, n: 0 });
  const waiting = new Map<string, () => void>();
  const stop = watcher.watch(namespace, (id) => waiting.get(id)?.());
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const id = `doc-${i}`;
      const heard = new Promise<number>((resolve) => waiting.set(id, () => resolve(performance.now())));
      const start = performance.now();
      await docs.update(id, (doc) => ({
        record: { ...doc, n: 1 },
        effects: [{ key: `${namespace}:decided:${id}`, kind: `${namespace}.outcome`, payload: { id } }],
      }));
      samples.push((await heard) - start);
      waiting.delete(id);
    }
  } finally {
    stop();
  }
  return summarize(samples);
}

/** The baseline a waiter without notifications has: re-reading once a second. */
async function pollerLatency(writer: Store, reader: Store, namespace: string, count: number): Promise<Latencies> {
  const docs = writer.records<Doc>(namespace);
  const mirror = reader.records<Doc>(namespace);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = `polled-${i}`;
    // The poller's phase is independent of the write, as for a real agent.
    const phase = Math.random() * 1000;
    const start = performance.now();
    const polling = (async () => {
      await sleep(phase);
      while (!(await mirror.get(id))) await sleep(1000);
      return performance.now();
    })();
    await docs.insert({ id, version: 1, n: i });
    samples.push((await polling) - start);
  }
  return summarize(samples);
}

/**
 * `count` effects recorded on `writer` with run times spread over a few seconds, run by `worker`:
 * handler start − run time, until `expected` ran (more than `count` when some were recorded before).
 */
async function effectLateness(
  writer: Store,
  worker: Store,
  kind: string,
  count: number,
  expected = count,
): Promise<Latencies> {
  const samples: number[] = [];
  const done = new Promise<void>((resolve) => {
    worker.effects.handle(kind, async (effect) => {
      samples.push(Date.now() - effect.runAt);
      if (samples.length === expected) resolve();
    });
  });
  await worker.effects.start();
  const first = Date.now() + 500;
  for (let i = 0; i < count; i++) {
    // Irregular gaps (7–37 ms), so run times do not line up with the workers' polling.
    const runAt = first + i * 22 + Math.round(Math.random() * 30 - 15);
    await writer.effects.enqueue([{ key: `${kind}:${i}`, kind, payload: { i }, runAt }]);
  }
  await done;
  return summarize(samples);
}

/**
 * Effects an instance never heard of (recorded before it opened, as when the instance that armed them
 * died): found by polling alone. `open` starts the late instance once everything is recorded.
 */
async function unheardLateness(writer: Store, open: () => Promise<Store>, kind: string, count: number) {
  const first = Date.now() + 2000;
  for (let i = 0; i < count; i++) {
    const runAt = first + i * 22 + Math.round(Math.random() * 30 - 15);
    await writer.effects.enqueue([{ key: `${kind}:${i}`, kind, payload: { i }, runAt }]);
  }
  const late = await open();
  try {
    return await effectLateness(late, late, kind, 0, count);
  } finally {
    await late.close();
  }
}

const line = (label: string, r: Latencies) =>
  console.log(`  ${label.padEnd(36)} n=${r.n}  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  max ${ms(r.max)}`);

/** Prints the figures of every clustered backend that answers; `check` records each target met or not. */
export async function storeBackends(check: (target: string, ok: boolean) => void): Promise<void> {
  for (const backend of BACKENDS) {
    console.log(`\n## ${backend.name} store: two instances on the same data`);
    const prepared = await backend.prepare();
    if (!prepared) {
      console.log(`  skipped: ${backend.name} does not answer (see test/support/ for the URL it is looked for at)`);
      continue;
    }
    const a = await createStore(prepared.url, OPTIONS);
    const b = await createStore(prepared.url, OPTIONS);
    try {
      const cross = await watchLatency(a, b, 'bench-cross', WRITES);
      const same = await watchLatency(a, a, 'bench-same', WRITES);
      const polled = await pollerLatency(a, b, 'bench-polled', POLLED);
      line('decision → watcher, other instance', cross);
      line('decision → watcher, same instance', same);
      line('write → 1-second poller (baseline)', polled);
      const lateCross = await effectLateness(a, b, 'bench.cross', EFFECTS);
      const lateSame = await effectLateness(a, a, 'bench.same', EFFECTS);
      line('effect lateness, other instance', lateCross);
      const unheard = await unheardLateness(a, () => createStore(prepared.url, OPTIONS), 'bench.unheard', EFFECTS);
      line('effect lateness, same instance', lateSame);
      line('effect lateness, unheard (polling+start)', unheard);
      check(`${backend.name}: decision → watcher on another instance p99 ≤ 50 ms`, cross.p99 <= 50);
      check(`${backend.name}: effect lateness p99 under the 0.5 s polling interval`, lateCross.p99 < 500);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await prepared.cleanup();
    }
  }
}
