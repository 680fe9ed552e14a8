import { describe, expect, it } from 'vitest';
import { NotFoundError, StoreError } from '../../src/errors.js';
import { ALL, type IndexSpec, type Store, type Versioned } from '../../src/store/types.js';
import type { OpenedStore } from './contract.js';

interface Item extends Versioned {
  status: string;
  tags: string[];
  at: string;
  owner?: string | null;
}

const SPEC: IndexSpec<Item> = {
  indexes: { status: (r) => [r.status], tag: (r) => r.tags, owner: (r) => [r.owner] },
  sortKey: (r) => r.at,
};

const item = (n: number, overrides: Partial<Item> = {}): Item => ({
  id: `item-${String(n).padStart(3, '0')}`,
  version: 1,
  status: n % 3 === 0 ? 'done' : 'open',
  tags: n % 2 === 0 ? ['even', 'all'] : ['all'],
  at: `2026-01-01T00:${String(n % 60).padStart(2, '0')}:00.000Z`,
  ...overrides,
});

/** Indexed queries, update, delete and watch: part of the store contract. */
export function queriesContract(current: () => { store: Store; opened: OpenedStore }): void {
  describe('indexed queries', () => {
    it('pages an index in sort-key order, both ways, with cursors', async () => {
      const items = current().store.records<Item>('items', SPEC);
      for (let n = 1; n <= 25; n++) await items.insert(item(n));
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await items.query({ index: 'tag', value: 'all', limit: 7, after });
        expect(page.items.length).toBeLessThanOrEqual(7);
        seen.push(...page.items.map((r) => r.id));
        after = page.next ?? undefined;
      } while (after);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => item(i + 1).id));
      const desc = await items.query({ index: 'status', value: 'done', order: 'desc', limit: 3 });
      expect(desc.items.map((r) => r.id)).toEqual(['item-024', 'item-021', 'item-018']);
      const rest = await items.query({ index: 'status', value: 'done', order: 'desc', limit: 100, after: desc.next! });
      expect(rest.items.map((r) => r.id)).toEqual(['item-015', 'item-012', 'item-009', 'item-006', 'item-003']);
      expect(rest.next).toBeNull();
    });

    it('finds array elements, ranges of the sort key, and counts', async () => {
      const items = current().store.records<Item>('items', SPEC);
      for (let n = 1; n <= 10; n++) await items.insert(item(n));
      expect((await items.query({ index: 'tag', value: 'even' })).items).toHaveLength(5);
      const range = await items.query({ index: ALL, from: '2026-01-01T00:03:00.000Z', to: '2026-01-01T00:06:00.000Z' });
      expect(range.items.map((r) => r.id)).toEqual(['item-003', 'item-004', 'item-005']);
      expect(await items.count('status', 'done')).toBe(3);
      expect(await items.count(ALL)).toBe(10);
      expect(await items.count('owner', 'nobody')).toBe(0);
    });

    it('moves a record between index values when it changes, and drops it on delete', async () => {
      const items = current().store.records<Item>('items', SPEC);
      await items.insert(item(1));
      await items.update(item(1).id, (r) => ({ ...r, status: 'done', tags: [] }));
      expect(await items.count('status', 'open')).toBe(0);
      expect((await items.findBy('status', 'done')).map((r) => r.version)).toEqual([2]);
      expect(await items.count('tag', 'all')).toBe(0);
      expect(await items.delete(item(1).id)).toBe(true);
      expect(await items.delete(item(1).id)).toBe(false);
      expect(await items.get(item(1).id)).toBeUndefined();
      expect(await items.count(ALL)).toBe(0);
    });

    it('refuses undeclared indexes, bad limits and foreign cursors', async () => {
      const items = current().store.records<Item>('items', SPEC);
      await expect(items.query({ index: 'nope', value: 'x' })).rejects.toThrow(StoreError);
      await expect(items.query({ index: ALL, limit: 0 })).rejects.toThrow(/limit/);
      await expect(items.query({ index: ALL, after: 'not-a-cursor' })).rejects.toThrow(StoreError);
    });

    it('keeps index values holding odd characters exact', async () => {
      const items = current().store.records<Item>('items', SPEC);
      const odd = ['a%', '%', 'a_c', "o'brien", 'ünï 🚀', 'A%'];
      for (const [n, owner] of odd.entries()) await items.insert(item(n + 1, { owner }));
      for (const owner of odd) expect((await items.findBy('owner', owner)).map((r) => r.owner)).toEqual([owner]);
    });
  });

  describe('update', () => {
    it('bumps the version, and retries the change when another writer got in between', async () => {
      const items = current().store.records<Item>('items', SPEC);
      await items.insert(item(1));
      let calls = 0;
      const next = await items.update(item(1).id, (r) => {
        calls++;
        if (calls === 1) void items.replace({ ...r, version: 2, owner: 'sneaky' }, 1);
        return { ...r, status: 'done' };
      });
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(next.version).toBe((await items.get(item(1).id))?.version);
      expect((await items.get(item(1).id))?.status).toBe('done');
    });

    it('applies 40 concurrent increments exactly once each', async () => {
      const counters = current().store.records<Versioned & { n: number }>('counters');
      await counters.insert({ id: 'c', version: 1, n: 0 });
      await Promise.all(Array.from({ length: 40 }, () => counters.update('c', (r) => ({ ...r, n: r.n + 1 }))));
      expect((await counters.get('c'))?.n).toBe(40);
    });

    it('writes nothing when the change returns the record as it is, and throws NotFound for a missing id', async () => {
      const items = current().store.records<Item>('items', SPEC);
      await items.insert(item(1));
      const same = await items.update(item(1).id, (r) => r);
      expect(same.version).toBe(1);
      await expect(items.update('missing', (r) => r)).rejects.toThrow(NotFoundError);
    });

    it('lets a change give up by throwing, writing nothing', async () => {
      const items = current().store.records<Item>('items', SPEC);
      await items.insert(item(1));
      await expect(
        items.update(item(1).id, () => {
          throw new Error('decided meanwhile');
        }),
      ).rejects.toThrow('decided meanwhile');
      expect((await items.get(item(1).id))?.version).toBe(1);
    });
  });

  describe('watch', () => {
    it('tells watchers of the namespace which record changed', async () => {
      const { store } = current();
      const seen: string[] = [];
      const got = new Promise<void>((resolve) => {
        const stop = store.watch('items', (id) => {
          seen.push(id);
          if (id === item(2).id) {
            stop();
            resolve();
          }
        });
      });
      const items = store.records<Item>('items', SPEC);
      await store.records<Item>('others', SPEC).insert(item(9));
      await items.insert(item(1));
      await items.update(item(1).id, (r) => ({ ...r, status: 'done' }));
      await items.insert(item(2));
      await got;
      expect(seen).toContain(item(1).id);
      expect(seen).not.toContain(item(9).id);
    });

    it('hears changes made through another connection', async (context) => {
      const { opened, store } = current();
      if (!opened.another) return context.skip('this backend has one connection');
      const other = await opened.another();
      const heard = new Promise<string>((resolve) => {
        const stop = store.watch('items', (id) => {
          stop();
          resolve(id);
        });
      });
      await other.records<Item>('items', SPEC).insert(item(5));
      expect(await heard).toBe(item(5).id);
    });
  });
}
