import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import type { RecordStore, Store, Versioned } from '../../src/store/types.js';
import { effectsContract } from './contract-effects.js';
import { queriesContract } from './contract-queries.js';

/** What a backend hands the contract: a fresh, empty store and how to dispose of it. */
export interface OpenedStore {
  store: Store;
  /** Closes the store and opens the same data again; only for backends that persist. */
  reopen?: () => Promise<Store>;
  /** Closes whichever store is current and removes what it left behind. */
  cleanup: () => Promise<void>;
  /** A second connection (or instance) over the same data, for races and cross-instance behaviour; closed by cleanup. */
  another?: () => Promise<Store>;
}

interface Doc extends Versioned {
  status: string;
  owner: string;
  payload?: unknown;
}

const doc = (overrides: Partial<Doc> = {}): Doc => ({
  id: 'req-1',
  version: 1,
  status: 'pending',
  owner: 'ana',
  ...overrides,
});

const byId = (a: Doc, b: Doc) => a.id.localeCompare(b.id);

const ODD_IDS = [
  'a:b:c',
  '100%',
  'snake_case',
  "o'brien",
  'ünï 🚀 ✓',
  'with space',
  '%',
  '_',
  "'; DROP TABLE keyv; --",
];

/**
 * The behaviour every store backend must have, as one `describe` block: call it once per
 * backend (and per configuration worth checking) from that backend's test file.
 */
