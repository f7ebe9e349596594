import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { demoAppPath } from '@gatehouse/spawner';
import { slurmAvailable, SLURM_NODE_CPUS } from '../support/slurm.ts';
import type { TestHub } from '../support/hub.ts';
import { waitFor } from '../support/processes.ts';
import {
  jobIdOf,
  queuedJobOf,
  stopEveryServer,
  progressMessages,
  queue,
  reportLocation,
  serverTokenOf,
  slurmSpawner,
  startSlurmHub,
  startViaApi,
  stopViaApi,
  TEST_POLL_INTERVAL,
  useSlurmCluster,
  userToken,
  waitForState,
} from './helpers.ts';

describe.skipIf(!slurmAvailable())('SlurmSpawner on a real single-node Slurm', () => {
  const slurm = useSlurmCluster();
  let hub: TestHub | undefined;

  afterEach(async () => {
    if (hub !== undefined) await stopEveryServer(hub);
    await hub?.close();
    hub = undefined;
    expect(slurm.cluster.jobIds()).toEqual([]);
  });

  /** Stops every server of the hub through the API (each resolves once its job is gone from squeue). */
  async function stopAll(names: readonly string[], tokens: Record<string, string>): Promise<void> {
    for (const name of names) await stopViaApi(hub!, name, tokens[name]!);
  }

  it('runs the demo app in a job, serves /user/alice/ through the proxy, and scancels it on stop', async () => {
    hub = await startSlurmHub(slurmSpawner({ server: 'demo' }));
    const token = userToken(hub, 'alice');
    expect((await startViaApi(hub, 'alice', token)).status).toBe(202);
    await waitForState(hub, 'alice', 'running');

    const jobId = jobIdOf(hub, 'alice');
    expect(queue().get(jobId)).toMatchObject({ state: 'RUNNING', name: 'gatehouse-alice', node: slurm.cluster.node });
    const handle = hub.services.serverRepository.get(hub.services.users.get('alice')!.id)?.handle;
    expect(handle).toMatchObject({ host: slurm.cluster.node, credential: 'token-header', state: { jobId } });
    expect(progressMessages(hub, 'alice')).toContain(`Submitted Slurm job ${jobId}`);

    const page = await fetch(`${hub.baseUrl}/user/alice/api/headers`, { headers: { authorization: `token ${token}` } });
    expect(page.status).toBe(200);
    expect(((await page.json()) as { user: string }).user).toBe('alice');

    // Anyone on the network can connect to the job's port; without the server's token they get nothing.
    const direct = await fetch(`http://${handle!.host}:${handle!.port}/user/alice/api/headers`);
    expect(direct.status).toBe(403);
    const withUserToken = await fetch(`http://${handle!.host}:${handle!.port}/user/alice/api/headers`, { headers: { authorization: `token ${token}` } });
    expect(withUserToken.status).toBe(403);

    expect(await stopViaApi(hub, 'alice', token)).toBe(204);
    expect(queue().has(jobId)).toBe(false);
    expect(readFileSync(`${hub.dataDir}/logs/alice.log`, 'utf8')).toContain(`gatehouse-job: server listening on ${slurm.cluster.node}:${handle!.port}`);
  });

  it('keeps a job pending behind a full node, with its reason, past startTimeout; it starts once the node frees', async () => {
    const spawner = slurmSpawner({ cpus: SLURM_NODE_CPUS, startTimeout: 8, queueTimeout: 120 });
    hub = await startSlurmHub(spawner);
    const tokens = { alice: userToken(hub, 'alice'), bob: userToken(hub, 'bob') };
    await startViaApi(hub, 'alice', tokens.alice);
    await waitForState(hub, 'alice', 'running');
    await startViaApi(hub, 'bob', tokens.bob);
    const bobJob = await waitFor("bob's job queued", () => queuedJobOf(hub!, 'bob'));
    await waitFor('the reason on the spawn progress', () => progressMessages(hub!, 'bob').some((m) => m.startsWith(`Slurm job ${bobJob} is queued (PENDING: Resources; estimated start`)));

    // Past startTimeout (8 s), measured in queue rounds of 0.3 s: still pending, never timed out.
    const rounds = spawner.squeueCalls;
    const roundsFrom = performance.now();
    await waitFor('30 more queue rounds', () => spawner.squeueCalls >= rounds + 30, 30_000);
    // Two starts, the hub's poll and the test all ask about jobs: still one squeue call per 0.3 s at most.
    expect(performance.now() - roundsFrom).toBeGreaterThanOrEqual(29 * TEST_POLL_INTERVAL * 1000);
    expect(hub.services.servers.state('bob')).toBe('pending');
    expect(queue().get(bobJob)?.reason).toBe('Resources');

    // A pending job cannot claim a location: its token is right, but it runs nowhere yet.
    const bobServerToken = serverTokenOf(hub, 'bob');
    const early = await reportLocation(hub, 'bob', bobServerToken, { host: slurm.cluster.node, port: 40000 });
    expect(early.status).toBe(400);
    expect(await early.text()).toContain(`job ${bobJob} does not run on ${slurm.cluster.node}`);

    await stopViaApi(hub, 'alice', tokens.alice);
    await waitForState(hub, 'bob', 'running');
    const page = await fetch(`${hub.baseUrl}/user/bob/api/headers`, { headers: { authorization: `token ${tokens.bob}` } });
    expect(page.status).toBe(200);
    await stopAll(['bob'], tokens);
  });

  it('accepts a location only from the server itself, with nothing but host and port', async () => {
    hub = await startSlurmHub(slurmSpawner({ cpus: SLURM_NODE_CPUS }));
    const tokens = { alice: userToken(hub, 'alice'), bob: userToken(hub, 'bob') };
    await startViaApi(hub, 'alice', tokens.alice);
    await waitForState(hub, 'alice', 'running');
    await startViaApi(hub, 'bob', tokens.bob); // queued behind alice
    await waitFor("bob's job queued", () => queuedJobOf(hub!, 'bob'));
    const location = { host: slurm.cluster.node, port: 40000 };

    expect((await reportLocation(hub, 'bob', undefined, location)).status).toBe(401);
    expect((await reportLocation(hub, 'bob', tokens.bob, location)).status).toBe(403); // the user's own API token
    expect((await reportLocation(hub, 'bob', serverTokenOf(hub, 'alice'), location)).status).toBe(403); // another server's
    expect((await reportLocation(hub, 'alice', serverTokenOf(hub, 'alice'), location)).status).toBe(409); // nothing waiting
    const extra = await reportLocation(hub, 'bob', serverTokenOf(hub, 'bob'), { ...location, credential: 'none' });
    expect(extra.status).toBe(400);
    expect(await extra.text()).toContain('a report has only host and port');
    expect((await reportLocation(hub, 'bob', serverTokenOf(hub, 'bob'), { host: slurm.cluster.node, port: 70000 })).status).toBe(400);
    expect((await reportLocation(hub, 'bob', serverTokenOf(hub, 'bob'), { host: 'evil.example/x', port: 40000 })).status).toBe(400);
    expect(hub.services.servers.state('bob')).toBe('pending');
    await stopAll(['alice', 'bob'], tokens);
  });

  it('explains a job that exits at once with its own output, and leaves nothing queued', async () => {
    hub = await startSlurmHub(slurmSpawner({ command: ['/bin/sh', '-c', 'echo "no licence for this node" >&2; exit 3'] }));
    const token = userToken(hub, 'alice');
    await startViaApi(hub, 'alice', token);
    await waitForState(hub, 'alice', 'stopped');
    const problem = hub.services.servers.lastProblem('alice');
    expect(problem?.reason).toMatch(/^Slurm job \d+ ended( \((COMPLETED|FAILED|COMPLETING)\))? before its server was ready\./);
    expect(problem?.reason).toContain('no licence for this node');
    expect(problem?.reason).toContain('the server exited with code 3 before it listened');
  });

  it("gives the job the server's environment and none of the hub's secrets", async () => {
    const cookieSecret = randomBytes(32).toString('hex');
    process.env['GATEHOUSE_COOKIE_SECRET'] = cookieSecret;
    process.env['GATEHOUSE_TEST_HUB_ONLY'] = 'hub-private-value';
    try {
      hub = await startSlurmHub(slurmSpawner({ command: ['/bin/sh', '-c', 'env; exec "$0" "$@"', process.execPath, demoAppPath], env: { SITE_SETTING: 'it is\'s "quoted" $HOME' } }));
    } finally {
      delete process.env['GATEHOUSE_COOKIE_SECRET'];
      delete process.env['GATEHOUSE_TEST_HUB_ONLY'];
    }
    const token = userToken(hub, 'carol');
    await startViaApi(hub, 'carol', token);
    await waitForState(hub, 'carol', 'running');
    const log = readFileSync(`${hub.dataDir}/logs/carol.log`, 'utf8');
    expect(log).toContain('JUPYTERHUB_USER=carol');
    expect(log).toContain(`SITE_SETTING=it is's "quoted" $HOME`);
    expect(log).not.toContain(cookieSecret);
    expect(log).not.toContain('hub-private-value');
    expect(log).not.toMatch(/^GATEHOUSE_/m); // the wrapper's own variables stop at the wrapper
    await stopViaApi(hub, 'carol', token);
  });

  it('keeps a running server through a slurmctld restart (an unreachable controller is not a dead job)', async () => {
    hub = await startSlurmHub(slurmSpawner());
    const token = userToken(hub, 'alice');
    await startViaApi(hub, 'alice', token);
    await waitForState(hub, 'alice', 'running');
    const jobId = jobIdOf(hub, 'alice');

    await slurm.cluster.stopController();
    await hub.services.servers.pollOnce(); // squeue fails now: the hub's poll must not take the route away
    expect(hub.services.servers.state('alice')).toBe('running');
    expect((await fetch(`${hub.baseUrl}/user/alice/api/headers`, { headers: { authorization: `token ${token}` } })).status).toBe(200);
    await slurm.cluster.startController();

    await hub.services.servers.pollOnce();
    expect(hub.services.servers.state('alice')).toBe('running');
    expect(queue().get(jobId)?.state).toBe('RUNNING');
    expect((await fetch(`${hub.baseUrl}/user/alice/api/headers`, { headers: { authorization: `token ${token}` } })).status).toBe(200);
    await stopViaApi(hub, 'alice', token);
  });
});
