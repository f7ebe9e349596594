/**
 * N concurrent spawns of the demo app as Slurm jobs on a real single-node Slurm (started here, as the
 * tests do), through the REST API of a `gatehouse start` hub with SlurmSpawner: wall time until all
 * are ready, and how many `squeue` calls the hub made per poll interval (counted by a PATH shim that
 * logs each real call before running Debian's squeue).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, startCliHub, type CliHub } from '../test/support/cli.ts';
import { startSlurmCluster, type SlurmCluster } from '../test/support/slurm.ts';
import { api, startServer, stopServer } from './gatehouse.ts';
import { freePort, makeTempDir } from './processes.ts';

export interface SlurmSpawnBenchResult {
  readonly count: number;
  readonly pollIntervalS: number;
  /** From the first POST until the last server is ready. */
  readonly spawnWallMs: number;
  readonly medianReadyMs: number;
  /** From the first DELETE until every job is gone from squeue. */
  readonly stopWallMs: number;
  /** `squeue` calls while the spawns ran, and the most that fell in any one poll interval (must be 1). */
  readonly squeueCalls: number;
  readonly maxSqueueCallsPerInterval: number;
}

function writeConfig(dir: string, pollIntervalS: number, count: number): string {
  const file = path.join(dir, 'hub.config.ts');
  writeFileSync(
    file,
    `import { defineConfig } from '@gatehouse/hub';
     import { DummyAuthenticator } from '@gatehouse/authenticators';
     import { SlurmSpawner } from '@gatehouse/spawner';
     export default defineConfig({
       logLevel: 'warn',
       authenticator: new DummyAuthenticator(),
       spawner: new SlurmSpawner({ pollInterval: ${pollIntervalS}, startTimeout: 120 }),
       concurrentSpawnLimit: ${count},
     });`,
  );
  return file;
}

/** A directory holding `squeue` that appends the time of each call (ns) to `log`, then runs the real one. */
function squeueShim(dir: string, log: string): string {
  const shim = path.join(dir, 'squeue');
  writeFileSync(shim, `#!/bin/sh\ndate +%s%N >> '${log}'\nexec /usr/bin/squeue "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

/** The most calls in any window [t, t + interval) (calls are sorted). */
function maxPerWindow(calls: readonly number[], intervalMs: number): number {
  let most = 0;
  for (let first = 0, last = 0; first < calls.length; first++) {
    while (last < calls.length && (calls[last] as number) < (calls[first] as number) + intervalMs) last++;
    most = Math.max(most, last - first);
  }
  return most;
}

export async function runSlurmSpawnBench(count: number, pollIntervalS = 1): Promise<SlurmSpawnBenchResult> {
  const dir = makeTempDir('gatehouse-bench-slurm-');
  const callLog = path.join(dir, 'squeue-calls.log');
  writeFileSync(callLog, '');
  let cluster: SlurmCluster | undefined;
  let hub: CliHub | undefined;
  try {
    cluster = await startSlurmCluster({ cpus: count + 8 });
    const configArgs = ['--config', writeConfig(dir, pollIntervalS, count), '--data-dir', path.join(dir, 'data')];
    hub = await startCliHub([...configArgs, '--port', String(await freePort())], { env: { PATH: `${squeueShim(dir, callLog)}:${process.env['PATH'] ?? ''}` } });
    const baseUrl = hub.url.replace(/\/$/, '');
    await runCli(['useradd', 'admin', '--admin', ...configArgs]);
    const token = (await runCli(['token', 'admin', ...configArgs])).stdout.trim().split('\n').at(-1)!.trim();
    const names = Array.from({ length: count }, (_, i) => `s${i}`);
    await api(baseUrl, token, 'POST', '/users', [201], { usernames: names });

    const callsBefore = readFileSync(callLog, 'utf8').split('\n').filter((line) => line !== '').length;
    const spawnStart = performance.now();
    const readyAfter = await Promise.allSettled(names.map(async (name) => {
      await startServer(baseUrl, token, name, 180_000);
      return performance.now() - spawnStart;
    }));
    const spawnWallMs = performance.now() - spawnStart;
    const calls = readFileSync(callLog, 'utf8').split('\n').filter((line) => line !== '').map((line) => Number(BigInt(line) / 1_000_000n)).slice(callsBefore);

    const stopStart = performance.now();
    const stopped = await Promise.allSettled(names.map((name) => stopServer(baseUrl, token, name, 120_000)));
    const stopWallMs = performance.now() - stopStart;
    const failure = [...readyAfter, ...stopped].find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    const times = readyAfter.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : Number.NaN)).sort((a, b) => a - b);
    return {
      count,
      pollIntervalS,
      spawnWallMs,
      medianReadyMs: times[Math.floor(times.length / 2)] ?? Number.NaN,
      stopWallMs,
      squeueCalls: calls.length,
      maxSqueueCallsPerInterval: maxPerWindow(calls, pollIntervalS * 1000),
    };
  } finally {
    await hub?.stop();
    await cluster?.stop(); // scancels whatever is left, then stops the daemons
  }
}
