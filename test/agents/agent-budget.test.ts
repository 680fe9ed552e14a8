import { describe, expect, it } from 'vitest';
import { BaseAgent } from '../../src/agents/agent.js';
import { BudgetExceededError } from '../../src/agents/budget.js';
import type { Stage, StageContext } from '../../src/agents/types.js';
import { MemoryStore } from '../../src/store/memory.js';
import { RecordingAlerts } from './recording-alerts.js';

describe('task budgets', () => {
  it('lets a subclass hold its own client and carries budget spending over resumes', async () => {
    const store = new MemoryStore();
    const alerts = new RecordingAlerts();
    class PricedAgent extends BaseAgent<{ prices: number[] }> {
      readonly name = 'priced';
      protected readonly stages: Stage<{ prices: number[] }>[] = [
        { name: 'first', run: (ctx) => this.spend(ctx, 0) },
        { name: 'second', run: (ctx) => this.spend(ctx, 1) },
        { name: 'third', run: (ctx) => this.spend(ctx, 2) },
      ];
      /** Stands in for a paid client call: checks, then charges the budget. */
      private spend(ctx: StageContext<{ prices: number[] }>, i: number) {
        ctx.budget?.check();
        ctx.budget?.record(ctx.input.prices[i] ?? 0);
        return ctx.budget?.spentUsd ?? null;
      }
    }
    const agent = new PricedAgent({ store, alerts, budgetUsd: 1 });
    const run = agent.run({ taskId: 'b', input: { prices: [0.875, 0.25, 0.125] } });

    await expect(run).rejects.toBeInstanceOf(BudgetExceededError);
    expect(alerts.sent).toEqual([
      { kind: 'cost_warning', input: { taskId: 'b', currentCost: 0.875, budget: 1 } },
      { kind: 'budget_exceeded', input: { taskId: 'b', currentCost: 1.125, budget: 1 } },
    ]);
    expect(await agent.task('b')).toMatchObject({ status: 'failed', stageName: 'second', spentUsd: 1.125 });
    // The resumed run starts from the stored spending: still over budget, and told so by a failure alert.
    await expect(new PricedAgent({ store, alerts, budgetUsd: 1 }).run({ taskId: 'b', resume: true })).rejects.toThrow(
      BudgetExceededError,
    );
    expect(alerts.sent.at(-1)).toMatchObject({ kind: 'failure', input: { taskId: 'b', stage: 'third' } });
  });
});
