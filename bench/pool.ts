/** Runs async work over a list with at most `concurrency` items in flight at once. */

/**
 * Calls `work` for every item, `concurrency` at a time, and waits for all of them. Every item is
 * attempted even when some fail; then the first failure is thrown.
 */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
