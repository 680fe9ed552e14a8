import { describe, expect, it, vi } from 'vitest';
import { BudgetExceededError, type BudgetInfo, TaskBudget } from '../../src/agents/budget.js';
import { ErrorCode, GatehouseError } from '../../src/errors.js';

function budget(options: Partial<ConstructorParameters<typeof TaskBudget>[0]> = {}) {
  const onWarning = vi.fn<(info: BudgetInfo) => void>();
  const onExceeded = vi.fn<(info: BudgetInfo) => void>();
  const tracker = new TaskBudget({ taskId: 'task-1', budgetUsd: 1, onWarning, onExceeded, ...options });
  return { tracker, onWarning, onExceeded };
}

describe('TaskBudget', () => {
  it('accumulates costs and reports the share spent', () => {
    const { tracker } = budget({ budgetUsd: 2 });
    tracker.record(0.25);
    tracker.record(0.25);
    expect(tracker.spentUsd).toBeCloseTo(0.5, 12);
    expect(tracker.percent).toBeCloseTo(25, 12);
    expect(tracker.exceeded).toBe(false);
  });

  it('warns once when spending passes the warning share', () => {
    const { tracker, onWarning, onExceeded } = budget();
    tracker.record(0.5);
    expect(onWarning).not.toHaveBeenCalled();
    tracker.record(0.3);
    tracker.record(0.1);
    expect(onWarning).toHaveBeenCalledTimes(1);
    expect(onWarning).toHaveBeenCalledWith({ taskId: 'task-1', budgetUsd: 1, spentUsd: 0.8, percent: 80 });
    expect(onExceeded).not.toHaveBeenCalled();
  });

  it('honours a custom warning share', () => {
    const { tracker, onWarning } = budget({ warnPercent: 50 });
    tracker.record(0.49);
    expect(onWarning).not.toHaveBeenCalled();
    tracker.record(0.02);
    expect(onWarning).toHaveBeenCalledTimes(1);
  });

  it('lets the call that reaches the budget through, then stops every later one', () => {
    const { tracker, onExceeded } = budget();
    tracker.record(0.6);
    expect(() => tracker.check()).not.toThrow();
    tracker.record(0.4);
    expect(onExceeded).toHaveBeenCalledTimes(1);
    expect(onExceeded.mock.calls[0]?.[0]).toMatchObject({ spentUsd: 1, percent: 100 });
    expect(tracker.exceeded).toBe(true);

    expect(() => tracker.check()).toThrow(BudgetExceededError);
    expect(() => tracker.record(0.1)).toThrow(BudgetExceededError);
    // A call already in flight still cost money: the total stays true.
    expect(tracker.spentUsd).toBeCloseTo(1.1, 12);
    expect(onExceeded).toHaveBeenCalledTimes(1);
  });

  it('fires both callbacks, warning first, when one cost jumps past the budget', () => {
    const order: string[] = [];
    const tracker = new TaskBudget({
      taskId: 'task-1',
      budgetUsd: 1,
      onWarning: () => order.push('warning'),
      onExceeded: () => order.push('exceeded'),
    });
    tracker.record(1.5);
    expect(order).toEqual(['warning', 'exceeded']);
  });

  it('raises a coded error carrying the numbers', () => {
    const { tracker } = budget({ budgetUsd: 0.5 });
    tracker.record(0.75);
    let thrown: unknown;
    try {
      tracker.check();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatehouseError);
    expect(thrown).toMatchObject({ code: ErrorCode.BudgetExceeded, taskId: 'task-1', budgetUsd: 0.5, spentUsd: 0.75 });
    expect((thrown as Error).message).toContain('task-1');
  });

  it('resumes from what earlier runs spent without firing passed thresholds again', () => {
    const { tracker, onWarning, onExceeded } = budget({ spentUsd: 0.85 });
    tracker.record(0.05);
    expect(onWarning).not.toHaveBeenCalled();
    tracker.record(0.1);
    expect(onExceeded).toHaveBeenCalledTimes(1);

    const spent = budget({ spentUsd: 1 });
    expect(() => spent.tracker.check()).toThrow(BudgetExceededError);
  });

  it('is not disturbed by callbacks that throw or reject', async () => {
    const tracker = new TaskBudget({
      taskId: 'task-1',
      budgetUsd: 1,
      onWarning: () => {
        throw new Error('slack down');
      },
      onExceeded: () => Promise.reject(new Error('slack down')),
    });
    expect(() => tracker.record(1)).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(tracker.exceeded).toBe(true);
  });

  it('names the option it rejects', () => {
    expect(() => new TaskBudget({ taskId: 't', budgetUsd: 0 })).toThrow(/`budgetUsd`/);
    expect(() => new TaskBudget({ taskId: 't', budgetUsd: 1, warnPercent: 120 })).toThrow(/`warnPercent`/);
    expect(() => new TaskBudget({ taskId: 't', budgetUsd: 1 }).record(-1)).toThrow(/`costUsd`/);
  });
});
