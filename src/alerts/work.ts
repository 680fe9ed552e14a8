/**
 * Counts work in progress (queued posts, retries, e-mails, store writes) so that `idle()` can
 * tell when all of it is done: for tests and benchmarks, never for delivery itself.
 */
export class Work {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** One more unit of work. */
  add(): void {
    this.count++;
  }

  /** One unit done; wakes the idle waiters once none is left. */
  done(): void {
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0) this.wake();
  }

  /** Counts `promise` as work until it settles. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.add();
    return promise.finally(() => this.done());
  }

  get size(): number {
    return this.count;
  }

  /** Resolves once no work is left (at once when there is none). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.count === 0) this.wake();
    });
  }

  /** Waits a turn of the event loop first: work often hands over to more work in a later callback. */
  private wake(): void {
    setImmediate(() => {
      if (this.count !== 0) return;
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    });
  }
}
