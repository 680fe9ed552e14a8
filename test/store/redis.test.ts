import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError, StoreError } from '../../src/errors.js';
import { createStore } from '../../src/store/index.js';
import { RedisStore } from '../../src/store/redis/index.js';
import { jobId, queueName } from '../../src/store/redis/keys.js';
import { RetryLater, type Store, type StoredEffect, type Versioned } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { storeContract } from './contract.js';
import { deletePrefix, freshPrefix, REDIS_URL, redisReachable, urlWithPrefix } from './redis-support.js';

const reachable = await redisReachable();

describe.skipIf(!reachable)('on Redis', () => {
  storeContract('redis', async () => {
    const prefix = freshPrefix();
    const url = urlWithPrefix(prefix);
    const options = { retry: { minMs: 10, maxMs: 50 } };
    let current = await createStore(url, options);
    const others: Store[] = [];
    return {
      store: current,
      another: async () => {
        const other = await createStore(url, options);
        others.push(other);
        return other;
      },
      reopen: async () => {
        await current.close();
        current = await createStore(url, options);
        return current;
      },
      cleanup: async () => {
        await Promise.all([...others, current].map((store) => store.close()));
        await deletePrefix(prefix);
      },
    };
  });

  describe('RedisStore', () => {
    let prefix: string;
    let stores: RedisStore[];
    let admin: Redis;

    const open = async (options: Parameters<typeof RedisStore.open>[1] = {}) => {
      const store = await RedisStore.open(urlWithPrefix(prefix), { retry: { minMs: 10, maxMs: 50 }, ...options });
      stores.push(store);
      return store;
    };

    beforeEach(() => {
      prefix = freshPrefix();
      stores = [];
      admin = new Redis(REDIS_URL);
    });

    afterEach(async () => {
      await Promise.all(stores.map((store) => store.close()));
      admin.disconnect();
      await deletePrefix(prefix);
    });

    it('re-enqueues an owed effect whose job was lost after the commit', async () => {
      const store = await open({ reconcile: { everyMs: 50, graceMs: 100 } });
      await store.effects.enqueue([{ key: 'lost:1', kind: 'test.lost', payload: { n: 1 } }]);
      const queue = new Queue(queueName('test.lost'), { connection: admin, prefix: store.keys.bull });
      expect(await queue.getJob(jobId('lost:1'))).toBeDefined();
      // The key the reconciler looks for is the job's own.
      const jobKey = `${store.keys.bull}:${queueName('test.lost')}:${jobId('lost:1')}`;
      expect(await admin.exists(jobKey)).toBe(1);
      await queue.remove(jobId('lost:1'));
      expect(await queue.getJob(jobId('lost:1'))).toBeUndefined();
      expect(await admin.exists(jobKey)).toBe(0);
      expect(await store.effects.owed('test.lost')).toBe(1);

      const ran = new Promise<StoredEffect>((resolve) => store.effects.handle('test.lost', async (e) => resolve(e)));
      await store.effects.start();
      expect(await ran).toMatchObject({ key: 'lost:1', payload: { n: 1 } });
      await eventually(
        () => store.effects.owed('test.lost'),
        (n) => n === 0,
      );
      await queue.close();
    });

    it('runs each effect once while reconcilers on two instances race the commits and the workers', async () => {
      const reconcile = { everyMs: 5, graceMs: 0 };
      const [first, second] = [await open({ reconcile }), await open({ reconcile })];
      const counts = new Map<string, number>();
      const all = new Promise<void>((resolve) => {
        for (const store of [first, second]) {
          store.effects.handle('test.raced', async (effect) => {
            counts.set(effect.key, (counts.get(effect.key) ?? 0) + 1);
            if ([...counts.values()].reduce((a, b) => a + b, 0) === 100) resolve();
          });
        }
      });
      await Promise.all([first.effects.start(), second.effects.start()]);
      const docs = first.records<Versioned>('docs');
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          docs.insert({ id: `d${i}`, version: 1 }, [{ key: `raced:${i}`, kind: 'test.raced', payload: {} }]),
        ),
      );
      await all;
      await eventually(
        () => first.effects.owed(),
        (n) => n === 0,
      );
      // Reconcilers that ran after the last effect finished find nothing to add again, and any
      // duplicate job would have run by the time the queue is empty.
      await Promise.all([first.effects.reconcile(), second.effects.reconcile()]);
      const queue = new Queue(queueName('test.raced'), { connection: admin, prefix: first.keys.bull });
      const left = async () =>
        Object.values(await queue.getJobCounts('wait', 'active', 'delayed')).reduce((a, b) => a + b);
      await eventually(left, (n) => n === 0);
      await queue.close();
      expect(counts.size).toBe(100);
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    });

    it('does not count a RetryLater as a failed attempt', async () => {
      const store = await open();
      const seen: StoredEffect[] = [];
      const done = new Promise<void>((resolve) =>
        store.effects.handle('test.paced', async (effect) => {
          seen.push(effect);
          if (seen.length < 3) throw new RetryLater(20);
          resolve();
        }),
      );
      await store.effects.start();
      await store.effects.enqueue([{ key: 'paced', kind: 'test.paced', payload: {} }]);
      await done;
      expect(seen.map((effect) => effect.attempts)).toEqual([0, 0, 0]);
    });

    it('hears other instances again after its watch connection was dropped', async () => {
      const [store, other] = [await open(), await open()];
      const heard: string[] = [];
      store.watch('items', (id) => heard.push(id));
      const clients = (await admin.client('LIST')) as string;
      const watcher = clients.split('\n').find((line) => line.includes(`name=gatehouse:${store.instance}:watch `));
      const id = /\bid=(\d+)/.exec(watcher ?? '')?.[1];
      expect(id).toBeDefined();
      expect(await admin.client('KILL', 'ID', id!)).toBe(1);
      let n = 0;
      await eventually(
        async () => {
          await other.records<Versioned>('items').insert({ id: `item-${n++}`, version: 1 });
          return heard.length;
        },
        (count) => count > 0,
      );
    });

    it('writes, runs effects and hears changes again after Redis dropped every connection it had', async () => {
      const [store, other] = [await open(), await open()];
      const ran = new Promise<StoredEffect>((resolve) => store.effects.handle('test.after', async (e) => resolve(e)));
      await store.effects.start();
      const heard: string[] = [];
      store.watch('items', (id) => heard.push(id));
      const lines = ((await admin.client('LIST')) as string).split('\n');
      // The store's, the watch and the jobs connections, and the worker's blocking one (BullMQ names it).
      const ours = lines.filter(
        (line) => line.includes(`name=gatehouse:${store.instance}`) || line.includes(`name=${store.keys.bull}:`),
      );
      expect(ours.length).toBeGreaterThanOrEqual(4);
      for (const line of ours) await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(line)?.[1] ?? '');

      expect((await store.records<Versioned>('items').insert({ id: 'mine', version: 1 })).created).toBe(true);
      await other.effects.enqueue([{ key: 'after', kind: 'test.after', payload: {} }]);
      expect((await ran).key).toBe('after');
      let n = 0;
      await eventually(
        async () => {
          await other.records<Versioned>('items').insert({ id: `theirs-${n++}`, version: 1 });
          return heard.filter((id) => id.startsWith('theirs-')).length;
        },
        (count) => count > 0,
      );
    });

    it('moves index members of ids holding NUL, quotes and unicode when they are replaced', async () => {
      const store = await open();
      interface Tagged extends Versioned {
        tag: string;
      }
      const items = store.records<Tagged>('items', { indexes: { tag: (r) => [r.tag] }, sortKey: (r) => r.tag });
      const ids = ['a\u0000b', '"quoted" \\ back', 'ünï 🚀', '\u2028'];
      for (const id of ids) await items.insert({ id, version: 1, tag: 'old "tag"' });
      for (const id of ids) await items.update(id, (r) => ({ ...r, tag: 'new ✓' }));
      expect(await items.count('tag', 'old "tag"')).toBe(0);
      expect((await items.findBy('tag', 'new ✓')).map((r) => r.id).sort()).toEqual([...ids].sort());
      for (const id of ids) expect(await items.delete(id)).toBe(true);
      expect(await admin.keys(`${prefix}i:*`)).toEqual([]);
    });

    it('rebuilds the index entries of older records when a namespace is opened with another spec', async () => {
      interface Owned extends Versioned {
        tag: string;
        owner: string;
      }
      const before = (await open()).records<Owned>('items', { indexes: { tag: (r) => [r.tag] } });
      for (const [id, owner] of [
        ['a', 'cy'],
        ['b', 'ana'],
        ['c', 'bo'],
      ] as const) {
        await before.insert({ id, version: 1, tag: 'x', owner });
      }
      const after = (await open()).records<Owned>('items', {
        indexes: { owner: (r) => [r.owner] },
        sortKey: (r) => r.owner,
      });
      expect((await after.findBy('owner', 'ana')).map((r) => r.id)).toEqual(['b']);
      expect((await after.query({ index: '*' })).items.map((r) => r.owner)).toEqual(['ana', 'bo', 'cy']);
      expect(await admin.exists(`${prefix}i:items:tag:x`)).toBe(0);
    });

    it('keeps every key under its prefix, and two prefixes apart', async () => {
      const store = await open();
      await store.records<Versioned>('items').insert({ id: 'a', version: 1 });
      await store.keyv('cache').set('k', 'v');
      await store.effects.enqueue([{ key: 'e', kind: 'test.k', payload: {} }]);
      // The record, two index sets, the Keyv hash, the outbox (3 keys) and BullMQ's keys of the job.
      expect((await admin.keys(`${prefix}*`)).length).toBeGreaterThanOrEqual(8);
      const elsewhere = await RedisStore.open(urlWithPrefix(freshPrefix()));
      stores.push(elsewhere);
      expect(await elsewhere.records<Versioned>('items').get('a')).toBeUndefined();
      expect(await elsewhere.keyv('cache').get('k')).toBeUndefined();
      expect(await elsewhere.effects.owed()).toBe(0);
    });
  });
});

describe('opening a Redis store', () => {
  it('fails with a StoreError when Redis does not answer', async () => {
    await expect(RedisStore.open('redis://127.0.0.1:1')).rejects.toThrow(StoreError);
  });

  it('refuses a prefix that is not a plain name, naming STORE_URL', async () => {
    const opening = createStore('redis://127.0.0.1:1?prefix=a*b');
    await expect(opening).rejects.toBeInstanceOf(ConfigError);
    await expect(opening).rejects.toMatchObject({ issues: [{ field: 'STORE_URL' }] });
  });

  it('is a STORE_URL the configuration accepts', () => {
    expect(loadConfig({ STORE_URL: 'redis://10.0.0.5:6379/2?prefix=team' }).storeUrl).toBe(
      'redis://10.0.0.5:6379/2?prefix=team',
    );
  });
});
