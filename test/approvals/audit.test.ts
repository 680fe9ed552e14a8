import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUDIT_HEAD_NAMESPACE,
  AUDIT_NAMESPACE,
  type AuditEntry,
  AuditLog,
  contentHash,
  entryHash,
  GENESIS_HASH,
} from '../../src/approvals/audit.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalNotifier } from '../../src/approvals/notifier.js';
import { createStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store, Versioned } from '../../src/store/types.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const postingNotifier: ApprovalNotifier = {
  requested: async (record) => ({ message: { channel: 'C0APPROVALS', ts: `1700000000.${record.id.length}` } }),
  decided: async () => {},
};

function setup(given?: Store) {
  const clock = new ManualClock();
  const store = given ?? new MemoryStore({ clock });
  const gate = new ApprovalGate({
    store,
    notifier: postingNotifier,
    clock,
    defaultApprovers: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  });
  const audit = new AuditLog({ store, clock });
  audit.attach();
  return { store, clock, gate, audit };
}

/** Appends `count` facts about approval `id`. */
async function appendFacts(audit: AuditLog, count: number, id = 'job-1') {
  for (let i = 0; i < count; i++) await audit.append({ type: 'vote', approvalId: id, actor: `U${i}`, data: { i } });
}

describe('AuditLog: the trail of an approval', () => {
  it('records request, announcement, votes and decision in order, chained by hashes', async () => {
    const { gate, audit } = setup();
    await gate.submit({ id: 'launch-1', title: 'Launch', context: { budget: 50_000 }, requiredApprovals: 2 });
    await settle();
    await gate.decide('launch-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack', feedback: 'fine' });
    const decided = await gate.decide('launch-1', {
      decision: 'approve',
      decidedBy: 'U0BOB',
      via: 'api',
      modifications: { budget: 40_000 },
    });
    await settle();
    await audit.idle();

    const entries = await audit.forApproval('launch-1');
    expect(entries.map((e) => [e.seq, e.type, e.actor])).toEqual([
      [1, 'requested', null],
      [2, 'announced', 'gatehouse'],
      [3, 'vote', 'U0ALICE'],
      [4, 'decided', 'U0BOB'],
    ]);
    expect(entries[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]?.prevHash).toBe(entries[i - 1]?.hash);
    for (const entry of entries) expect(entry.hash).toBe(entryHash(entry));
    expect(entries[0]?.data).toMatchObject({ title: 'Launch', approvers: ['U0ALICE', 'U0BOB', 'U0CAROL'] });
    expect(entries[2]?.data).toMatchObject({ vote: 'approve', via: 'slack', feedback: 'fine' });
    // The decision keeps its facts and a hash of the record, never the record itself.
    expect(entries[3]?.data).toEqual({
      status: 'approved',
      via: 'api',
      feedback: null,
      modifications: { budget: 40_000 },
      recordHash: contentHash(decided),
    });
    expect(JSON.stringify(entries)).not.toContain('50000');
    expect(await audit.verify()).toEqual({ ok: true, entries: 4, head: entries[3]?.hash });
  });

  it('records a cancellation as a decided entry with status cancelled', async () => {
    const { gate, audit } = setup();
    await gate.submit({ id: 'mail-1', title: 'Mass e-mail' });
    await gate.cancel('mail-1', { by: 'agent-7', reason: 'plan changed' });
    await settle();
    await audit.idle();
    // The announcement may land after the decision (it still posts, showing the outcome).
    const last = (await audit.forApproval('mail-1')).find((entry) => entry.type === 'decided');
    expect(last).toMatchObject({ type: 'decided', actor: 'agent-7' });
    expect(last?.data).toMatchObject({ status: 'cancelled', via: 'api', feedback: 'plan changed' });
  });

  it('keeps approvals apart and verifies an empty log', async () => {
    const { gate, audit } = setup();
    expect(await audit.verify()).toEqual({ ok: true, entries: 0, head: GENESIS_HASH });
    await gate.submit({ id: 'a', title: 'A' });
    await gate.submit({ id: 'b', title: 'B' });
    await settle();
    await audit.idle();
    expect((await audit.forApproval('a')).every((e) => e.approvalId === 'a')).toBe(true);
    expect(await audit.forApproval('nope')).toEqual([]);
  });
});