export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    let docs: RecordStore<Doc>;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      docs = store.records<Doc>('approvals');
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('records', () => {
      it('returns undefined for a missing id', async () => {
        expect(await docs.get('missing')).toBeUndefined();
      });

      it('inserts a record that get then returns', async () => {
        const record = doc();
        expect(await docs.insert(record)).toEqual({ record, created: true });
        expect(await docs.get(record.id)).toEqual(record);
      });

      it('keeps the first record when the same id is inserted again', async () => {
        const first = doc({ owner: 'ana' });
        await docs.insert(first);
        expect(await docs.insert(doc({ owner: 'bo', version: 9 }))).toEqual({ record: first, created: false });
        expect(await docs.get(first.id)).toEqual(first);
      });

      it("replaces at the current version, writing the caller's record as is", async () => {
        await docs.insert(doc());
        const next = doc({ version: 7, status: 'approved' });
        expect(await docs.replace(next, 1)).toBe(true);
        expect(await docs.get(next.id)).toEqual(next);
      });

      it('refuses to replace a missing id, and does not create it', async () => {
        expect(await docs.replace(doc(), 1)).toBe(false);
        expect(await docs.get(doc().id)).toBeUndefined();
      });

      it("refuses a stale replace and keeps the winner's data", async () => {
        await docs.insert(doc());
        const winner = doc({ version: 2, status: 'approved', owner: 'winner' });
        expect(await docs.replace(winner, 1)).toBe(true);
        expect(await docs.replace(doc({ version: 2, status: 'denied', owner: 'loser' }), 1)).toBe(false);
        expect(await docs.get(winner.id)).toEqual(winner);
      });

      it('lets exactly one of 50 concurrent replaces from the same version win', async () => {
        await docs.insert(doc());
        const attempts = Array.from({ length: 50 }, (_, i) => doc({ version: 2, owner: `racer-${i}` }));
        const results = await Promise.all(attempts.map((attempt) => docs.replace(attempt, 1)));
        const winners = attempts.filter((_, i) => results[i]);
        expect(winners).toHaveLength(1);
        expect(await docs.get(doc().id)).toEqual(winners[0]);
      });

      it('lets exactly one of 50 concurrent inserts of the same id create it', async () => {
        const attempts = Array.from({ length: 50 }, (_, i) => doc({ owner: `racer-${i}` }));
        const results = await Promise.all(attempts.map((attempt) => docs.insert(attempt)));
        const creators = results.filter((result) => result.created);
        expect(creators).toHaveLength(1);
        const stored = await docs.get(doc().id);
        expect(stored).toEqual(creators[0]?.record);
        for (const result of results) expect(result.record).toEqual(stored);
      });

      it('finds exactly the matching records of its own namespace', async () => {
        const archive = store.records<Doc>('archive');
        for (const id of ['a', 'b', 'c']) {
          await docs.insert(doc({ id, status: id === 'b' ? 'approved' : 'pending' }));
          await archive.insert(doc({ id, status: 'pending', owner: 'archived' }));
        }
        expect((await docs.findBy('status', 'pending')).sort(byId)).toEqual([doc({ id: 'a' }), doc({ id: 'c' })]);
        expect(await docs.findBy('status', 'approved')).toEqual([doc({ id: 'b', status: 'approved' })]);
        expect(await docs.findBy('status', 'expired')).toEqual([]);
        expect(await archive.findBy('owner', 'archived')).toHaveLength(3);
      });

      it('keeps records with the same id in two namespaces apart', async () => {
        const archive = store.records<Doc>('archive');
        await docs.insert(doc({ owner: 'live' }));
        expect(await archive.get(doc().id)).toBeUndefined();
        expect((await archive.insert(doc({ owner: 'old' }))).created).toBe(true);
        expect(await archive.replace(doc({ owner: 'older', version: 2 }), 1)).toBe(true);
        expect(await docs.get(doc().id)).toEqual(doc({ owner: 'live' }));
      });

      it('round-trips nested JSON, unicode and quotes', async () => {
        const payload = {
          nested: { list: [1, -2.5, 0, null, true, false, [], {}, [{ deep: ['x'] }]], empty: '' },
          unicode: 'ünïcødé ✓ 日本語 🚀 \u2028\u200d \u0000 end',
          quotes: `'single' "double" \`back\` \\ backslash\nnewline\ttab`,
          big: 1e21,
        };
        await docs.insert(doc({ payload }));
        expect(await docs.get(doc().id)).toEqual(doc({ payload }));
        expect(await docs.findBy('owner', 'ana')).toEqual([doc({ payload })]);
      });

      it('round-trips a 1 MB string', async () => {
        const big = `${'x'.repeat(1024 * 1024 - 2)}✓"`;
        await docs.insert(doc({ payload: big }));
        const stored = await docs.get(doc().id);
        expect(stored?.payload === big).toBe(true);
      });

      it('works with ids holding odd characters', async () => {
        for (const id of ODD_IDS) {
          expect((await docs.insert(doc({ id }))).created).toBe(true);
          expect(await docs.replace(doc({ id, version: 2, status: 'approved' }), 1)).toBe(true);
        }
        for (const id of ODD_IDS) expect(await docs.get(id)).toEqual(doc({ id, version: 2, status: 'approved' }));
        expect((await docs.findBy('status', 'approved')).map((record) => record.id).sort()).toEqual(
          [...ODD_IDS].sort(),
        );
      });

      it('treats LIKE wildcards in ids as plain characters', async () => {
        await docs.insert(doc({ id: 'abc' }));
        await docs.insert(doc({ id: 'ABC' }));
        for (const id of ['a%', '%', 'a_c', '___', 'A%', 'ab_']) {
          expect(await docs.get(id)).toBeUndefined();
          expect(await docs.replace(doc({ id, version: 2 }), 1)).toBe(false);
        }
        expect(await docs.get('abc')).toEqual(doc({ id: 'abc' }));
      });

      it('treats LIKE wildcards and unicode in namespaces as plain characters', async () => {
        const names = ['n_s', 'nxs', 'N_S', 'n%', 'n%s', 'ns', '✓ 🚀_%'];
        for (const ns of names) await store.records<Doc>(ns).insert(doc({ owner: ns }));
        for (const ns of names) {
          const records = store.records<Doc>(ns);
          expect(await records.get(doc().id)).toEqual(doc({ owner: ns }));
          expect(await records.findBy('status', 'pending')).toEqual([doc({ owner: ns })]);
        }
      });

      it('refuses empty namespaces and namespaces holding ":", which would share keys', () => {
        for (const ns of ['', 'a:b', ':']) {
          expect(() => store.records<Doc>(ns)).toThrow(StoreError);
          expect(() => store.keyv(ns)).toThrow(StoreError);
        }
      });
    });

    queriesContract(() => ({ store, opened }));
    effectsContract(() => ({ store, opened }));

    describe('keyv namespaces', () => {
      it('gets, sets and deletes values', async () => {
        const kv = store.keyv('history');
        expect(await kv.get('k')).toBeUndefined();
        await kv.set('k', { list: [1, 'two', { three: '✓' }] });
        expect(await kv.get('k')).toEqual({ list: [1, 'two', { three: '✓' }] });
        expect(await kv.delete('k')).toBe(true);
        expect(await kv.get('k')).toBeUndefined();
      });

      it('keeps the same key in two namespaces apart', async () => {
        await store.keyv('history').set('k', 'history');
        await store.keyv('cache').set('k', 'cache');
        await store.keyv('cache').delete('k');
        expect(await store.keyv('history').get('k')).toBe('history');
        expect(await store.keyv('cache').get('k')).toBeUndefined();
        expect(await store.keyv('other').get('k')).toBeUndefined();
      });

      it('clears only its own namespace, whatever wildcards or case its name holds', async () => {
        for (const ns of ['a_b', 'axb', 'A_B', 'a%']) await store.keyv(ns).set('k', ns);
        await store.keyv('a_b').clear();
        await store.keyv('a%').clear();
        expect(await store.keyv('a_b').get('k')).toBeUndefined();
        expect(await store.keyv('axb').get('k')).toBe('axb');
        expect(await store.keyv('A_B').get('k')).toBe('A_B');
      });
    });

    describe('reopening', () => {
      it('keeps records, their versions and findBy', async (context) => {
        if (!opened.reopen) return context.skip('this backend does not persist');
        const archive = store.records<Doc>('archive');
        await docs.insert(doc());
        await docs.replace(doc({ version: 2, status: 'approved' }), 1);
        await docs.insert(doc({ id: 'req-2', payload: { nested: ['✓', "'"] } }));
        await archive.insert(doc({ owner: 'archived' }));

        store = await opened.reopen();
        docs = store.records<Doc>('approvals');
        expect(await docs.get('req-1')).toEqual(doc({ version: 2, status: 'approved' }));
        expect(await docs.findBy('status', 'pending')).toEqual([doc({ id: 'req-2', payload: { nested: ['✓', "'"] } })]);
        expect(await store.records<Doc>('archive').get('req-1')).toEqual(doc({ owner: 'archived' }));
        expect(await docs.replace(doc({ version: 3 }), 1)).toBe(false);
        expect(await docs.replace(doc({ version: 3 }), 2)).toBe(true);
      });

      it('keeps keyv values', async (context) => {
        if (!opened.reopen) return context.skip('this backend does not persist');
        await store.keyv('history').set('k', { at: 1, by: 'ana' });
        await store.keyv('cache').set('k', 'cached');

        store = await opened.reopen();
        expect(await store.keyv('history').get('k')).toEqual({ at: 1, by: 'ana' });
        expect(await store.keyv('cache').get('k')).toBe('cached');
      });
    });
  });
}
