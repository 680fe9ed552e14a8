import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { newTaskId } from '../../src/tasks/view.js';
import { eventually } from '../support/eventually.js';
import { boot, deferred, RecordingObserver, stageHooks, testRegistry } from './support.js';

function setup() {
  const hooks = stageHooks();
  const observer = new RecordingObserver();
  const store = new MemoryStore();
  const { tasks, gate } = boot(store, testRegistry(hooks), { observer });
  return { hooks, observer, store, tasks, gate };
}

describe('TaskService', () => {
  it('names new tasks after their agent with six hex digits', () => {
    expect(newTaskId('campaign-launch')).toMatch(/^campaign-launch-[0-9a-f]{6}$/);
  });

  it('returns a started task at once and runs it in the background', async () => {
    const { hooks, tasks } = setup();
    const work = deferred();
    hooks.gates.set('work', work.promise);

    const task = await tasks.start('three-step', { n: '7' }, { startedBy: 'U0ALICE', channel: 'C0OPS' });
    expect(task).toMatchObject({
      id: 'three-step-000001',
      agent: 'three-step',
      status: 'running',
      startedBy: 'U0ALICE',
    });
    expect(task.input).toEqual({ n: 7 });

    await eventually(
      () => tasks.status(task.id),
      (t) => t.stage === 'work',
    );
    const running = await tasks.status(task.id);
    expect(running.stages.map((s) => `${s.name}:${s.state}`)).toEqual(['plan:done', 'work:running', 'finish:pending']);

    work.resolve();
    const done = await tasks.settled(task.id);
    expect(done).toMatchObject({ status: 'completed', stage: null, channel: 'C0OPS' });
    expect(done.results).toEqual({ plan: { plan: 7 }, work: { work: 7 }, finish: { finish: 7 } });
    expect(done.stages.every((s) => s.state === 'done' && typeof s.durationMs === 'number')).toBe(true);
  });

  it('tells the observer of every stage, in order, and keeps the progress message', async () => {
    const { observer, tasks } = setup();
    const task = await tasks.start('three-step', { n: 1 }, { startedBy: 'api' });
    await tasks.settled(task.id);
    await eventually(
      () => tasks.threadForTask(task.id),
      (ref) => ref !== null,
    );
    expect(observer.events).toEqual([
      `started ${task.id}`,
      'stage plan',
      'done plan',
      'stage work',
      'done work',
      'stage finish',
      'done finish',
      'finished completed',
    ]);
    expect(await tasks.threadForTask(task.id)).toEqual(observer.message);
  });

  it('refuses bad input naming the key, and unknown agents listing the known ones', async () => {
    const { tasks } = setup();
    await expect(tasks.start('three-step', { n: 'abc' }, { startedBy: 'api' })).rejects.toThrow('n: expected a number');
    await expect(tasks.start('three-step', { n: 1, m: 2 }, { startedBy: 'api' })).rejects.toThrow(
      'm: is not a known field',
    );
    const unknown = await tasks.start('nope', {}, { startedBy: 'api' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as ValidationError).message).toContain('known agents: gated, three-step');
  });

  it('refuses a taken task id, unknown ids and resuming a completed task', async () => {
    const { tasks } = setup();
    const task = await tasks.start('three-step', { n: 1 }, { startedBy: 'api', taskId: 'mine-1' });
    await tasks.settled(task.id);
    await expect(tasks.start('three-step', { n: 1 }, { startedBy: 'api', taskId: 'mine-1' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(tasks.resume('mine-1')).rejects.toThrow('already completed');
    await expect(tasks.status('nope-1')).rejects.toBeInstanceOf(NotFoundError);
    await expect(tasks.cancel('mine-1')).rejects.toThrow('already completed');
  });

  it('cancels a running task, which then resumes from its last completed stage', async () => {
    const { hooks, tasks } = setup();
    hooks.gates.set('work', new Promise(() => {}));
    const task = await tasks.start('three-step', { n: 2 }, { startedBy: 'U0ALICE' });
    await eventually(
      () => tasks.status(task.id),
      (t) => t.stage === 'work',
    );

    const cancelled = await tasks.cancel(task.id, { by: 'U0BOB' });
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { stage: 'work', message: 'cancelled by U0BOB' } });
    expect(cancelled.stages.map((s) => s.state)).toEqual(['done', 'cancelled', 'pending']);

    hooks.gates.delete('work');
    hooks.runs.length = 0;
    await tasks.resume(task.id);
    const done = await tasks.settled(task.id);
    expect(done).toMatchObject({ status: 'completed', runs: 2 });
    expect(hooks.runs).toEqual(['work', 'finish']);
  });

  it('resumes a failed task', async () => {
    const { hooks, tasks, observer } = setup();
    hooks.failOnce.add('finish');
    const task = await tasks.start('three-step', { n: 3 }, { startedBy: 'api' });
    const failed = await tasks.settled(task.id);
    expect(failed).toMatchObject({ status: 'failed', stage: 'finish', error: { message: 'finish broke' } });
    expect(observer.events.at(-1)).toBe('finished failed');

    await tasks.resume(task.id);
    expect(await tasks.settled(task.id)).toMatchObject({ status: 'completed', runs: 2 });
  });

  it('lists recent tasks newest first and totals them', async () => {
    const { hooks, tasks } = setup();
    hooks.failOnce.add('plan');
    const first = await tasks.start('three-step', { n: 1 }, { startedBy: 'api' });
    await tasks.settled(first.id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await tasks.start('three-step', { n: 2 }, { startedBy: 'api' });
    await tasks.settled(second.id);

    const list = await tasks.list({ limit: 10 });
    expect(list.map((t) => [t.id, t.status])).toEqual([
      [second.id, 'completed'],
      [first.id, 'failed'],
    ]);
    expect(await tasks.list({ limit: 1 })).toHaveLength(1);
    expect(await tasks.stats()).toMatchObject({ total: 2, completed: 1, failed: 1, failureRate: 0.5 });
  });

  it('shows which approval a running task waits for', async () => {
    const { tasks, gate, observer } = setup();
    const task = await tasks.start('gated', {}, { startedBy: 'api' });
    const waiting = await eventually(
      () => tasks.status(task.id),
      (t) => t.waitingFor !== null,
    );
    expect(waiting.waitingFor).toEqual({ approvalId: `${task.id}:approval:1`, title: 'Approve 1' });
    expect(observer.events).toContain(`approval ${task.id}:approval:1`);

    await gate.decide(`${task.id}:approval:1`, { decision: 'approve', decidedBy: 'U0ALICE', via: 'api' });
    const done = await tasks.settled(task.id);
    expect(done.results.approval).toEqual({ approved: true, by: 'U0ALICE' });
    expect(done.waitingFor).toBeNull();
  });
});
