import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { boot, RecordingObserver, stageHooks, testRegistry } from './support.js';

/** Another process on the same database: a Store object of its own over the same data. */
function sameData(store: MemoryStore): Store {
  return {
    records: (namespace, spec) => store.records(namespace, spec),
    effects: store.effects,
    watch: (namespace, listener) => store.watch(namespace, listener),
    rateLimit: (name, options) => store.rateLimit(name, options),
    keyv: (namespace) => store.keyv(namespace),
    ping: () => store.ping(),
    close: async () => {},
  };
}

/**
 * Process A starts a task and "dies" (it is simply left alone: its waits never end); process B
 * boots over the same store with a gate and task service of its own.
 */
async function crashWhileWaiting(agent: 'gated' | 'three-step') {
  const store = new MemoryStore();
  const hooks = stageHooks();
  const registry = testRegistry(hooks);
  if (agent === 'three-step') hooks.gates.set('work', new Promise(() => {}));
  const a = boot(sameData(store), registry);
  const task = await a.tasks.start(agent, { n: 5 }, { startedBy: 'U0ALICE', channel: 'C0OPS' });
  const stage = agent === 'gated' ? 'approval' : 'work';
  await eventually(
    () => a.tasks.status(task.id),
    (t) => t.stage === stage && (agent !== 'gated' || t.waitingFor !== null),
  );
  a.tasks.stop();
  // A dead process hears no more decisions.
  a.gate.stop();
  hooks.gates.delete('work');
  hooks.runs.length = 0;
  const observer = new RecordingObserver();
  const b = boot(sameData(store), registry, { observer });
  return { taskId: task.id, a, b, hooks, observer };
}

describe('recovering tasks at boot', () => {
  it('marks a task left running as interrupted and resumable', async () => {
    const { taskId, b, hooks, observer } = await crashWhileWaiting('three-step');
    expect((await b.tasks.status(taskId)).status).toBe('running');

    expect(await b.tasks.recover()).toEqual({ interrupted: [taskId], resumed: [] });
    const interrupted = await b.tasks.status(taskId);
    expect(interrupted).toMatchObject({ status: 'interrupted', stage: 'work', startedBy: 'U0ALICE' });
    expect(interrupted.stages.map((s) => s.state)).toEqual(['done', 'interrupted', 'pending']);
    expect(observer.events).toEqual(['finished interrupted']);

    await b.tasks.resume(taskId);
    expect(await b.tasks.settled(taskId)).toMatchObject({ status: 'completed', runs: 2 });
    expect(hooks.runs).toEqual(['work', 'finish']);
  });

  it('resumes at boot a task whose approval was decided while it was down', async () => {
    const { taskId, b, hooks } = await crashWhileWaiting('gated');
    await b.gate.decide(`${taskId}:approval:1`, { decision: 'approve', decidedBy: 'U0BOB', via: 'api' });

    expect(await b.tasks.recover()).toEqual({ interrupted: [taskId], resumed: [taskId] });
    const done = await b.tasks.settled(taskId);
    expect(done).toMatchObject({ status: 'completed', runs: 2 });
    expect(done.results.approval).toEqual({ approved: true, by: 'U0BOB' });
    // The stage asked again and got the stored decision; the stage before it did not run again.
    expect(hooks.runs).toEqual(['approval', 'launch']);
  });

  it('resumes an interrupted task when its pending approval is decided after boot', async () => {
    const { taskId, b, observer } = await crashWhileWaiting('gated');
    expect(await b.tasks.recover()).toEqual({ interrupted: [taskId], resumed: [] });
    expect((await b.tasks.status(taskId)).waitingFor).toEqual({
      approvalId: `${taskId}:approval:1`,
      title: 'Approve 5',
    });

    await b.gate.decide(`${taskId}:approval:1`, { decision: 'reject', decidedBy: 'U0BOB', via: 'api' });
    const done = await eventually(
      () => b.tasks.status(taskId),
      (t) => t.status === 'completed',
    );
    expect(done.results.approval).toEqual({ approved: false, by: 'U0BOB' });
    expect(observer.events).toContain('finished completed');
  });

  it('leaves tasks running in this process alone', async () => {
    const store = new MemoryStore();
    const hooks = stageHooks();
    hooks.gates.set('work', new Promise(() => {}));
    const { tasks } = boot(store, testRegistry(hooks));
    const task = await tasks.start('three-step', { n: 1 }, { startedBy: 'api' });
    expect(await tasks.recover()).toEqual({ interrupted: [], resumed: [] });
    expect((await tasks.status(task.id)).status).toBe('running');
    await tasks.cancel(task.id);
  });

  it('cancels an interrupted task without running it', async () => {
    const { taskId, b } = await crashWhileWaiting('three-step');
    await b.tasks.recover();
    const cancelled = await b.tasks.cancel(taskId, { by: 'U0BOB' });
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { stage: 'work', message: 'cancelled by U0BOB' } });
  });
});
