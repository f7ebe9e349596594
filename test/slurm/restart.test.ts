import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCliHub, type CliHub } from '../support/cli.ts';
import { writeDummyHubConfig } from '../support/cli-config.ts';
import { waitFor } from '../support/processes.ts';
import { slurmAvailable } from '../support/slurm.ts';
import { tempDir } from '../support/temp.ts';
import { queue, TEST_POLL_INTERVAL, useSlurmCluster } from './helpers.ts';

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5'] as const;

/** A port for the hub that stays the same across its restarts (jobs report to the hub's URL). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function writeConfig(dir: string): string {
  // 2 CPUs each on an 8-CPU node: four jobs run, the fifth waits in the queue; the test's admin mints each user's token through the API.
  return writeDummyHubConfig(dir, { className: 'SlurmSpawner', options: { cpus: 2, pollInterval: TEST_POLL_INTERVAL, startTimeout: 60 } }, { adminAccess: true });
}

/** Creates USERS through the API and returns a token of each (an admin made with the CLI mints them). */
async function userTokens(hub: CliHub, configArgs: string[]): Promise<Record<string, string>> {
  expect((await runCli(['useradd', 'admin', '--admin', ...configArgs])).code).toBe(0);
  const admin = (await runCli(['token', 'admin', ...configArgs])).stdout.trim().split('\n').at(-1)!.trim();
  const headers = { authorization: `token ${admin}`, 'content-type': 'application/json' };
  expect((await fetch(`${hub.url}hub/api/users`, { method: 'POST', headers, body: JSON.stringify({ usernames: USERS }) })).status).toBe(201);
  const tokens: Record<string, string> = {};
  for (const name of USERS) {
    const response = await fetch(`${hub.url}hub/api/users/${name}/tokens`, { method: 'POST', headers, body: JSON.stringify({ note: 'slurm test' }) });
    tokens[name] = ((await response.json()) as { token: string }).token;
  }
  return tokens;
}

async function userModel(hub: CliHub, name: string, token: string): Promise<{ server: string | null; pending: string | null }> {
  const response = await fetch(`${hub.url}hub/api/users/${name}`, { headers: { authorization: `token ${token}` } });
  return (await response.json()) as { server: string | null; pending: string | null };
}

async function servesThroughProxy(hub: CliHub, name: string, token: string): Promise<boolean> {
  const response = await fetch(`${hub.url}user/${name}/api/headers`, { headers: { authorization: `token ${token}` } });
  return response.status === 200 && ((await response.json()) as { user: string }).user === name;
}

/** Job id by job name (`gatehouse-<user>`), as squeue shows them. */
function jobsByName(): Map<string, { id: string; state: string }> {
  return new Map([...queue()].map(([id, job]) => [job.name, { id, state: job.state }]));
}

describe.skipIf(!slurmAvailable())('SlurmSpawner across a restart of the hub (kill -9 or a clean stop)', () => {
  const slurm = useSlurmCluster();
  let hub: CliHub | undefined;

  afterAll(async () => {
    await hub?.stop('SIGKILL');
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)('re-adopts running and queued jobs from their job ids after a %s of the hub; a queued one still starts later', { timeout: 240_000 }, async (signal) => {
    const dir = tempDir('gatehouse-slurm-restart-');
    const args = ['--config', writeConfig(dir), '--data-dir', path.join(dir, 'data'), '--port', String(await freePort())];
    hub = await startCliHub(args);
    const tokens = await userTokens(hub, args.slice(0, 4));
    for (const name of USERS) {
      const started = await fetch(`${hub.url}hub/api/users/${name}/server`, { method: 'POST', headers: { authorization: `token ${tokens[name]}` } });
      expect(started.status).toBe(202);
    }
    await waitFor('four servers running and one job queued', async () => {
      const running = (await Promise.all(USERS.map(async (name) => (await userModel(hub!, name, tokens[name]!)).server !== null))).filter(Boolean).length;
      const states = [...jobsByName().values()].map((job) => job.state).sort();
      return running === 4 && states.join(',') === 'PENDING,RUNNING,RUNNING,RUNNING,RUNNING';
    }, 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nhub log:\n${hub!.output().slice(-4000)}`);
    });
    const before = jobsByName();
    const queued = USERS.find((name) => before.get(`gatehouse-${name}`)?.state === 'PENDING')!;
    const running = USERS.filter((name) => name !== queued);

    await hub.stop(signal);
    hub = await startCliHub(args);

    for (const name of running) {
      expect(await servesThroughProxy(hub, name, tokens[name]!)).toBe(true);
    }
    expect(await userModel(hub, queued, tokens[queued]!)).toMatchObject({ server: null, pending: 'spawn' });
    expect(jobsByName()).toEqual(before); // the same five jobs: nothing resubmitted, nothing cancelled

    // The queued job gets the node once a running one stops, and reports to the new hub.
    const stopped = await fetch(`${hub.url}hub/api/users/${running[0]}/server`, { method: 'DELETE', headers: { authorization: `token ${tokens[running[0]!]}` } });
    expect(stopped.status).toBe(204);
    await waitFor(`${queued}'s server ready`, async () => (await userModel(hub!, queued, tokens[queued]!)).server !== null, 60_000);
    expect(await servesThroughProxy(hub, queued, tokens[queued]!)).toBe(true);
    expect(jobsByName().get(`gatehouse-${queued}`)?.id).toBe(before.get(`gatehouse-${queued}`)?.id);

    for (const name of USERS) {
      await fetch(`${hub.url}hub/api/users/${name}/server`, { method: 'DELETE', headers: { authorization: `token ${tokens[name]}` } });
    }
    expect(slurm.cluster.jobIds()).toEqual([]);
    expect(await hub.stop()).toBe(0);
    hub = undefined;
  });
});
