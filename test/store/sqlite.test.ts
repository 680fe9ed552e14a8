import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { createStore } from '../../src/store/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store, Versioned } from '../../src/store/types.js';
import { storeContract } from './contract.js';

storeContract('sqlite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-store-'));
  const url = `sqlite://${join(dir, 'store.sqlite')}`;
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
      await Promise.all(others.map((other) => other.close()));
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// One private in-memory database: nothing survives close.
storeContract('sqlite :memory:', async () => {
  const store = await createStore('sqlite://:memory:', { retry: { minMs: 10, maxMs: 50 } });
  return { store, cleanup: () => store.close() };
});

interface Doc extends Versioned {
  owner: string;
}

describe('SqliteStore on one file', () => {
  let dir: string;
  let stores: Store[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-store-'));
    const url = `sqlite://${join(dir, 'store.sqlite')}`;
    stores = [await createStore(url), await createStore(url)];
  });

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('lets exactly one of 50 replaces spread over two connections win', async () => {
    const [first, second] = stores.map((store) => store.records<Doc>('approvals'));
    if (!first || !second) throw new Error('expected two stores');
    await first.insert({ id: 'req-1', version: 1, owner: 'nobody' });
    const attempts = Array.from({ length: 50 }, (_, i) => ({ id: 'req-1', version: 2, owner: `racer-${i}` }));
    const results = await Promise.all(attempts.map((attempt, i) => (i % 2 ? first : second).replace(attempt, 1)));
    const winners = attempts.filter((_, i) => results[i]);
    expect(winners).toHaveLength(1);
    expect(await second.get('req-1')).toEqual(winners[0]);
  });

  it('treats a field name that looks like SQL as a plain name', async () => {
    const docs = stores[0]!.records<Doc>('approvals');
    await docs.insert({ id: 'req-1', version: 1, owner: 'x' });
    expect(await docs.findBy("owner') OR 1=1 --" as 'owner', 'x')).toEqual([]);
  });

  it('indexes every record written before the namespace declared its indexes, on reopen and on adopting them', async () => {
    const plain = stores[0]!.records<Doc>('approvals');
    for (let i = 0; i < 1500; i++) await plain.insert({ id: `req-${i}`, version: 1, owner: i % 3 ? 'ann' : 'bob' });
    const spec = { indexes: { owner: (r: Doc) => [r.owner] } };
    const reopened = await createStore(`sqlite://${join(dir, 'store.sqlite')}`);
    stores.push(reopened);
    expect(await reopened.records<Doc>('approvals', spec).count('owner', 'bob')).toBe(500);
    // The first store opened the namespace without indexes; declaring them later indexes what is there.
    // Its function changed (it now also files every record under 'any'): a new version says so.
    const adopted = stores[0]!.records<Doc>('approvals', {
      indexes: { owner: (r: Doc) => [r.owner, 'any'] },
      version: 2,
    });
    expect(await adopted.count('owner', 'any')).toBe(1500);
    expect((await adopted.query({ index: 'owner', value: 'ann', limit: 1000 })).items).toHaveLength(1000);
  });

  it('reports a broken file as a StoreError', async () => {
    expect(() => new SqliteStore(`sqlite://${dir}`)).toThrow(StoreError);
  });
});
