/**
 * Runs `fn` over `items` with at most `concurrency` calls in flight; the results keep the order
 * of `items`. `fn` should not throw (settle each item itself): a throw rejects the whole run.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new TypeError('Expected `concurrency` to be a positive integer.');
  }
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    // Each worker takes the next index synchronously, so no two take the same item.
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
