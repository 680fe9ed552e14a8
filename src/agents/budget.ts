import { ErrorCode, GatehouseError } from '../errors.js';

/** Where a task's spending stands, as handed to the budget callbacks. */
export interface BudgetInfo {
  taskId: string;
  budgetUsd: number;
  spentUsd: number;
  /** Share of the budget spent, in percent (may pass 100). */
  percent: number;
}

export interface TaskBudgetOptions {
  taskId: string;
  /** What the task may spend, in USD; must be positive. */
  budgetUsd: number;
  /** Already spent, e.g. by the runs before a resume; thresholds it has passed do not fire again. */
  spentUsd?: number;
  /** Percentage of the budget past which `onWarning` fires; default 80. */
  warnPercent?: number;
  /** Fires once, when spending first passes `warnPercent`. */
  onWarning?(info: BudgetInfo): unknown;
  /** Fires once, when spending first reaches the budget; the task is stopped from then on. */
  onExceeded?(info: BudgetInfo): unknown;
}

/** The task has spent its budget: no more paid calls. */
export class BudgetExceededError extends GatehouseError {
  readonly taskId: string;
  readonly budgetUsd: number;
  readonly spentUsd: number;
  constructor(info: BudgetInfo) {
    super(
      ErrorCode.BudgetExceeded,
      `Task ${JSON.stringify(info.taskId)} has spent $${info.spentUsd.toFixed(4)} of its $${info.budgetUsd.toFixed(4)} budget`,
    );
    this.taskId = info.taskId;
    this.budgetUsd = info.budgetUsd;
    this.spentUsd = info.spentUsd;
  }
}

/**
 * The spending of one task against its budget: warns once past `warnPercent`, stops at 100 %.
 * Callbacks are not awaited and whatever they throw or reject with is dropped: an alert that
 * cannot be delivered must not change what the task does.
 */
export class TaskBudget {
  readonly taskId: string;
  readonly budgetUsd: number;
  readonly warnPercent: number;
  #spentUsd: number;
  #warned: boolean;
  #exceeded: boolean;
  readonly #onWarning: TaskBudgetOptions['onWarning'];
  readonly #onExceeded: TaskBudgetOptions['onExceeded'];

  constructor({ taskId, budgetUsd, spentUsd = 0, warnPercent = 80, onWarning, onExceeded }: TaskBudgetOptions) {
    if (!(Number.isFinite(budgetUsd) && budgetUsd > 0)) {
      throw new TypeError('Expected `budgetUsd` to be a positive number.');
    }
    if (!(Number.isFinite(spentUsd) && spentUsd >= 0)) {
      throw new TypeError('Expected `spentUsd` to be a non-negative number.');
    }
    if (!(warnPercent > 0 && warnPercent <= 100)) {
      throw new TypeError('Expected `warnPercent` to be a number in (0, 100].');
    }
    this.taskId = taskId;
    this.budgetUsd = budgetUsd;
    this.warnPercent = warnPercent;
    this.#spentUsd = spentUsd;
    this.#onWarning = onWarning;
    this.#onExceeded = onExceeded;
    this.#warned = this.percent >= warnPercent;
    this.#exceeded = this.percent >= 100;
  }

  /** USD spent so far. */
  get spentUsd(): number {
    return this.#spentUsd;
  }

  /** Share of the budget spent, in percent. */
  get percent(): number {
    return (this.#spentUsd / this.budgetUsd) * 100;
  }

  /** True once spending has reached the budget. */
  get exceeded(): boolean {
    return this.#exceeded;
  }

  /** Where the budget stands now. */
  info(): BudgetInfo {
    return { taskId: this.taskId, budgetUsd: this.budgetUsd, spentUsd: this.#spentUsd, percent: this.percent };
  }

  /** Throws BudgetExceededError once the budget is spent; call it before anything that costs money. */
  check(): void {
    if (this.#exceeded) throw new BudgetExceededError(this.info());
  }

  /**
   * Adds a cost. The call that reaches the budget returns normally (its money is already spent) and
   * fires `onExceeded`; every later call adds its cost, then throws BudgetExceededError.
   */
  record(costUsd: number): void {
    if (!(Number.isFinite(costUsd) && costUsd >= 0)) {
      throw new TypeError('Expected `costUsd` to be a non-negative number.');
    }
    const wasExceeded = this.#exceeded;
    // Calls already in flight when the budget ran out still cost money: the total stays true.
    this.#spentUsd += costUsd;
    if (wasExceeded) throw new BudgetExceededError(this.info());
    if (!this.#warned && this.percent >= this.warnPercent) {
      this.#warned = true;
      notify(this.#onWarning, this.info());
    }
    if (this.percent >= 100) {
      this.#exceeded = true;
      notify(this.#onExceeded, this.info());
    }
  }
}

function notify(callback: ((info: BudgetInfo) => unknown) | undefined, info: BudgetInfo): void {
  if (!callback) return;
  try {
    const result = callback(info);
    if (result instanceof Promise) result.catch(() => {});
  } catch {
    // See the class comment: a failing alert does not stop or fail the task.
  }
}
