import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../src/store/redis/index.js';
import type { Versioned } from '../src/store/types.js';
import { ms, percentile, sleep } from './stats.js';

const URL_BASE = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRITES = Number(process.env.BENCH_REDIS_WRITES ?? 500);
const EFFECTS = Number(process.env.BENCH_REDIS_EFFECTS ?? 500);
/** Effects are due over this window, so workers meet them one by one rather than all at once. */
const EFFECT_SPREAD_MS = 10_000;

type Check = (target: string, ok: boolean) => void;

const summarize = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
};

/**
 * The Redis store between two instances (two stores with their own connections, in one process so
 * both read one clock): write → watcher woken on the other instance, against the same instance;
 * and effect lateness, from an effect's run time to its handler starting on the other instance.
 */
export async function benchRedisStore(check: Check): Promise<void> {
  const prefix = `gatehouse-bench-${randomBytes(4).toString('hex')}:`;
  const url = `${URL_BASE}${URL_BASE.includes('?') ? '&' : '?'}prefix=${prefix}`;
  console.log(`\n## Redis store: two instances on ${URL_BASE} (${WRITES} writes, ${EFFECTS} effects)`);
  let writer: RedisStore;
  let watcher: RedisStore;
  try {
    [writer, watcher] = [await RedisStore.open(url), await RedisStore.open(url)];
  } catch (error) {
    console.log(`  skipped: ${(error as Error).message} (set BENCH_REDIS_URL)`);
    return;
  }
  try {
    const other = await writeToWatch(writer, watcher, 'other');
    const same = await writeToWatch(writer, writer, 'same');
    const late = await lateness(writer, watcher, 'live');
    // The recording instance closes right after its writes (as if it crashed): BullMQ's delay alone.
    const gone = await RedisStore.open(url);
    const orphaned = await lateness(gone, watcher, 'gone', () => gone.close());
    for (const [name, r] of [
      ['write → watch, other instance', other],
      ['write → watch, same instance', same],
      ['effect lateness (run time → handler)', late],
      ['  … recording instance gone', orphaned],
    ] as const) {
      console.log(`  ${name.padEnd(38)} n=${r.n}  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  max ${ms(r.max)}`);
    }
    check('Redis write → watcher on another instance p99 under 50 ms', other.p99 < 50);
  } finally {
    await Promise.all([writer.close(), watcher.close()]);
    await deletePrefix(URL_BASE, prefix);
  }
}

/** From just before a write to the watcher hearing its id; one write at a time. */
async function writeToWatch(writer: RedisStore, watcher: RedisStore, label: string) {
  const records = writer.records<Versioned & { n: number }>(`bench-${label}`);
  const waiting = new Map<string, (at: number) => void>();
  const stop = watcher.watch(`bench-${label}`, (id) => waiting.get(id)?.(performance.now()));
  const latencies: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const id = `w-${i}`;
    const heard = new Promise<number>((resolve) => waiting.set(id, resolve));
    const sent = performance.now();
    await records.insert({ id, version: 1, n: i });
    latencies.push((await heard) - sent);
    waiting.delete(id);
    await sleep(Math.random() * 4);
  }
  stop();
  return summarize(latencies);
}

/**
 * Effects recorded by one instance, due over a few seconds, run by the other's BullMQ workers;
 * `recorded` runs once they are all recorded.
 */
async function lateness(writer: RedisStore, worker: RedisStore, label: string, recorded?: () => Promise<void>) {
  const late: number[] = [];
  const kind = `bench.timed-${label}`;
  const done = new Promise<void>((resolve) => {
    worker.effects.handle(kind, async (effect) => {
      late.push(Date.now() - effect.runAt);
      if (late.length === EFFECTS) resolve();
    });
  });
  await worker.effects.start();
  const start = Date.now() + 5000;
  const docs = writer.records<Versioned>(`bench-effects-${label}`);
  await Promise.all(
    Array.from({ length: EFFECTS }, (_, i) =>
      docs.insert({ id: `e-${i}`, version: 1 }, [
        {
          key: `timed:${label}:${i}`,
          kind,
          payload: {},
          runAt: start + Math.round(Math.random() * EFFECT_SPREAD_MS),
        },
      ]),
    ),
  );
  await recorded?.();
  await done;
  return summarize(late);
}

async function deletePrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
