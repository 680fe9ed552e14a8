import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis/index.js';
import type { StoredEffect, Versioned } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { deletePrefix, freshPrefix, redisReachable, urlWithPrefix } from './redis-support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INSTANCE = fileURLToPath(new URL('./fixtures/redis-instance.ts', import.meta.url));
/** BullMQ lock of a running effect; a dead worker's effect is taken over within about three of these. */
const LEASE_MS = 1000;

const reachable = await redisReachable();

/** A child instance and the lines it printed, with a wait for the first line matching. */
interface Child {
  process: ChildProcess;
  lines: string[];
  line(match: (line: string) => boolean): Promise<string>;
}

function startInstance(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiting = new Set<{ match: (line: string) => boolean; resolve: (line: string) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiting) {
      if (!waiter.match(line)) continue;
      waiting.delete(waiter);
      waiter.resolve(line);
    }
  });
  return {
    process: child,
    lines,
    line: (match) =>
      new Promise((resolve, reject) => {
        const seen = lines.find(match);
        if (seen !== undefined) return resolve(seen);
        waiting.add({ match, resolve });
        child.once('exit', (code, signal) => reject(new Error(`instance exited (${code ?? signal}) before the line`)));
      }),
  };
}

describe.skipIf(!reachable)('Redis store across processes', () => {
  let prefix: string;
  let url: string;
  let store: RedisStore;
  let children: Child[];

  beforeEach(async () => {
    prefix = freshPrefix();
    url = urlWithPrefix(prefix);
    store = await RedisStore.open(url, { leaseMs: LEASE_MS, retry: { minMs: 10, maxMs: 50 } });
    children = [];
  });

  afterEach(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await store.close();
    await deletePrefix(prefix);
  });

  it('runs an effect on another instance after the worker running it was killed with -9', async () => {
    const worker = startInstance([url, 'work', 'test.crash', String(LEASE_MS)]);
    children.push(worker);
    await worker.line((line) => line === 'ready');
    await store.effects.enqueue([{ key: 'crash:1', kind: 'test.crash', payload: { n: 1 } }]);
    await worker.line((line) => line === 'started crash:1');
    const exited = new Promise((resolve) => worker.process.once('exit', resolve));
    worker.process.kill('SIGKILL');
    await exited;
    expect(await store.effects.owed('test.crash')).toBe(1);

    const ran = new Promise<StoredEffect>((resolve) => store.effects.handle('test.crash', async (e) => resolve(e)));
    await store.effects.start();
    const effect = await ran;
    expect(effect).toMatchObject({ key: 'crash:1', kind: 'test.crash', payload: { n: 1 } });
    await eventually(
      () => store.effects.owed('test.crash'),
      (n) => n === 0,
    );
  }, 30_000);

  it('wakes a watcher in another process with the id of the record changed here', async () => {
    const watcher = startInstance([url, 'watch', 'items']);
    children.push(watcher);
    await watcher.line((line) => line === 'ready');
    const items = store.records<Versioned>('items');
    await store.records<Versioned>('others').insert({ id: 'elsewhere', version: 1 });
    await items.insert({ id: 'item-1', version: 1 });
    await items.update('item-1', (r) => ({ ...r }));
    expect(await watcher.line((line) => line.startsWith('heard'))).toBe('heard item-1');
    await watcher.line((line) => line === 'heard item-1' && watcher.lines.filter((l) => l === line).length === 2);
    expect(watcher.lines).not.toContain('heard elsewhere');
  }, 30_000);
});
