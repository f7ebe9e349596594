/** N concurrent spawns of the demo app through the REST API: wall time until all are ready, then until all are stopped. */
import { api, startServer, stopServer } from './gatehouse.ts';

export interface SpawnBenchResult {
  readonly count: number;
  /** From the first POST until the last server is ready (progress stream ended with ready). */
  readonly spawnWallMs: number;
  readonly medianReadyMs: number;
  /** From the first DELETE until no user model shows a server. */
  readonly stopWallMs: number;
}

export async function runSpawnBench(baseUrl: string, token: string, count: number): Promise<SpawnBenchResult> {
  const names = Array.from({ length: count }, (_, i) => `u${i}`);
  await api(baseUrl, token, 'POST', '/users', [201], { usernames: names });
  const spawnStart = performance.now();
  const readyAfter = await Promise.allSettled(
    names.map(async (name) => {
      await startServer(baseUrl, token, name, 120_000);
      return performance.now() - spawnStart;
    }),
  );
  const spawnWallMs = performance.now() - spawnStart;
  const stopStart = performance.now();
  // Stop every server, also when some spawns failed: the bench must leave nothing running.
  const stopped = await Promise.allSettled(names.map((name) => stopServer(baseUrl, token, name, 60_000)));
  const stopWallMs = performance.now() - stopStart;
  const failure = [...readyAfter, ...stopped].find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  const times = readyAfter.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : Number.NaN)).sort((a, b) => a - b);
  return { count, spawnWallMs, medianReadyMs: times[Math.floor(times.length / 2)] ?? Number.NaN, stopWallMs };
}
