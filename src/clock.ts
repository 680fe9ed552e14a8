/** Time as a dependency: tests pass their own, so nothing really waits. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms`; the timer never holds the process open. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque handle of a timer set through a Clock. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** The real clock. Works with vitest's fake timers too, since it reads the globals at call time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
