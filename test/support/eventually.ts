/** Re-checks `read` every few milliseconds until `ok` holds (for effects behind real I/O); fails after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Moves a manual clock forward in steps until `read` satisfies `ok`, giving real I/O (SQLite, HTTP)
 * a moment after each step; fails after `maxMs` of manual time.
 */
export async function advanceUntil<T>(
  clock: { advance(ms: number): Promise<void> },
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  { stepMs = 1000, maxMs = 120_000 } = {},
): Promise<T> {
  for (let elapsed = 0; ; elapsed += stepMs) {
    const value = await read();
    if (ok(value)) return value;
    if (elapsed > maxMs)
      throw new Error(`condition not met within ${maxMs} ms of manual time: ${JSON.stringify(value)}`);
    await clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
