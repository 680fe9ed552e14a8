import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import type { RaceRecord, RacerReport } from './fixtures/replace-racer.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RACER = fileURLToPath(new URL('./fixtures/replace-racer.ts', import.meta.url));
const RACERS = ['racer-1', 'racer-2', 'racer-3', 'racer-4'];
/** Long enough for four Node processes to start, load tsx and open the file before the race. */
const START_DELAY_MS = 6_000;

describe('SQLite store across processes', () => {
  let dir: string;
  let file: string;
  let store: Store;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-race-'));
    file = join(dir, 'store.sqlite');
    store = await createStore(`sqlite://${file}`);
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Inserts each id at version 1, then has every racer replace them all at one shared instant. */
  async function race(ids: string[]): Promise<RacerReport[]> {
    const records = store.records<RaceRecord>('approvals');
    for (const id of ids) await records.insert({ id, version: 1, winner: 'nobody' });
    const startAt = Date.now() + START_DELAY_MS;
    const reports = await Promise.all(
      RACERS.map(async (racer) => {
        const args = ['--import', 'tsx', RACER, file, 'approvals', racer, String(startAt), ...ids];
        const { stdout } = await run(process.execPath, args, { cwd: ROOT });
        return JSON.parse(stdout) as RacerReport;
      }),
    );
    const late = reports.filter((report) => report.readyAt > startAt).map((report) => report.racer);
    expect(late, 'racers not ready at the start instant: raise START_DELAY_MS').toEqual([]);
    return reports;
  }

  it("lets exactly one of four processes replace a record, and stores the winner's", async () => {
    const reports = await race(['req-1']);
    const winners = reports.filter((report) => report.won.includes('req-1'));
    expect(winners).toHaveLength(1);
    const stored = await store.records<RaceRecord>('approvals').get('req-1');
    expect(stored).toEqual({ id: 'req-1', version: 2, winner: winners[0]?.racer });
  });

  it('gives each of 25 records raced at once exactly one winner', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `req-${i}`);
    const reports = await race(ids);
    const records = store.records<RaceRecord>('approvals');
    for (const id of ids) {
      const winners = reports.filter((report) => report.won.includes(id));
      expect(winners, id).toHaveLength(1);
      expect(await records.get(id)).toEqual({ id, version: 2, winner: winners[0]?.racer });
    }
  });
});

describe('createStore', () => {
  it('creates the missing directory of a relative sqlite:// path', async () => {
    const base = await mkdtemp(join(tmpdir(), 'gatehouse-dir-'));
    const file = join(base, 'some', 'new', 'dir', 'file.sqlite');
    const store = await createStore(`sqlite://${relative(process.cwd(), file)}`);
    try {
      expect(existsSync(file)).toBe(true);
      await store.records('approvals').insert({ id: 'req-1', version: 1 });
      expect(await store.records('approvals').get('req-1')).toEqual({ id: 'req-1', version: 1 });
    } finally {
      await store.close();
      await rm(base, { recursive: true, force: true });
    }
  });

  it.each(['mysql://localhost/db', 'mongodb://localhost/gatehouse'])('refuses %s naming STORE_URL', async (url) => {
    const opening = createStore(url);
    await expect(opening).rejects.toBeInstanceOf(ConfigError);
    await expect(opening).rejects.toMatchObject({ issues: [{ field: 'STORE_URL' }] });
    await expect(opening).rejects.toThrow(/STORE_URL/);
  });
});
