import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { SlurmSpawner, type SlurmSpawnerOptions } from '@gatehouse/spawner';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { startSlurmCluster, type SlurmCluster } from '../support/slurm.ts';
import { cleanupTempDirs } from '../support/temp.ts';
import { waitFor } from '../support/processes.ts';
import { mintToken } from '../proxy/helpers.ts';

/** A queue round every 0.3 s keeps the tests quick; one squeue call per round whatever the number of jobs. */
export const TEST_POLL_INTERVAL = 0.3;

/**
 * One real single-node cluster for the whole file, stopped (every job ended) after it. Files take
 * turns (test/support/slurm.ts holds a lock), so the wait covers other Slurm files running first.
 */
export function useSlurmCluster(): { readonly cluster: SlurmCluster } {
  const fixture = {} as { cluster: SlurmCluster };
  beforeAll(async () => {
    fixture.cluster = await startSlurmCluster();
  }, 600_000);
  afterAll(async () => {
    await fixture.cluster?.stop();
    cleanupTempDirs();
  }, 60_000);
  return fixture;
}

export function slurmSpawner(options: SlurmSpawnerOptions = {}): SlurmSpawner {
  return new SlurmSpawner({ pollInterval: TEST_POLL_INTERVAL, ...options });
}

export function startSlurmHub(spawner: SlurmSpawner, dataDir?: string): Promise<TestHub> {
  return startTestHub({ spawner, serverPollInterval: 1, ...(dataDir === undefined ? {} : { dataDir }) });
}

/** An API token of `name` holding all its rights (access to its own server included). */
export function userToken(hub: TestHub, name: string): string {
  return mintToken(hub, name).token;
}

/** `squeue` as an operator would read it: job id → `{state, name, reason}`. */
export function queue(): Map<string, { state: string; name: string; reason: string; node: string }> {
  const result = spawnSync('squeue', ['-h', '-o', '%i|%T|%j|%r|%N'], { encoding: 'utf8' });
  const jobs = new Map<string, { state: string; name: string; reason: string; node: string }>();
  for (const line of result.stdout.split('\n').filter((l) => l !== '')) {
    const [id, state, name, reason, node] = line.split('|') as [string, string, string, string, string];
    jobs.set(id, { state, name, reason, node });
  }
  return jobs;
}

export function jobIdOf(hub: TestHub, name: string): string {
  const user = hub.services.users.get(name);
  const row = user === undefined ? undefined : hub.services.serverRepository.get(user.id);
  const jobId = row?.handle?.state['jobId'];
  if (typeof jobId !== 'string') throw new Error(`${name} has no Slurm job recorded`);
  return jobId;
}

export async function waitForState(hub: TestHub, name: string, state: 'running' | 'stopped' | 'pending', timeoutMs = 30_000): Promise<void> {
  await waitFor(`${name}'s server ${state}`, () => hub.services.servers.state(name) === state, timeoutMs);
}

/** Starts `name`'s server through the REST API and waits until it is ready (or failed). */
export async function startViaApi(hub: TestHub, name: string, token: string): Promise<Response> {
  return fetch(`${hub.baseUrl}/hub/api/users/${name}/server`, { method: 'POST', headers: { authorization: `token ${token}` } });
}

/** The server token the hub gave `name`'s current server (what its job holds). */
export function serverTokenOf(hub: TestHub, name: string): string {
  const user = hub.services.users.get(name);
  const sealed = user === undefined ? undefined : hub.services.serverRepository.get(user.id)?.sealedToken;
  const token = sealed === null || sealed === undefined ? undefined : hub.services.box.open(sealed);
  if (token === undefined) throw new Error(`${name} has no server token`);
  return token;
}

/** The progress messages of `name`'s latest start, as the spawn page and the progress API show them. */
export function progressMessages(hub: TestHub, name: string): string[] {
  return hub.services.servers.progress(name)?.events.map((event) => event.message) ?? [];
}

export function reportLocation(hub: TestHub, name: string, token: string | undefined, body: unknown): Promise<Response> {
  return fetch(`${hub.baseUrl}/hub/api/users/${name}/server/location`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `token ${token}` }) },
    body: JSON.stringify(body),
  });
}

export async function stopViaApi(hub: TestHub, name: string, token: string): Promise<number> {
  return (await fetch(`${hub.baseUrl}/hub/api/users/${name}/server`, { method: 'DELETE', headers: { authorization: `token ${token}` } })).status;
}

/** `name`'s job id once it is recorded and PENDING in squeue; undefined before. */
export function queuedJobOf(hub: TestHub, name: string): string | undefined {
  const user = hub.services.users.get(name);
  const jobId = user === undefined ? undefined : hub.services.serverRepository.get(user.id)?.handle?.state['jobId'];
  return typeof jobId === 'string' && queue().get(jobId)?.state === 'PENDING' ? jobId : undefined;
}

/** Stops every server the hub knows, pending or running (each resolves once its job is gone from squeue). */
export async function stopEveryServer(hub: TestHub): Promise<void> {
  await Promise.all(hub.services.serverRepository.all().map((row) => hub.services.servers.stop({ id: row.userId, name: row.username })));
}
