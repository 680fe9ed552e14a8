import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/agent.js';
import type { AgentAlerts, Stage } from '../../src/agents/types.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalResponse } from '../../src/approvals/types.js';
import { ConfigError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { ManualClock, settle } from '../support/manual-clock.js';
import { RecordingAlerts } from './recording-alerts.js';

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

/** One "process": its own gate (and waiters) over the shared store, and a campaign agent using it. */
function boot(store: Store, clock: ManualClock, alerts: AgentAlerts, counts: Record<string, number>) {
  const gate = new ApprovalGate({ store: store, clock });
  const requested: string[] = [];
  gate.onRequested((record) => requested.push(record.id));
  const stages: Stage<{ budget: number }>[] = [
    {
      name: 'plan',
      run: (ctx) => {
        counts.plan = (counts.plan ?? 0) + 1;
        return { budget: ctx.input.budget };
      },
    },
    {
      name: 'approve',
      run: async (ctx) => {
        counts.approve = (counts.approve ?? 0) + 1;
        const response = await ctx.requireApproval({ title: 'Launch campaign', context: { budget: ctx.input.budget } });
        return { approved: response.isApproved, by: response.decidedBy, feedback: response.feedback };
      },
    },
    { name: 'launch', run: (ctx) => ((ctx.results.approve as { approved: boolean }).approved ? 'live' : 'stopped') },
  ];
  const agent = defineAgent({ name: 'campaign-launch', stages }, { store, clock, alerts, gate });
  return { gate, agent, requested };
}

describe('approvals inside stages', () => {
  it('asks with an id from task, stage and counter, and the task id set', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const { gate, agent, requested } = boot(store, clock, new RecordingAlerts(), {});
    const run = agent.run({ taskId: 'launch-7', input: { budget: 50000 } });
    await settle();

    expect(requested).toEqual(['launch-7:approve:1']);
    const pending = await gate.get('launch-7:approve:1');
    expect(pending).toMatchObject({ taskId: 'launch-7', requestedBy: 'campaign-launch', context: { budget: 50000 } });
    await gate.decide('launch-7:approve:1', {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      via: 'slack',
      feedback: 'go',
    });
    await expect(run).resolves.toMatchObject({
      results: { approve: { approved: true, by: 'U0ALICE', feedback: 'go' }, launch: 'live' },
    });
  });

  it('numbers several approvals of one stage', async () => {
    const store = new MemoryStore();
    const gate = new ApprovalGate({ store: store });
    const responses: ApprovalResponse[] = [];
    const agent = defineAgent(
      {
        name: 'double',
        stages: [
          {
            name: 'check',
            run: async (ctx) => {
              responses.push(await ctx.requireApproval({ title: 'first' }));
              responses.push(await ctx.requireApproval({ title: 'second' }));
              return null;
            },
          },
        ],
      },
      { store, gate },
    );
    gate.onRequested((record) => {
      void gate.decide(record.id, { decision: 'approve', decidedBy: 'U0BOB', via: 'api' });
    });
    await agent.run({ taskId: 'd' });
    expect(responses.map((r) => r.id)).toEqual(['d:check:1', 'd:check:2']);
  });

  it('after a restart, returns the decision made while the process was down without asking again', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const alerts = new RecordingAlerts();
    const counts: Record<string, number> = {};
    const first = boot(store, clock, alerts, counts);
    void first.agent.run({ taskId: 'launch-8', input: { budget: 50000 } });
    await settle();
    expect(first.requested).toEqual(['launch-8:approve:1']);
    first.gate.stop();
    // The process dies here, its run still waiting. Someone approves through another instance (the Slack surface).
    const surface = new ApprovalGate({ store: sameData(store), clock });
    await clock.advance(60_000);
    await surface.decide('launch-8:approve:1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack' });

    // A new process resumes the task, left `running` by the dead one.
    const second = boot(sameData(store), clock, alerts, counts);
    expect(await second.agent.task('launch-8')).toMatchObject({ status: 'running', stageName: 'plan' });
    const result = await second.agent.run({ taskId: 'launch-8', resume: true });

    expect(result.results).toMatchObject({ approve: { approved: true, by: 'U0ALICE' }, launch: 'live' });
    expect(counts).toEqual({ plan: 1, approve: 2 });
    expect(second.requested).toEqual([]);
    // Running time counts what was checkpointed: the dead process's wait after its last save is lost.
    expect(alerts.sent).toEqual([{ kind: 'completion', input: { taskId: 'launch-8', durationSeconds: 0 } }]);
  });

  it('leaves the approval pending when the run is aborted, so the resumed task rejoins it', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const counts: Record<string, number> = {};
    const { gate, agent, requested } = boot(store, clock, new RecordingAlerts(), counts);
    const controller = new AbortController();
    const run = agent.run({ taskId: 'launch-9', input: { budget: 1 }, signal: controller.signal });
    await settle();
    controller.abort(new Error('cancelled by operator'));
    await expect(run).rejects.toThrow('cancelled by operator');
    expect(await gate.get('launch-9:approve:1')).toMatchObject({ status: 'pending' });
    expect(await agent.task('launch-9')).toMatchObject({ status: 'cancelled', stageName: 'plan' });

    const resumed = agent.run({ taskId: 'launch-9', resume: true });
    await settle();
    await gate.decide('launch-9:approve:1', { decision: 'reject', decidedBy: 'U0BOB', via: 'slack', feedback: 'no' });
    await expect(resumed).resolves.toMatchObject({ results: { launch: 'stopped' } });
    expect(requested).toEqual(['launch-9:approve:1']);
  });

  it('fails the stage when the agent has no gate', async () => {
    const store = new MemoryStore();
    const alerts = new RecordingAlerts();
    const agent = defineAgent(
      { name: 'gateless', stages: [{ name: 'ask', run: (ctx) => ctx.requireApproval({ title: 'may I?' }) }] },
      { store, alerts },
    );
    await expect(agent.run({ taskId: 'g' })).rejects.toBeInstanceOf(ConfigError);
    expect(alerts.sent).toMatchObject([{ kind: 'failure', input: { taskId: 'g', stage: 'ask' } }]);
  });
});

describe('approvals named by a key', () => {
  it('uses task:stage:key as the id, and refuses keys that look like counted ids', async () => {
    const store = new MemoryStore();
    const gate = new ApprovalGate({ store });
    const ids: string[] = [];
    gate.onRequested((record) => ids.push(record.id));
    const agent = defineAgent(
      {
        name: 'keyed',
        stages: [
          {
            name: 'ask',
            run: async (ctx) => {
              await expect(ctx.requireApproval({ title: 'x' }, { key: '2' })).rejects.toThrow(/only digits/);
              const keyed = ctx.requireApproval({ title: 'by key' }, { key: 'toolu_01' });
              const counted = ctx.requireApproval({ title: 'counted' });
              return (await Promise.all([keyed, counted])).map((r) => r.id);
            },
          },
        ],
      },
      { store, gate },
    );
    const run = agent.run({ taskId: 'k-1' });
    await settle();
    for (const id of ids) await gate.decide(id, { decision: 'approve', decidedBy: 'U0ALICE', via: 'api' });
    await expect(run).resolves.toMatchObject({ results: { ask: ['k-1:ask:toolu_01', 'k-1:ask:1'] } });
    expect(ids).toEqual(['k-1:ask:toolu_01', 'k-1:ask:1']);
  });
});
