import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { slurmAvailable } from '../support/slurm.ts';
import type { TestHub } from '../support/hub.ts';
import { waitFor } from '../support/processes.ts';
import { jobIdOf, queue, slurmSpawner, startSlurmHub, startViaApi, useSlurmCluster, userToken, waitForState } from './helpers.ts';

describe.skipIf(!slurmAvailable())('SlurmSpawner on a real single-node Slurm', () => {
  const slurm = useSlurmCluster();
  let hub: TestHub | undefined;

  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('runs the demo app in a job, serves /user/alice/ through the proxy, and scancels it on stop', async () => {
    const spawner = slurmSpawner({ server: 'demo' });
    hub = await startSlurmHub(spawner);
    const token = userToken(hub, 'alice');
    expect((await startViaApi(hub, 'alice', token)).status).toBe(202);
    await waitForState(hub, 'alice', 'running');

    const jobId = jobIdOf(hub, 'alice');
    const job = queue().get(jobId);
    expect(job).toMatchObject({ state: 'RUNNING', name: 'gatehouse-alice', node: slurm.cluster.node });
    const handle = hub.services.serverRepository.get(hub.services.users.get('alice')!.id)?.handle;
    expect(handle).toMatchObject({ host: slurm.cluster.node, credential: 'token-header', state: { jobId } });

    const page = await fetch(`${hub.baseUrl}/user/alice/api/headers`, { headers: { authorization: `token ${token}` } });
    expect(page.status).toBe(200);
    expect(((await page.json()) as { user: string }).user).toBe('alice');

    // Nobody reaches the job's port directly without the server's token.
    const direct = await fetch(`http://${handle!.host}:${handle!.port}/user/alice/api/headers`);
    expect(direct.status).toBe(403);

    const stop = await fetch(`${hub.baseUrl}/hub/api/users/alice/server`, { method: 'DELETE', headers: { authorization: `token ${token}` } });
    expect(stop.status).toBe(204);
    expect(queue().has(jobId)).toBe(false);
    expect(readFileSync(`${hub.dataDir}/logs/alice.log`, 'utf8')).toContain(`gatehouse-job: server listening on ${slurm.cluster.node}:${handle!.port}`);
  });
});
