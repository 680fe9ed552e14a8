import { describe, expect, it } from 'vitest';
import { CheckpointStore, checkDefinition, checkTaskId, newCheckpoint } from '../../src/agents/checkpoints.js';
import { ConflictError, ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';

const NOW = '2026-01-05T09:00:00.000Z';

function fresh(taskId: string, agent = 'a') {
  return newCheckpoint({ taskId, agent, input: { n: 1 }, budgetUsd: null, now: NOW });
}

describe('CheckpointStore', () => {
  it('creates a task once: a second create with the same id is a conflict', async () => {
    const checkpoints = new CheckpointStore(new MemoryStore());
    const created = await checkpoints.create(fresh('t1'));
    expect(created).toMatchObject({ id: 't1', status: 'running', stageIndex: -1, stageName: null, version: 1 });
    await expect(checkpoints.create(fresh('t1'))).rejects.toBeInstanceOf(ConflictError);
  });

  it('writes only over the version the writer saw', async () => {
    const checkpoints = new CheckpointStore(new MemoryStore());
    const created = await checkpoints.create(fresh('t2'));
    const first = await checkpoints.update(created, (c) => ({ ...c, stageIndex: 0, stageName: 'plan' }));
    expect(first.version).toBe(2);
    // A writer still holding the first version lost the task to the one above.
    await expect(checkpoints.update(created, (c) => ({ ...c, status: 'failed' }))).rejects.toThrow(
      'task t2 was changed by another run',
    );
    expect(await checkpoints.get('t2')).toMatchObject({ stageName: 'plan', status: 'running' });
  });

  it('finds tasks by status and by agent', async () => {
    const checkpoints = new CheckpointStore(new MemoryStore());
    const a = await checkpoints.create(fresh('x', 'campaign'));
    await checkpoints.create(fresh('y', 'digest'));
    await checkpoints.update(a, (c) => ({ ...c, status: 'failed' }));
    expect((await checkpoints.byStatus('running')).map((c) => c.id)).toEqual(['y']);
    expect((await checkpoints.byAgent('campaign')).map((c) => c.id)).toEqual(['x']);
  });

  it('keeps only JSON in a checkpoint', () => {
    expect(
      newCheckpoint({ taskId: 't', agent: 'a', input: { at: new Date(0), skip: undefined }, budgetUsd: 2, now: NOW }),
    ).toMatchObject({ input: { at: '1970-01-01T00:00:00.000Z' }, budgetUsd: 2, spentUsd: 0 });
    expect(() => newCheckpoint({ taskId: 't', agent: 'a', input: () => 1, budgetUsd: null, now: NOW })).toThrow(
      'the input is not JSON-serializable',
    );
  });

  it('accepts task ids and stage names that fit into approval ids', () => {
    expect(checkTaskId('launch-2026.01_a@b')).toBe('launch-2026.01_a@b');
    for (const bad of ['', 'a:b', 'with space', 'x'.repeat(121)])
      expect(() => checkTaskId(bad)).toThrow(ValidationError);
    expect(checkDefinition('a', [{ name: 'plan', run: () => 1 }])).toBe(true);
    expect(() => checkDefinition('', [])).toThrow('name: must not be empty; stages: must list at least one stage');
  });
});
