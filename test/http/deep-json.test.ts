import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalIndexes } from '../../src/approvals/records.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

const nested = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { down: value };
  return value;
};

let g: TestGatehouse | undefined;
afterEach(async () => {
  await g?.stop();
  g = undefined;
});

describe('deeply nested JSON', () => {
  it('refuses a context nested 1,000 levels deep with a 400 naming the field, storing nothing', async () => {
    g = await startGatehouse({ slack: false });
    const res = await g.api('/api/v1/approvals', { json: { id: 'deep-1', title: 'Deep', context: nested(1000) } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: Array<{ field: string; message: string }> };
    expect(body.issues).toEqual([{ field: 'context', message: 'must not nest deeper than 64 levels' }]);
    expect((await g.api('/api/v1/approvals/deep-1')).status).toBe(404);
    expect(
      (await g.api('/api/v1/approvals', { json: { id: 'deep-2', title: 'OK', context: nested(60) } })).status,
    ).toBe(201);
  });

  it('refuses modifications nested too deep', async () => {
    g = await startGatehouse({ slack: false });
    await g.api('/api/v1/approvals', { json: { id: 'deep-3', title: 'Deep' } });
    const res = await g.api('/api/v1/approvals/deep-3/decision', {
      json: { decision: 'approve', decidedBy: 'U0ALICE', modifications: nested(200) },
    });
    expect(res.status).toBe(400);
    expect((await g.api('/api/v1/approvals/deep-3')).ok).toBe(true);
  });

  it('starts and answers queries even with a stored record no JSON function could read', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-deep-')), 'gatehouse.sqlite');
    g = await startGatehouse({ slack: false, sqliteFile: file });
    // Written past the edge (as an older version could have): deeper than SQLite's JSON functions read.
    const approvals = g.gatehouse.store.records<ApprovalRecord>('approvals', approvalIndexes);
    const good = (await (
      await g.api('/api/v1/approvals', { json: { id: 'fine', title: 'Fine' } })
    ).json()) as ApprovalRecord;
    await approvals.insert({ ...good, id: 'poison', context: nested(1500) as ApprovalRecord['context'], version: 1 });
    await g.stop();

    g = await startGatehouse({ slack: false, sqliteFile: file });
    expect(await g.gatehouse.gate.records.count('status', 'pending')).toBe(2);
    const fine = await g.api('/api/v1/approvals/fine');
    expect(fine.status).toBe(200);
    expect((await g.api('/api/v1/approvals', { json: { id: 'after', title: 'After' } })).status).toBe(201);
  });
});
