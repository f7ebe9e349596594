import { describe, expect, it } from 'vitest';
import { JupyterhubSingleuserSpawner } from '@gatehouse/spawner';
import {
  BROWSER_TEST_MS,
  expectKernelChannelsThroughHub,
  expectProcessesGone,
  jupyterSpawnerOptions,
  kernelProcesses,
  openNotebookFromHome,
  PROCESS_EXIT_MS,
  runCell,
  serverAndKernelPids,
  useJupyterSuite,
  waitForReportedActivity,
} from './helpers.ts';

// The real jupyterhub-singleuser (Debian's JupyterHub 3.0, classic notebook UI) behind the hub:
// a browser signs in, starts the server, goes through the hub's OAuth provider and runs Python.

const suite = useJupyterSuite((dirs) => new JupyterhubSingleuserSpawner(jupyterSpawnerOptions(dirs, [40000, 40999])));

describe('jupyterhub-singleuser behind the hub', () => {
  it('signs in, starts the server from /hub/home, passes OAuth and runs print(6*7) over the proxied kernel WebSocket', { timeout: BROWSER_TEST_MS }, async () => {
    const { hub, browser } = suite;
    const base = hub.baseUrl;
    const startedAt = Date.now();
    const notebook = await openNotebookFromHome(browser, hub, 'alice', 'singleuser');

    // On the way to the tree the server sent the browser through the hub's authorize endpoint and back.
    const authorize = browser.requests.find((url) => url.startsWith(`${base}/hub/api/oauth2/authorize?`));
    const query = new URL(authorize ?? 'missing:').searchParams;
    expect(query.get('client_id')).toBe('jupyterhub-user-alice');
    expect(query.get('redirect_uri')).toBe('/user/alice/oauth_callback');
    expect(browser.requests.some((url) => url.startsWith(`${base}/user/alice/oauth_callback?code=`))).toBe(true);
    const serverCookie = (await browser.context.cookies(`${base}/user/alice/`)).find((cookie) => cookie.name === 'jupyterhub-user-alice');
    expect(serverCookie?.path).toBe('/user/alice/');

    expect(await runCell(notebook, 'print(6*7)')).toBe('42');
    await browser.screenshot('singleuser-4-output', notebook);
    await expectKernelChannelsThroughHub(notebook, base, 'alice');

    // jupyterhub-singleuser reports activity right after it starts.
    const model = await waitForReportedActivity(hub, 'alice', startedAt);
    expect(Date.parse(model.last_activity ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it('the Stop button on /hub/home ends the server and its kernel', { timeout: BROWSER_TEST_MS }, async () => {
    const { hub, browser, dirs } = suite;
    const notebook = await openNotebookFromHome(browser, hub, 'alice', 'singleuser-stop');
    const pids = await serverAndKernelPids(hub, notebook, dirs, 'alice');

    const { page } = browser;
    await page.goto(`${hub.baseUrl}/hub/home`);
    await page.click('button:has-text("Stop server")');
    // The stop form answers once the server has stopped, back on /hub/home.
    await page.locator('#server-status', { hasText: 'stopped' }).waitFor({ timeout: PROCESS_EXIT_MS });
    await browser.screenshot('singleuser-stop-5-stopped');
    await expectProcessesGone(pids);
    expect(kernelProcesses(dirs.runtime)).toEqual([]);
  });
});
