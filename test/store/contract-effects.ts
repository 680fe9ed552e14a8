import { describe, expect, it } from 'vitest';
import { type Effect, RetryLater, type Store, type StoredEffect, type Versioned } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import type { OpenedStore } from './contract.js';

interface Doc extends Versioned {
  status: string;
}

/** Resolves once `count` effects were handled; collects what each handler saw. */
function collect(store: Store, kind: string, count: number, handler?: (effect: StoredEffect) => Promise<void>) {
  const seen: Array<StoredEffect & { ranAt: number }> = [];
  const done = new Promise<typeof seen>((resolve) => {
    store.effects.handle(kind, async (effect) => {
      await handler?.(effect);
      seen.push({ ...effect, ranAt: Date.now() });
      if (seen.length === count) resolve(seen);
    });
  });
  return { seen, done };
}

const effect = (key: string, overrides: Partial<Effect> = {}): Effect => ({
  key,
  kind: 'test.note',
  payload: { key, nested: { list: [1, 'two', null] } },
  ...overrides,
});

/**
 * Effects: recorded in the same atomic write as a record change, run by the store's workers until
 * their handler returns. Backends under test should be opened with a short retry backoff.
 */
export function effectsContract(current: () => { store: Store; opened: OpenedStore }): void {
  describe('effects', () => {
    it('records effects with an insert that creates, and not with one that finds the record there', async () => {
      const { store } = current();
      const docs = store.records<Doc>('docs');
      const { done, seen } = collect(store, 'test.note', 2);
      await store.effects.start();
      await docs.insert({ id: 'a', version: 1, status: 'new' }, [effect('created:a')]);
      await docs.insert({ id: 'a', version: 1, status: 'again' }, [effect('created:a-again')]);
      await docs.update('a', (r) => ({ record: { ...r, status: 'done' }, effects: [effect('done:a')] }));
      const ran = await done;
      expect(ran.map((e) => e.key).sort()).toEqual(['created:a', 'done:a']);
      expect(ran[0]?.payload).toEqual({ key: ran[0]?.key, nested: { list: [1, 'two', null] } });
      expect(seen.every((e) => e.attempts === 0 && e.lastError === null)).toBe(true);
      await eventually(
        () => store.effects.owed(),
        (n) => n === 0,
      );
    });

    it('records nothing with a replace that lost', async () => {
      const { store } = current();
      const docs = store.records<Doc>('docs');
      await docs.insert({ id: 'a', version: 1, status: 'new' });
      expect(await docs.replace({ id: 'a', version: 2, status: 'x' }, 7, [effect('lost:a')])).toBe(false);
      expect(await store.effects.owed('test.note')).toBe(0);
    });

    it('keeps effects owed while no instance handles their kind, and runs them once one does', async () => {
      const { store } = current();
      await store.effects.start();
      await store.effects.enqueue([
        effect('later:1', { kind: 'test.later' }),
        effect('later:2', { kind: 'test.later' }),
      ]);
      await store.effects.enqueue([effect('later:1', { kind: 'test.later' })]);
      expect(await store.effects.owed('test.later')).toBe(2);
      const { done } = collect(store, 'test.later', 2);
      expect((await done).map((e) => e.key).sort()).toEqual(['later:1', 'later:2']);
    });

    it('retries a failing effect with its attempts counted, until it succeeds', async () => {
      const { store } = current();
      let calls = 0;
      const { done } = collect(store, 'test.flaky', 1, async () => {
        calls++;
        if (calls < 3) throw new Error(`failure ${calls}`);
      });
      await store.effects.start();
      await store.effects.enqueue([effect('flaky', { kind: 'test.flaky' })]);
      const [ran] = await done;
      expect(calls).toBe(3);
      expect(ran?.attempts).toBe(2);
      expect(ran?.lastError).toBe('failure 2');
    });

    it('runs a RetryLater effect again after the delay it names', async () => {
      const { store } = current();
      let first = 0;
      const { done } = collect(store, 'test.paced', 1, async () => {
        if (first === 0) {
          first = Date.now();
          throw new RetryLater(150);
        }
      });
      await store.effects.start();
      await store.effects.enqueue([effect('paced', { kind: 'test.paced' })]);
      const [ran] = await done;
      expect((ran?.ranAt ?? 0) - first).toBeGreaterThanOrEqual(140);
    });

    it('does not run an effect before its run time', async () => {
      const { store } = current();
      const { done } = collect(store, 'test.timed', 1);
      await store.effects.start();
      const runAt = Date.now() + 250;
      await store.effects.enqueue([effect('timed', { kind: 'test.timed', runAt })]);
      const [ran] = await done;
      expect(ran?.ranAt).toBeGreaterThanOrEqual(runAt);
      expect(ran?.runAt).toBe(runAt);
    });

    it('runs each of 60 effects once with two instances working the same outbox', async (context) => {
      const { store, opened } = current();
      if (!opened.another) return context.skip('this backend has one connection');
      const other = await opened.another();
      const counts = new Map<string, number>();
      let total = 0;
      const all = new Promise<void>((resolve) => {
        for (const s of [store, other]) {
          s.effects.handle('test.shared', async (e) => {
            counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
            if (++total === 60) resolve();
          });
        }
      });
      await Promise.all([store.effects.start(), other.effects.start()]);
      const docs = store.records<Doc>('docs');
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          docs.insert({ id: `d${i}`, version: 1, status: 'new' }, [effect(`shared:${i}`, { kind: 'test.shared' })]),
        ),
      );
      await all;
      expect(counts.size).toBe(60);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    });

    it('shares a rate limit between instances: one take per key and window in all', async () => {
      const { store, opened } = current();
      const others = opened.another ? [await opened.another()] : [];
      const limits = [store, ...others].map((s) => s.rateLimit('test-pace', { points: 1, durationMs: 1000 }));
      expect(await limits[0]!.take('slack:C1')).toBe(0);
      const again = await limits[limits.length - 1]!.take('slack:C1');
      expect(again).toBeGreaterThan(0);
      expect(again).toBeLessThanOrEqual(1000);
      expect(await limits[0]!.take('slack:C2')).toBe(0);
    });
  });
}
