import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { JupyterhubSingleuserSpawner } from '@gatehouse/spawner';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import type { TestHub } from '../support/hub.ts';
import { startTestHub } from '../support/hub.ts';
import {
  BROWSER_TEST_MS,
  closeJupyterHub,
  jupyterDirs,
  jupyterSpawnerOptions,
  loginInBrowser,
  newPythonNotebook,
  processEnvironment,
  runCell,
  SERVER_START_MS,
  serverLogTail,
  type JupyterDirs,
} from './helpers.ts';

// Two named servers of one user, each a real jupyterhub-singleuser with its own token and OAuth
// client: created from the home page, each passes the hub's OAuth as its own client and runs Python.

let hub: TestHub;
let dirs: JupyterDirs;
let browser: TestBrowser | undefined;

beforeAll(async () => {
  dirs = jupyterDirs();
  hub = await startTestHub({
    spawner: new JupyterhubSingleuserSpawner(jupyterSpawnerOptions(dirs, [45000, 45999])),
    stopServersOnShutdown: true,
    serverPollInterval: 1,
    namedServers: { enabled: true, limitPerUser: 0 },
  });
});

afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

afterAll(async () => {
  const alice = hub?.services.users.get('alice');
  if (alice !== undefined) await hub.services.servers.stopAll(alice);
  await closeJupyterHub(hub, dirs);
});

/** Creates `serverName` from the home page's form and waits for its tree, after the server's own OAuth. */
async function createFromHome(open: TestBrowser, serverName: string): Promise<void> {
  const { page } = open;
  await page.goto(`${hub.baseUrl}/hub/home`);
  await page.fill('#server-name', serverName);
  await page.click('#create-server button[type=submit]');
  try {
    await page.waitForURL(new RegExp(`^${hub.baseUrl}/user/alice/${serverName}/tree`), { timeout: SERVER_START_MS });
    await page.waitForSelector('#notebook_list', { timeout: SERVER_START_MS });
  } catch (error) {
    const log = await serverLogTail(hub, 'alice', 30, serverName);
    throw new Error(`${(error as Error).message}\nat ${page.url()}; server log:\n${log}`, { cause: error });
  }
}

describe('two named jupyterhub-singleuser servers of one user', () => {
  it('each start from the home page, pass OAuth as their own client and run a notebook cell', { timeout: BROWSER_TEST_MS * 2 }, async () => {
    browser = await launchBrowser();
    await loginInBrowser(browser.page, hub.baseUrl, 'alice');
    const notebooks: Record<string, Page> = {};
    for (const serverName of ['lab', 'scratch']) {
      await createFromHome(browser, serverName);
      const authorize = browser.requests.filter((url) => url.startsWith(`${hub.baseUrl}/hub/api/oauth2/authorize?`)).at(-1);
      const query = new URL(authorize ?? 'missing:').searchParams;
      expect(query.get('client_id')).toBe(`jupyterhub-user-alice+${serverName}`);
      expect(query.get('redirect_uri')).toBe(`/user/alice/${serverName}/oauth_callback`);
      notebooks[serverName] = await newPythonNotebook(browser, `named-${serverName}`);
    }
    expect(hub.services.servers.state('alice', 'lab')).toBe('running');
    expect(hub.services.servers.state('alice', 'scratch')).toBe('running');
    expect(await runCell(notebooks['lab'] as Page, 'import os; print(os.environ["JUPYTERHUB_SERVER_NAME"], 6*7)')).toBe('lab 42');
    expect(await runCell(notebooks['scratch'] as Page, 'import os; print(os.environ["JUPYTERHUB_SERVER_NAME"], 6*7)')).toBe('scratch 42');

    // Each server has its own token; each server's cookie is its own.
    const alice = hub.services.users.get('alice');
    const envOf = (serverName: string) => processEnvironment(hub.services.serverRepository.get(alice?.id ?? -1, serverName)?.handle?.state['pid'] as number);
    expect(envOf('lab')['JUPYTERHUB_API_TOKEN']).not.toBe(envOf('scratch')['JUPYTERHUB_API_TOKEN']);
    const cookies = await browser.context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'jupyterhub-user-alice+lab')?.path).toBe('/user/alice/lab/');
    expect(cookies.find((cookie) => cookie.name === 'jupyterhub-user-alice+scratch')?.path).toBe('/user/alice/scratch/');
  });
});
