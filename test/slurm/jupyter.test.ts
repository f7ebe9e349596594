import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import type { TestHub } from '../support/hub.ts';
import { waitFor } from '../support/processes.ts';
import { slurmAvailable } from '../support/slurm.ts';
import { BROWSER_TEST_MS, expectKernelChannelsThroughHub, jupyterDirs, kernelProcesses, openNotebookFromHome, runCell, type JupyterDirs } from '../jupyter/helpers.ts';
import { jobIdOf, queue, slurmSpawner, startSlurmHub, stopEveryServer, useSlurmCluster } from './helpers.ts';

// The real jupyterhub-singleuser (Debian's JupyterHub, classic notebook UI) inside a Slurm job: the
// browser signs in, starts it from /hub/home, passes the hub's OAuth and runs Python through the proxy.

describe.skipIf(!slurmAvailable())('jupyterhub-singleuser in a Slurm job', () => {
  useSlurmCluster();
  let hub: TestHub | undefined;
  let dirs: JupyterDirs | undefined;
  let browser: TestBrowser | undefined;

  beforeAll(async () => {
    dirs = jupyterDirs();
    const env = { JUPYTER_RUNTIME_DIR: dirs.runtime, JUPYTER_CONFIG_DIR: dirs.config, IPYTHONDIR: dirs.ipython };
    hub = await startSlurmHub(slurmSpawner({ server: 'jupyterhub-singleuser', args: [`--notebook-dir=${dirs.notebooks}`], env, startTimeout: 90 }));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (hub !== undefined) await stopEveryServer(hub);
    await hub?.close();
    if (dirs !== undefined) await waitFor('no kernel left after scancel', () => kernelProcesses(dirs!.runtime).length === 0);
  });

  it('starts from /hub/home, passes OAuth and runs print(6*7) over the proxied kernel WebSocket', { timeout: BROWSER_TEST_MS }, async () => {
    const notebook = await openNotebookFromHome(browser!, hub!, 'alice', 'slurm-singleuser');
    expect(queue().get(jobIdOf(hub!, 'alice'))).toMatchObject({ state: 'RUNNING', name: 'gatehouse-alice' });
    expect(browser!.requests.some((url) => url.startsWith(`${hub!.baseUrl}/user/alice/oauth_callback?code=`))).toBe(true);
    expect(await runCell(notebook, 'print(6*7)')).toBe('42');
    await expectKernelChannelsThroughHub(notebook, hub!.baseUrl, 'alice');
    expect(await runCell(notebook, 'import os; print(os.environ["SLURM_JOB_ID"])')).toBe(jobIdOf(hub!, 'alice'));
  });
});
