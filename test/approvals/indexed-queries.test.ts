import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { pendingFor } from '../../src/approvals/pending-for.js';
import { IndexedApprovalQueries } from '../../src/approvals/queries.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { ValidationError } from '../../src/errors.js';
import { createStore } from '../../src/store/index.js';
import type { RecordStore, Store } from '../../src/store/types.js';
import { ManualClock } from '../support/manual-clock.js';

let store: Store;
let gate: ApprovalGate;
let queries: IndexedApprovalQueries;
const clock = new ManualClock(Date.parse('2026-03-10T09:00:00.000Z'));

/** Counts the store reads a call makes and the records they return. */
function counting(records: RecordStore<ApprovalRecord>) {
  const seen = { queries: 0, records: 0 };
  const port: Pick<RecordStore<ApprovalRecord>, 'query' | 'count'> = {
    query: async (q) => {
      const page = await records.query(q);
      seen.queries += 1;
      seen.records += page.items.length;
      return page;
    },
    count: (index, value) => records.count(index, value),
  };
  return { port, seen };
}

beforeAll(async () => {
  store = await createStore('sqlite://:memory:', { clock });
  gate = new ApprovalGate({ store, clock });
  // 40 requests, a second apart, decided in turn approve / reject / cancel / pending.
  for (let i = 0; i < 40; i++) {
    const id = `req-${String(i).padStart(2, '0')}`;
    const approvers = i % 2 === 0 ? ['U0ALICE'] : ['U0BOB'];
    await gate.submit({ id, title: `Request ${i}`, approvers, taskId: i < 10 ? 'task-a' : undefined });
    if (i % 4 === 0) await gate.decide(id, { decision: 'approve', decidedBy: approvers[0]!, via: 'api' });
    if (i % 4 === 1) await gate.decide(id, { decision: 'reject', decidedBy: 'U0CAROL', via: 'api' });
    if (i % 4 === 2) await gate.cancel(id);
    await clock.advance(1000);
  }
  await gate.submit({ id: 'for-team', title: 'Team call', approvers: ['S0TEAM'] });
  queries = new IndexedApprovalQueries(gate.records, clock);
});
afterAll(async () => {
  gate.stop();
  await store.close();
});

const ids = (records: ApprovalRecord[]) => records.map((r) => r.id);

describe('approval lists on the indexes', () => {
  it('pages a list of several statuses newest first, each page reading no more than the page', async () => {
    const { port, seen } = counting(gate.records);
    const lists = new IndexedApprovalQueries(port, clock);
    const expected = ['req-37', 'req-36', 'req-33', 'req-32', 'req-29', 'req-28', 'req-25', 'req-24'];
    const got: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 4; page++) {
      const result = await lists.list({ status: ['approved', 'rejected'], limit: 2, cursor });
      got.push(...ids(result.items));
      cursor = result.nextCursor ?? undefined;
    }
    expect(got).toEqual(expected);
    // Two sources, at most two reads each per page (a page and the cursor re-read), two records each.
    expect(seen.queries).toBeLessThanOrEqual(16);
    expect(seen.records).toBeLessThanOrEqual(32);
    const all = await lists.list({ status: ['approved', 'rejected'], limit: 200 });
    expect(all.items).toHaveLength(20);
    expect(all.nextCursor).toBeNull();
  });

  it('narrows by approver (listed or decided), by task, and by both', async () => {
    const carol = await queries.list({ approver: 'U0CAROL', limit: 100 });
    expect(carol.items.every((r) => r.status === 'rejected')).toBe(true);
    expect(carol.items).toHaveLength(10);
    const task = await queries.list({ taskId: 'task-a', status: ['pending'], limit: 100 });
    expect(ids(task.items)).toEqual(['req-07', 'req-03']);
    const both = await queries.list({ taskId: 'task-a', approver: 'U0BOB', limit: 100 });
    expect(ids(both.items)).toEqual(['req-09', 'req-07', 'req-05', 'req-03', 'req-01']);
  });

  it('answers a cursor it never handed out with a ValidationError on cursor', async () => {
    const tampered = Buffer.from(JSON.stringify({ approved: 'not-a-store-cursor' })).toString('base64url');
    await expect(queries.list({ status: ['approved', 'rejected'], limit: 2, cursor: tampered })).rejects.toThrow(
      ValidationError,
    );
    const unknown = Buffer.from(JSON.stringify({ maybe: null })).toString('base64url');
    await expect(queries.list({ limit: 2, cursor: unknown })).rejects.toThrow(ValidationError);
  });

  it("reads a viewer's pending requests and the open ones, nothing decided", async () => {
    const alice = await pendingFor(gate.records, ['U0ALICE']);
    expect(alice.every((r) => r.status === 'pending')).toBe(true);
    expect(ids(alice).sort()).toEqual(['for-team']);
    const bob = await pendingFor(gate.records, ['U0BOB'], 3);
    expect(ids(bob)).toEqual(['for-team', 'req-03', 'req-07', 'req-11']);
  });
});
