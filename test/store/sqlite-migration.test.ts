import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('moves what an earlier version kept in Keyv’s table into the records and kv tables, once', async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-migrate-'));
  const file = join(dir, 'old.sqlite');
  const old = new Database(file);
  old.exec('CREATE TABLE keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)');
  const put = old.prepare('INSERT INTO keyv (key, value) VALUES (?, ?)');
  put.run('approvals:req-1', JSON.stringify({ value: { id: 'req-1', version: 3, status: 'pending' } }));
  put.run('approvals:req-2', JSON.stringify({ value: { id: 'req-2', version: 1, status: 'approved' } }));
  put.run('claude-cache:abc', JSON.stringify({ value: { answer: 42 }, expires: null }));
  old.close();

  const store = new SqliteStore(`sqlite://${file}`);
  const approvals = store.records<{ id: string; version: number; status: string }>('approvals', {
    indexes: { status: (r) => [r.status] },
  });
  expect(await approvals.get('req-1')).toEqual({ id: 'req-1', version: 3, status: 'pending' });
  expect((await approvals.findBy('status', 'approved')).map((r) => r.id)).toEqual(['req-2']);
  expect(await store.keyv('claude-cache').get('abc')).toEqual({ answer: 42 });
  await store.close();

  // A second start finds nothing left to move and the data where it was.
  const again = new SqliteStore(`sqlite://${file}`);
  expect(await again.records('approvals').get('req-2')).toMatchObject({ status: 'approved' });
  await again.close();
});
