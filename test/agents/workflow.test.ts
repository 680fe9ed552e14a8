import { describe, expect, it } from 'vitest';
import { MetricsStore } from '../../src/agents/metrics.js';
import { defineWorkflow, type WorkflowFailedError, type WorkflowStep } from '../../src/agents/workflow.js';
import { ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock } from '../support/manual-clock.js';
import { RecordingAlerts } from './recording-alerts.js';

function setup(options: { failAt?: string; historyLimit?: number } = {}) {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  const alerts = new RecordingAlerts();
  const metrics = new MetricsStore({ store, clock });
  const seen: Array<{ step: string; input: unknown; outputs: object }> = [];
  let ids = 0;
  const step = (name: string, ms: number, fn: (input: unknown) => unknown): WorkflowStep => ({
    name,
    async run(input, outputs) {
      seen.push({ step: name, input, outputs });
      await clock.advance(ms);
      if (options.failAt === name) throw new Error(`${name} broke`);
      return fn(input);
    },
  });
  const definition = {
    name: 'digest',
    steps: [
      step('fetch', 100, (topic) => ({ topic, articles: 3 })),
      step('summarize', 200, (fetched) => `${(fetched as { articles: number }).articles} articles summarized`),
      step('post', 300, (summary) => ({ posted: summary })),
    ],
  };
  const workflowOptions = {
    store,
    clock,
    alerts,
    metrics,
    historyLimit: options.historyLimit,
    newId: () => `run-${++ids}`,
  };
  const create = () => defineWorkflow(definition, workflowOptions);
  return { store, clock, alerts, metrics, seen, create };
}

describe('workflows', () => {
  it('feeds each step the previous output and all earlier outputs by name, recording every step', async () => {
    const { seen, create, alerts } = setup();
    const run = await create().run('launches');

    expect(seen).toEqual([
      { step: 'fetch', input: 'launches', outputs: {} },
      {
        step: 'summarize',
        input: { topic: 'launches', articles: 3 },
        outputs: { fetch: { topic: 'launches', articles: 3 } },
      },
      {
        step: 'post',
        input: '3 articles summarized',
        outputs: { fetch: { topic: 'launches', articles: 3 }, summarize: '3 articles summarized' },
      },
    ]);
    expect(run).toEqual({
      id: 'run-1',
      workflow: 'digest',
      status: 'succeeded',
      input: 'launches',
      output: { posted: '3 articles summarized' },
      steps: [
        {
          step: 'fetch',
          status: 'succeeded',
          output: { topic: 'launches', articles: 3 },
          error: null,
          startedAt: '2026-01-05T09:00:00.000Z',
          durationMs: 100,
        },
        {
          step: 'summarize',
          status: 'succeeded',
          output: '3 articles summarized',
          error: null,
          startedAt: '2026-01-05T09:00:00.100Z',
          durationMs: 200,
        },
        {
          step: 'post',
          status: 'succeeded',
          output: { posted: '3 articles summarized' },
          error: null,
          startedAt: '2026-01-05T09:00:00.300Z',
          durationMs: 300,
        },
      ],
      error: null,
      startedAt: '2026-01-05T09:00:00.000Z',
      durationMs: 600,
    });
    expect(alerts.sent).toEqual([]);
  });

  it('stops at a failing step, skips the rest and fails the run', async () => {
    const { seen, create, alerts, metrics } = setup({ failAt: 'summarize' });
    const error = (await create()
      .run('launches')
      .catch((e: unknown) => e)) as WorkflowFailedError;

    expect(error.name).toBe('WorkflowFailedError');
    expect(error.message).toBe('workflow digest failed at step summarize: summarize broke');
    expect((error.cause as Error).message).toBe('summarize broke');
    expect(seen.map((s) => s.step)).toEqual(['fetch', 'summarize']);
    expect(error.run).toMatchObject({
      status: 'failed',
      output: null,
      error: { step: 'summarize', message: 'summarize broke' },
      steps: [
        { step: 'fetch', status: 'succeeded', durationMs: 100 },
        { step: 'summarize', status: 'failed', output: null, error: 'summarize broke', durationMs: 200 },
        { step: 'post', status: 'skipped', output: null, error: null, startedAt: null, durationMs: null },
      ],
    });
    expect(alerts.sent).toEqual([
      { kind: 'failure', input: { taskId: 'run-1', stage: 'summarize', error: 'summarize broke' } },
    ]);
    expect(await metrics.get('workflow:digest')).toMatchObject({ executions: 1, failures: 1, avgDurationMs: 300 });
  });

  it('keeps the most recent runs per workflow, newest first, across restarts', async () => {
    const { create, metrics } = setup({ historyLimit: 3 });
    const workflow = create();
    for (const topic of ['a', 'b', 'c', 'd', 'e']) await workflow.run(topic);

    const restarted = create();
    expect((await restarted.history()).map((r) => [r.id, r.input])).toEqual([
      ['run-5', 'e'],
      ['run-4', 'd'],
      ['run-3', 'c'],
    ]);
    expect((await restarted.history(1)).map((r) => r.id)).toEqual(['run-5']);
    expect(await metrics.get('workflow:digest')).toMatchObject({ executions: 5, successRate: 1, stdevDurationMs: 0 });
  });

  it('records runs that finish at the same time', async () => {
    const { create } = setup();
    const workflow = create();
    await Promise.all(['a', 'b', 'c', 'd'].map((topic) => workflow.run(topic)));
    expect((await workflow.history()).map((r) => r.input).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('cancels between steps when aborted', async () => {
    const { store, alerts } = setup();
    const controller = new AbortController();
    const workflow = defineWorkflow(
      {
        name: 'short',
        steps: [
          { name: 'one', run: () => controller.abort('operator') },
          { name: 'two', run: () => 'never' },
        ],
      },
      { store, alerts },
    );
    await expect(workflow.run(null, { signal: controller.signal })).rejects.toBe('operator');
    const [run] = await workflow.history();
    expect(run).toMatchObject({
      status: 'cancelled',
      error: { step: 'two', message: 'operator' },
      steps: [{ status: 'succeeded' }, { status: 'skipped' }],
    });
    expect(alerts.sent).toEqual([]);
  });

  it('refuses a workflow without steps or with duplicate step names', () => {
    const store = new MemoryStore();
    expect(() => defineWorkflow({ name: 'empty', steps: [] }, { store })).toThrow(ValidationError);
    expect(() =>
      defineWorkflow(
        {
          name: 'dup',
          steps: [
            { name: 'a', run: () => 1 },
            { name: 'a', run: () => 2 },
          ],
        },
        { store },
      ),
    ).toThrow('steps.1.name: duplicates step a');
  });
});
