import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { flatFields } from '../../src/approvals/modifications.js';
import { ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const gate = () =>
  (() => {
    const clock = new ManualClock();
    return new ApprovalGate({ store: new MemoryStore({ clock }), clock });
  })();
const campaign = z.object({
  budget: z.number().int().min(1000).max(100_000),
  channel: z.enum(['search', 'social', 'video']),
  paused: z.boolean().optional(),
});

describe('approve with changes, validated', () => {
  it('stores a zod schema as JSON Schema and shows a flat one as form fields', async () => {
    const g = gate();
    const { record } = await g.submit({
      id: 'm1',
      title: 'T',
      context: { budget: 50000, channel: 'search' },
      modificationsSchema: campaign,
    });
    expect(record.modificationsSchema).toMatchObject({ type: 'object', properties: { budget: { type: 'integer' } } });
    expect(flatFields(record.modificationsSchema)?.map((f) => [f.name, f.type, f.options, f.required])).toEqual([
      ['budget', 'integer', null, true],
      ['channel', 'string', ['search', 'social', 'video'], true],
      ['paused', 'boolean', null, false],
    ]);
    expect(flatFields({ type: 'object', properties: { plan: { type: 'object' } } })).toBeNull();
  });

  it('refuses modifications that break the schema, naming the field, and decides nothing', async () => {
    const g = gate();
    await g.submit({
      id: 'm2',
      title: 'T',
      context: { budget: 50000, channel: 'search' },
      modificationsSchema: campaign,
    });
    const error = await g
      .decide('m2', {
        decision: 'approve',
        decidedBy: 'U0ALICE',
        via: 'api',
        modifications: { budget: 5, channel: 'tv' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field).sort()).toEqual([
      'modifications.budget',
      'modifications.channel',
    ]);
    expect((await g.get('m2')).status).toBe('pending');
  });

  it('returns the final values, the original ones and edited: true', async () => {
    const g = gate();
    const waiting = g.requireApproval({
      id: 'm3',
      title: 'T',
      context: { budget: 50000, channel: 'search', note: 'not editable' },
      modificationsSchema: campaign,
    });
    await settle();
    await g.decide('m3', {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      via: 'api',
      modifications: { budget: 20000, channel: 'search' },
    });
    expect(await waiting).toMatchObject({
      status: 'approved',
      modifications: { budget: 20000, channel: 'search' },
      original: { budget: 50000, channel: 'search' },
      edited: true,
    });
  });

  it('refuses a modifications schema it cannot read', async () => {
    await expect(gate().submit({ title: 'T', modificationsSchema: 'not a schema' })).rejects.toThrow(
      /modificationsSchema/,
    );
  });
});