describe('AuditLog: one chain under concurrency', () => {
  it('50 appends at once from five logs sharing a store form one unbroken chain', async () => {
    const store = new MemoryStore();
    const logs = Array.from({ length: 5 }, () => new AuditLog({ store }));
    const appended = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        logs[i % 5]!.append({ type: 'vote', approvalId: 'race', actor: `U${i}`, data: { i } }),
      ),
    );
    expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await logs[0]!.verify()).toMatchObject({ ok: true, entries: 50 });
    expect(new Set((await logs[0]!.forApproval('race')).map((e) => e.data.i)).size).toBe(50);
  });

  it('appends of one log keep their call order', async () => {
    const audit = new AuditLog({ store: new MemoryStore() });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => audit.append({ type: 'vote', approvalId: 'x', actor: null, data: { i } })),
    );
    expect((await audit.forApproval('x')).map((e) => e.data.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('moves the head past an entry whose appender died before moving it', async () => {
    const store = new MemoryStore();
    const audit = new AuditLog({ store });
    await appendFacts(audit, 2);
    // Entry 3 stored, head left at 2: what a crash between the two writes leaves.
    const head = await store.records<Versioned & { hash: string }>(AUDIT_HEAD_NAMESPACE).get('head');
    const orphan = {
      seq: 3,
      approvalId: 'job-1',
      type: 'vote',
      at: new Date().toISOString(),
      actor: 'U9',
      data: {},
      prevHash: head!.hash,
    };
    await store
      .records<Versioned & AuditEntry>(AUDIT_NAMESPACE)
      .insert({ id: '000000000003', version: 1, ...orphan, hash: entryHash(orphan) });
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 3 });

    const next = await audit.append({ type: 'vote', approvalId: 'job-1', actor: 'U10', data: {} });
    expect(next.seq).toBe(4);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 4 });
  });
});

describe('AuditLog on SQLite', () => {
  let dir: string;
  let file: string;
  let stores: Store[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
    file = join(dir, 'store.sqlite');
    const url = `sqlite://${file}`;
    stores = [await createStore(url), await createStore(url)];
  });

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('two connections to one file appending at once never fork the chain', async () => {
    const [a, b] = stores.map((store) => new AuditLog({ store }));
    await Promise.all([appendFacts(a!, 25, 'from-a'), appendFacts(b!, 25, 'from-b')]);
    expect(await a!.verify()).toMatchObject({ ok: true, entries: 50 });
    expect(await b!.forApproval('from-b')).toHaveLength(25);
  });

  describe('finds tampering', () => {
    let audit: AuditLog;
    /** The raw rows, as anyone with the database file could change them. */
    const rows = (namespace = AUDIT_NAMESPACE) => rawRows(file, namespace);

    beforeEach(async () => {
      audit = new AuditLog({ store: stores[0]! });
      await appendFacts(audit, 6);
      expect(await audit.verify()).toMatchObject({ ok: true, entries: 6 });
    });

    it('an edited entry', async () => {
      const entry = await rows().get('000000000003');
      await rows().set('000000000003', { ...entry, data: { i: 99 } });
      expect(await audit.verify()).toEqual({ ok: false, brokenAt: 3, reason: expect.stringContaining('edited') });
    });

    it('an edited entry whose hash was recomputed', async () => {
      const { hash: _hash, ...entry } = await rows().get('000000000003');
      const forged = { ...entry, actor: 'U0MALLORY' };
      await rows().set('000000000003', { ...forged, hash: entryHash(forged) });
      expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: 4 });
    });

    it('a deleted entry', async () => {
      await rows().delete('000000000004');
      expect(await audit.verify()).toEqual({ ok: false, brokenAt: 4, reason: expect.stringContaining('missing') });
    });

    it('the last entry deleted', async () => {
      await rows().delete('000000000006');
      expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: 6 });
    });

    it('two entries swapped', async () => {
      const [second, fifth] = [await rows().get('000000000002'), await rows().get('000000000005')];
      await rows().set('000000000002', fifth);
      await rows().set('000000000005', second);
      expect(await audit.verify()).toEqual({ ok: false, brokenAt: 2, reason: expect.stringContaining('swapped') });
    });

    it('a head that names another hash', async () => {
      const head = rows(AUDIT_HEAD_NAMESPACE);
      await head.set('head', { ...(await head.get('head')), hash: 'f'.repeat(64) });
      expect(await audit.verify()).toEqual({ ok: false, brokenAt: 6, reason: expect.stringContaining('head') });
    });
  });
});

/** Rows of one namespace straight from the SQLite file, bypassing Gatehouse. */
function rawRows(file: string, namespace: string) {
  const withDb = <T>(use: (db: Database.Database) => T): T => {
    const db = new Database(file);
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return {
    // biome-ignore lint/suspicious/noExplicitAny: raw rows are whatever the file holds.
    async get(id: string): Promise<any> {
      const row = withDb((db) => db.prepare('SELECT body FROM records WHERE ns = ? AND id = ?').get(namespace, id));
      return JSON.parse((row as { body: string }).body);
    },
    async set(id: string, value: unknown) {
      withDb((db) =>
        db.prepare('UPDATE records SET body = ? WHERE ns = ? AND id = ?').run(JSON.stringify(value), namespace, id),
      );
    },
    async delete(id: string) {
      withDb((db) => db.prepare('DELETE FROM records WHERE ns = ? AND id = ?').run(namespace, id));
    },
  };
}
