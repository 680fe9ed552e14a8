import { setTimeout as delay } from 'node:timers/promises';

/** The p-th percentile (nearest rank) of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

export const sleep = (ms: number): Promise<void> => delay(ms);

export const ms = (value: number) => `${value.toFixed(2)} ms`;

/** Forces a full collection; the benchmark runs with --expose-gc. */
export async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(10);
  }
}
