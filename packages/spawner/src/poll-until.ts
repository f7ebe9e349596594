import { setTimeout as delay } from 'node:timers/promises';

export interface PollUntilOptions {
  readonly timeoutMs: number;
  /** First pause between checks; it grows by half each round up to `maxIntervalMs`. */
  readonly intervalMs?: number;
  readonly maxIntervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Re-checks a real condition until it holds, the time is up, or `signal` aborts. Returns whether
 * the condition held. Short first intervals keep starts fast; the back-off keeps idle waits cheap.
 */
export async function pollUntil(check: () => boolean | Promise<boolean>, options: PollUntilOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.intervalMs ?? 25;
  const maxInterval = options.maxIntervalMs ?? 250;
  for (;;) {
    if (options.signal?.aborted) return false;
    if (await check()) return true;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    try {
      await delay(Math.min(interval, remaining), undefined, { signal: options.signal });
    } catch {
      return false; // aborted while waiting
    }
    interval = Math.min(interval * 1.5, maxInterval);
  }
}
