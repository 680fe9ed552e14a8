import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import type { Store, StoredEffect, Versioned } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { dropSchema, freshSchema, postgresAvailable, schemaUrl } from '../support/postgres.js';
import type { InstanceLine } from './fixtures/pg-instance.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INSTANCE = fileURLToPath(new URL('./fixtures/pg-instance.ts', import.meta.url));
const LEASE_MS = 2000;
const available = await postgresAvailable();

/** A child instance and every line it printed so far. */
function startInstance(url: string, mode: 'worker' | 'watcher', name: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE, url, mode, name], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: InstanceLine[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as InstanceLine));
  return { child, lines };
}

describe.skipIf(!available)('PostgreSQL store across processes', () => {
  let schema: string;
  let url: string;
  let store: Store;
  let children: ChildProcess[];

  beforeEach(async () => {
    schema = freshSchema();
    url = schemaUrl(schema);
    store = await createStore(url, { leaseMs: LEASE_MS, pollMs: 500 });
    children = [];
  });

  afterEach(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await store.close();
    await dropSchema(schema);
  });

  it('runs an effect on another instance after the lease of a worker killed mid-effect ran out', async () => {
    const worker = startInstance(url, 'worker', 'test.crash');
    children.push(worker.child);
    await eventually(
      async () => worker.lines,
      (lines) => lines.some((line) => 'ready' in line),
      15_000,
    );

    await store.effects.enqueue([{ key: 'crash:1', kind: 'test.crash', payload: { n: 1 } }]);
    const started = await eventually(
      async () => worker.lines.find((line): line is { started: string; at: number } => 'started' in line),
      (line) => line !== undefined,
    );
    expect(started?.started).toBe('crash:1');
    const exited = new Promise((resolve) => worker.child.once('exit', resolve));
    worker.child.kill('SIGKILL');
    await exited;

    const runs: Array<StoredEffect & { ranAt: number }> = [];
    store.effects.handle('test.crash', async (effect) => {
      runs.push({ ...effect, ranAt: Date.now() });
    });
    await store.effects.start();
    await eventually(
      async () => runs,
      (list) => list.length > 0,
      15_000,
    );
    expect(runs.map((run) => run.key)).toEqual(['crash:1']);
    expect(runs[0]?.payload).toEqual({ n: 1 });
    // Not before the dead worker's lease ended.
    expect((runs[0]?.ranAt ?? 0) - (started?.at ?? 0)).toBeGreaterThanOrEqual(LEASE_MS - 50);
    await eventually(
      () => store.effects.owed('test.crash'),
      (n) => n === 0,
    );
    expect(runs).toHaveLength(1);
  });

  it('wakes a watcher in another process with the id of the record this one wrote', async () => {
    const watcher = startInstance(url, 'watcher', 'approvals');
    children.push(watcher.child);
    await eventually(
      async () => watcher.lines,
      (lines) => lines.some((line) => 'ready' in line),
      15_000,
    );

    const records = store.records<Versioned & { status: string }>('approvals');
    await records.insert({ id: 'req-1', version: 1, status: 'pending' });
    await records.update('req-1', (r) => ({ ...r, status: 'approved' }));
    await store.records<Versioned>('other').insert({ id: 'not-watched', version: 1 });
    await eventually(
      async () => watcher.lines.filter((line) => 'heard' in line),
      (heard) => heard.length >= 2,
    );
    await records.insert({ id: 'req-2', version: 1, status: 'pending' });
    const heard = await eventually(
      async () => watcher.lines.filter((line): line is { heard: string } => 'heard' in line).map((line) => line.heard),
      (ids) => ids.includes('req-2'),
    );
    expect(heard).toEqual(['req-1', 'req-1', 'req-2']);
  });
});
