import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/agent.js';
import { TaskTakenOverError } from '../../src/agents/checkpoints.js';
import type { Stage, StageContext } from '../../src/agents/types.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { ManualClock } from '../support/manual-clock.js';
import { RecordingAlerts } from './recording-alerts.js';

interface Input {
  product: string;
}

/** A three-stage agent whose stages count their calls, take `seconds` each and may be told to fail. */
function setup(options: { failAt?: string; failTimes?: number; seconds?: number } = {}) {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  const alerts = new RecordingAlerts();
  const calls: Record<string, number> = { plan: 0, build: 0, launch: 0 };
  const seen: Array<{ stage: string; results: object; attempt: number; checkpointed: string | null }> = [];
  let failuresLeft = options.failTimes ?? 1;
  const stage = (name: string, result: (ctx: StageContext<Input>) => unknown): Stage<Input> => ({
    name,
    async run(ctx) {
      calls[name] = (calls[name] ?? 0) + 1;
      const checkpoint = await store
        .records<{ id: string; version: number; stageName: string | null }>('checkpoints')
        .get(ctx.taskId);
      seen.push({
        stage: name,
        results: ctx.results,
        attempt: ctx.attempt,
        checkpointed: checkpoint?.stageName ?? null,
      });
      await clock.advance((options.seconds ?? 1) * 1000);
      if (options.failAt === name && failuresLeft-- > 0) throw new Error(`${name} exploded`);
      return result(ctx);
    },
  });
  const definition = {
    name: 'campaign-launch',
    stages: [
      stage('plan', (ctx) => ({ channels: ['search', 'social'], product: ctx.input.product })),
      stage('build', (ctx) => ({ ads: (ctx.results.plan as { channels: string[] }).channels.length })),
      stage('launch', () => 'launched'),
    ],
  };
  const create = () => defineAgent<Input>(definition, { store, clock, alerts });
  return { store, clock, alerts, calls, seen, create };
}

describe('BaseAgent', () => {
  it('runs the stages in order, checkpointing after each, and sends a completion alert with the duration', async () => {
    const { alerts, calls, seen, create } = setup({ seconds: 2 });
    const agent = create();
    const result = await agent.run({ taskId: 'task-1', input: { product: 'shoes' } });

    expect(result).toEqual({
      taskId: 'task-1',
      status: 'completed',
      results: { plan: { channels: ['search', 'social'], product: 'shoes' }, build: { ads: 2 }, launch: 'launched' },
      durationSeconds: 6,
    });
    expect(calls).toEqual({ plan: 1, build: 1, launch: 1 });
    // Each stage starts with the previous one already checkpointed, its result in ctx.results.
    expect(seen.map((s) => [s.stage, s.checkpointed, Object.keys(s.results)])).toEqual([
      ['plan', null, []],
      ['build', 'plan', ['plan']],
      ['launch', 'build', ['plan', 'build']],
    ]);
    expect(alerts.sent).toEqual([{ kind: 'completion', input: { taskId: 'task-1', durationSeconds: 6 } }]);
    expect(await agent.task('task-1')).toMatchObject({
      status: 'completed',
      agent: 'campaign-launch',
      stageIndex: 2,
      stageName: 'launch',
      results: result.results,
      input: { product: 'shoes' },
      completedAt: '2026-01-05T09:00:06.000Z',
    });
  });

  it('on failure alerts with the stage, keeps the checkpoint and re-throws; resume continues at the failed stage', async () => {
    const { alerts, calls, seen, create } = setup({ failAt: 'build' });
    const run = create().run({ taskId: 'task-2', input: { product: 'shoes' } });

    await expect(run).rejects.toThrow('build exploded');
    expect(alerts.sent).toEqual([
      { kind: 'failure', input: { taskId: 'task-2', stage: 'build', error: 'build exploded' } },
    ]);
    const restarted = create();
    expect(await restarted.task('task-2')).toMatchObject({
      status: 'failed',
      stageIndex: 0,
      stageName: 'plan',
      results: { plan: { channels: ['search', 'social'], product: 'shoes' } },
      error: { stage: 'build', message: 'build exploded' },
    });

    // Resumed by id alone: the input and the plan come from the checkpoint.
    const result = await restarted.run({ taskId: 'task-2', resume: true });
    expect(calls).toEqual({ plan: 1, build: 2, launch: 1 });
    expect(seen.at(-2)).toMatchObject({ stage: 'build', attempt: 2, results: { plan: { product: 'shoes' } } });
    expect(result.results).toEqual({
      plan: { channels: ['search', 'social'], product: 'shoes' },
      build: { ads: 2 },
      launch: 'launched',
    });
    // Running time over both runs: plan + failed build, then build + launch.
    expect(alerts.sent.at(-1)).toEqual({ kind: 'completion', input: { taskId: 'task-2', durationSeconds: 4 } });
    expect(await restarted.task('task-2')).toMatchObject({ status: 'completed', runs: 2, error: null });
  });

  it('stays resumable after failing again on resume', async () => {
    const { alerts, calls, create } = setup({ failAt: 'launch', failTimes: 2 });
    const agent = create();
    await expect(agent.run({ taskId: 't', input: { product: 'x' } })).rejects.toThrow('launch exploded');
    await expect(agent.run({ taskId: 't', resume: true })).rejects.toThrow('launch exploded');
    await agent.run({ taskId: 't', resume: true });
    expect(calls).toEqual({ plan: 1, build: 1, launch: 3 });
    expect(alerts.kinds()).toEqual(['failure', 'failure', 'completion']);
  });

  it('checks the abort signal between stages: the task is cancelled, resumable, and the run rejects with the reason', async () => {
    const { alerts, store, clock } = setup();
    const controller = new AbortController();
    const calls = { plan: 0, build: 0 };
    const reason = new Error('operator cancelled');
    const agent = defineAgent<Input>(
      {
        name: 'campaign-launch',
        stages: [
          {
            name: 'plan',
            run: () => {
              calls.plan++;
              controller.abort(reason);
              return 'planned';
            },
          },
          { name: 'build', run: () => ++calls.build && 'built' },
        ],
      },
      { store, clock, alerts },
    );

    await expect(agent.run({ taskId: 'c', input: { product: 'x' }, signal: controller.signal })).rejects.toBe(reason);
    expect(await agent.task('c')).toMatchObject({
      status: 'cancelled',
      stageName: 'plan',
      error: { stage: 'build', message: 'operator cancelled' },
    });
    expect(alerts.sent).toEqual([]);
    expect(await agent.run({ taskId: 'c', resume: true })).toMatchObject({
      results: { plan: 'planned', build: 'built' },
    });
    expect(calls).toEqual({ plan: 1, build: 1 });
  });

  it('hands the signal to the running stage', async () => {
    const { store, alerts } = setup();
    const controller = new AbortController();
    const agent = defineAgent(
      {
        name: 'waiter',
        stages: [
          {
            name: 'wait',
            run: (ctx) =>
              new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
          },
        ],
      },
      { store, alerts },
    );
    const run = agent.run({ taskId: 'w', signal: controller.signal });
    setImmediate(() => controller.abort('stop'));
    await expect(run).rejects.toBe('stop');
    expect(await agent.task('w')).toMatchObject({ status: 'cancelled', error: { stage: 'wait', message: 'stop' } });
    expect(alerts.sent).toEqual([]);
  });

  it('refuses to start a task id twice, to resume an unknown task, and returns a completed one as it is', async () => {
    const { alerts, calls, create } = setup();
    const agent = create();
    await agent.run({ taskId: 'once', input: { product: 'x' } });
    await expect(agent.run({ taskId: 'once', input: { product: 'x' } })).rejects.toBeInstanceOf(ConflictError);
    await expect(agent.run({ taskId: 'nope', resume: true })).rejects.toBeInstanceOf(NotFoundError);
    const again = await agent.run({ taskId: 'once', resume: true });
    expect(again.results.launch).toBe('launched');
    expect(calls).toEqual({ plan: 1, build: 1, launch: 1 });
    expect(alerts.kinds()).toEqual(['completion']);
  });

  it('refuses a second run of a task already running in this process', async () => {
    const { store } = setup();
    let release = () => {};
    const agent = defineAgent(
      { name: 'slow', stages: [{ name: 'wait', run: () => new Promise<void>((r) => (release = r)) }] },
      { store },
    );
    const first = agent.run({ taskId: 'busy' });
    await new Promise((r) => setImmediate(r));
    await expect(agent.run({ taskId: 'busy', resume: true })).rejects.toThrow('already running');
    release();
    await expect(first).resolves.toMatchObject({ status: 'completed' });
  });

  it('stops a run whose task another process took over, leaving the checkpoint to the new owner', async () => {
    const { store, alerts } = setup();
    const waiting: Array<(value: string) => void> = [];
    const definition = {
      name: 'slow',
      stages: [
        { name: 'wait', run: () => new Promise<string>((r) => waiting.push(r)) },
        { name: 'after', run: () => 'done' },
      ],
    };
    const dying = defineAgent(definition, { store, alerts }).run({ taskId: 'owned' });
    await new Promise((r) => setImmediate(r));
    // Another process (its own Store object over the same data) resumes the task left `running`.
    const elsewhere: Store = {
      records: (namespace, spec) => store.records(namespace, spec),
      effects: store.effects,
      watch: (namespace, listener) => store.watch(namespace, listener),
      rateLimit: (name, options) => store.rateLimit(name, options),
      keyv: (namespace) => store.keyv(namespace),
      ping: () => store.ping(),
      close: async () => {},
    };
    const taker = defineAgent(definition, { store: elsewhere, alerts });
    const taken = taker.run({ taskId: 'owned', resume: true });
    await new Promise((r) => setImmediate(r));
    for (const finish of waiting) finish('late');
    await expect(taken).resolves.toMatchObject({ results: { wait: 'late', after: 'done' } });
    await expect(dying).rejects.toBeInstanceOf(TaskTakenOverError);
    expect(await taker.task('owned')).toMatchObject({ status: 'completed', runs: 2 });
    expect(alerts.kinds()).toEqual(['completion']);
  });

  it('rejects bad definitions and task ids, naming each problem', async () => {
    const { store } = setup();
    const bad = defineAgent(
      {
        name: 'bad',
        stages: [
          { name: 'a b', run: () => 1 },
          { name: 'x', run: () => 1 },
          { name: 'x', run: () => 1 },
        ],
      },
      { store },
    );
    const error = await bad.run({ taskId: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['stages.0.name', 'stages.2.name']);
    const good = defineAgent({ name: 'good', stages: [{ name: 'a', run: () => 1 }] }, { store });
    await expect(good.run({ taskId: 'has:colon' })).rejects.toBeInstanceOf(ValidationError);
    await expect(good.run({ taskId: 'broke', budgetUsd: -1 })).rejects.toThrow('budgetUsd: expected a positive number');
    expect(await good.task('broke')).toBeUndefined();
  });

  it('fails a stage whose result cannot be checkpointed', async () => {
    const { store, alerts } = setup();
    const agent = defineAgent({ name: 'odd', stages: [{ name: 'a', run: () => 10n }] }, { store, alerts });
    await expect(agent.run({ taskId: 't' })).rejects.toThrow(TypeError);
    expect(alerts.sent[0]).toMatchObject({ kind: 'failure', input: { stage: 'a' } });
  });
});
