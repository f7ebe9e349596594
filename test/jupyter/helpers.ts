import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { LocalProcessSpawner } from '@gatehouse/spawner';
import type { BrowserLikeClient, ClientResponse } from '../support/browser-like-client.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { api, isRunning, mintToken, serverPid, waitFor } from '../proxy/helpers.ts';

/**
 * Shared by the Jupyter suite: real jupyterhub-singleuser / jupyter notebook servers behind a real
 * hub, driven by Debian's chromium through the hub's own pages and Jupyter's classic UI.
 */

/**
 * Starting Python, Jupyter and a kernel on a busy CI machine is slow (3-10 s each here when idle,
 * several times that under load); waits are bounded by these. The page waits longer than the hub's
 * own httpTimeout, so a start that fails shows the hub's reason instead of a bare timeout.
 */
const SPAWNER_HTTP_TIMEOUT_S = 75;
export const SERVER_START_MS = 90_000;
export const KERNEL_READY_MS = 45_000;
export const PROCESS_EXIT_MS = 20_000;
/** For a test that signs in, starts a server and runs a kernel in a browser. */
export const BROWSER_TEST_MS = 150_000;

/**
 * Where a hub's Jupyter servers work: notebooks, Jupyter's runtime files (kernel connection files),
 * config and IPython dirs, all fresh, so the servers ignore root's own Jupyter setup and each
 * kernel can be found by its connection file.
 */
export interface JupyterDirs {
  readonly notebooks: string;
  readonly runtime: string;
  readonly config: string;
  readonly ipython: string;
}

export function jupyterDirs(): JupyterDirs {
  const root = tempDir('gatehouse-jupyter-');
  const dirs = { notebooks: path.join(root, 'notebooks'), runtime: path.join(root, 'runtime'), config: path.join(root, 'config'), ipython: path.join(root, 'ipython') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return dirs;
}

/** Spawner options every Jupyter preset gets here: hermetic dirs, a port block, generous timeouts. */
export function jupyterSpawnerOptions(dirs: JupyterDirs, portRange: [number, number]) {
  return {
    portRange,
    cwd: dirs.notebooks,
    env: { JUPYTER_RUNTIME_DIR: dirs.runtime, JUPYTER_CONFIG_DIR: dirs.config, IPYTHONDIR: dirs.ipython },
    httpTimeout: SPAWNER_HTTP_TIMEOUT_S,
    startTimeout: SPAWNER_HTTP_TIMEOUT_S + 10,
  };
}

/**
 * A hub for one test file. Its clock is set an hour back: the proxy stamps activity with the hub's
 * clock, so a recent last_activity can only have come from the server itself.
 */
export async function startJupyterHub(spawner: LocalProcessSpawner): Promise<TestHub> {
  const hub = await startTestHub({ spawner, stopServersOnShutdown: true, serverPollInterval: 1 });
  hub.clock.advance(-60 * 60_000);
  return hub;
}

/** Stops `name`'s server if the hub knows the user (afterEach). */
export async function stopServerOf(hub: TestHub, name: string): Promise<void> {
  const user = hub.services.users.get(name);
  if (user !== undefined) await hub.services.servers.stop(user);
}

/** For afterAll: closes the hub (which stops its servers); no kernel of this file may outlive it. */
export async function closeJupyterHub(hub: TestHub | undefined, dirs: JupyterDirs | undefined): Promise<void> {
  await hub?.close();
  if (dirs !== undefined) expect(kernelProcesses(dirs.runtime)).toEqual([]);
  cleanupTempDirs();
}

export interface JupyterSuite {
  readonly hub: TestHub;
  readonly dirs: JupyterDirs;
  /** A fresh browser for each test. */
  readonly browser: TestBrowser;
}

/**
 * The hooks of a browser-driven file: one hub whose servers `makeSpawner` starts, a fresh browser
 * per test, and alice's server stopped after each test. Read the fields inside tests.
 */
export function useJupyterSuite(makeSpawner: (dirs: JupyterDirs) => LocalProcessSpawner): JupyterSuite {
  const suite: { hub?: TestHub; dirs?: JupyterDirs; browser?: TestBrowser } = {};
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside a test`);
    return value;
  };
  beforeAll(async () => {
    suite.dirs = jupyterDirs();
    suite.hub = await startJupyterHub(makeSpawner(suite.dirs));
  });
  beforeEach(async () => {
    suite.browser = await launchBrowser();
  });
  afterEach(async () => {
    await suite.browser?.close();
    if (suite.hub !== undefined) await stopServerOf(suite.hub, 'alice');
  });
  afterAll(() => closeJupyterHub(suite.hub, suite.dirs));
  return {
    get hub() {
      return required(suite.hub, 'the hub');
    },
    get dirs() {
      return required(suite.dirs, 'the Jupyter dirs');
    },
    get browser() {
      return required(suite.browser, 'the browser');
    },
  };
}

/** Signs in through the real login form and lands on /hub/home. */
export async function loginInBrowser(page: Page, baseUrl: string, username: string): Promise<void> {
  await page.goto(`${baseUrl}/hub/login`);
  await page.fill('#username', username);
  await page.fill('#password', 'any-password');
  await Promise.all([page.waitForURL(`${baseUrl}/hub/home`), page.click('button[type=submit]:has-text("Sign in")')]);
}

/** The last lines of a server's log, for failure messages. */
export async function serverLogTail(hub: TestHub, username: string, lines = 30, serverName = ''): Promise<string> {
  try {
    return (await hub.services.servers.readLog(username, serverName, 64 * 1024)).split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(no server log: ${(error as Error).message})`;
  }
}

/**
 * Clicks "Start server" on /hub/home; spawn-pending follows the progress and opens the server,
 * which (after OAuth, for jupyterhub-singleuser) shows the classic notebook's file tree. A start
 * that does not arrive fails with what the progress page and the server's log said.
 */
export async function startServerFromHome(browser: TestBrowser, hub: TestHub, username: string, artifact: string): Promise<void> {
  const { page } = browser;
  const base = hub.baseUrl;
  await page.goto(`${base}/hub/home`);
  await expect.poll(() => page.textContent('#server-status')).toBe('stopped');
  await page.click('button:has-text("Start server")');
  // Jupyter needs seconds to start, so this is the progress page; a screenshot is no assertion.
  await page.waitForURL(`${base}/hub/spawn-pending/${username}`);
  await browser.screenshot(`${artifact}-1-spawn-pending`).catch(() => undefined);
  try {
    await page.waitForURL(new RegExp(`^${base}/user/${username}/tree`), { timeout: SERVER_START_MS });
    await page.waitForSelector('#notebook_list', { timeout: SERVER_START_MS });
  } catch (error) {
    await browser.screenshot(`${artifact}-failed-start`).catch(() => undefined);
    const shown = await page.textContent('body').catch(() => '(page unreadable)');
    const state = hub.services.servers.state(username);
    throw new Error(`${(error as Error).message}\nat ${page.url()} (server ${state}) the page said: ${shown?.replace(/\s+/g, ' ')}\nserver log:\n${await serverLogTail(hub, username)}`, { cause: error });
  }
  await browser.screenshot(`${artifact}-2-tree`);
}

/** New → Python 3 in the tree opens a new tab with an untitled notebook; waits for its kernel. */
export async function newPythonNotebook(browser: TestBrowser, artifact: string): Promise<Page> {
  const { page, context } = browser;
  await page.click('#new-dropdown-button');
  const [notebook] = await Promise.all([context.waitForEvent('page'), page.click('#kernel-python3 a')]);
  await notebook.waitForURL(/\/notebooks\/Untitled\d*\.ipynb(\?|$)/, { timeout: KERNEL_READY_MS });
  await notebook.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: KERNEL_READY_MS });
  await browser.screenshot(`${artifact}-3-notebook`, notebook);
  return notebook;
}

/** The whole way in: sign in, start the server from /hub/home, open a new Python 3 notebook. */
export async function openNotebookFromHome(browser: TestBrowser, hub: TestHub, username: string, artifact: string): Promise<Page> {
  await loginInBrowser(browser.page, hub.baseUrl, username);
  await startServerFromHome(browser, hub, username, artifact);
  return newPythonNotebook(browser, artifact);
}

/** The notebook's kernel channels WebSocket goes to the hub's address, i.e. through the proxy. */
export async function expectKernelChannelsThroughHub(notebook: Page, baseUrl: string, username: string): Promise<void> {
  const url = await notebook.evaluate(() => (window as unknown as JupyterWindow).Jupyter.notebook.kernel.ws.url);
  expect(url).toMatch(new RegExp(`^${baseUrl.replace(/^http/, 'ws')}/user/${username}/api/kernels/[0-9a-f-]+/channels`));
}

/** Types `code` into the last cell, runs it with Shift+Enter, and returns that cell's text output. */
export async function runCell(notebook: Page, code: string): Promise<string> {
  const cells = notebook.locator('#notebook-container .cell.code_cell');
  // Shift+Enter adds a cell below, so hold on to this one by position.
  const cell = cells.nth((await cells.count()) - 1);
  await cell.locator('.CodeMirror').click();
  await notebook.keyboard.type(code);
  await expect.poll(() => notebook.evaluate(() => (window as unknown as JupyterWindow).Jupyter.notebook.get_selected_cell().get_text())).toBe(code);
  await notebook.keyboard.press('Shift+Enter');
  const output = cell.locator('.output_subarea.output_text pre');
  await output.waitFor({ timeout: KERNEL_READY_MS });
  return (await output.textContent())?.trim() ?? '';
}

/** The bits of classic notebook's page API these helpers read (what CodeMirror really holds, the kernel's socket). */
interface JupyterWindow {
  Jupyter: { notebook: { get_selected_cell(): { get_text(): string }; kernel: { ws: WebSocket } } };
}

/** The code in a hub redirect to `username`'s OAuth callback, after checking that `state` came back. */
export function callbackCode(response: ClientResponse, username: string, state: string): string {
  expect(response.status, response.body).toBe(302);
  const location = new URL(response.headers.get('location') ?? '', 'http://hub.invalid');
  expect(location.pathname).toBe(`/user/${username}/oauth_callback`);
  expect(location.searchParams.get('state')).toBe(state);
  return location.searchParams.get('code') ?? '';
}

/**
 * A signed-in client's OAuth dance with the user's real jupyterhub-singleuser server: a page
 * request is sent to the hub's authorize endpoint, comes back to the callback with a code, and the
 * server (which exchanged the code itself) sets its cookie. Returns the code the server used.
 */
export async function signInToServer(client: BrowserLikeClient, username: string): Promise<string> {
  const start = await client.get(`/user/${username}/tree`);
  expect(start.status, start.body).toBe(302);
  const authorize = new URL(start.headers.get('location') ?? '', 'http://hub.invalid');
  expect(authorize.pathname).toBe('/hub/api/oauth2/authorize');
  const state = authorize.searchParams.get('state') ?? '';
  const code = callbackCode(await client.get(`${authorize.pathname}${authorize.search}`), username, state);
  const callback = await client.get(`/user/${username}/oauth_callback?${new URLSearchParams({ code, state }).toString()}`);
  expect(callback.status, callback.body).toBe(302);
  expect(client.cookie(`jupyterhub-user-${username}`, `/user/${username}/`)).toBeDefined();
  return code;
}

/** The environment a server process was started with (we are its parent, so /proc shows it). */
export function processEnvironment(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((entry) => entry.includes('='));
  return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** The server's API token (also its OAuth client secret), read from its environment. */
export function serverApiToken(hub: TestHub, username: string): string {
  const token = processEnvironment(serverPid(hub, username))['JUPYTERHUB_API_TOKEN'];
  if (token === undefined || token === '') throw new Error(`${username}'s server has no JUPYTERHUB_API_TOKEN`);
  return token;
}

/** Live ipykernel processes whose connection file lies in `runtimeDir` (this file's kernels). */
export function kernelProcesses(runtimeDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes('ipykernel_launcher') && cmdline.includes(runtimeDir) && isRunning(pid);
      } catch {
        return false;
      }
    });
}

/**
 * Runs `os.getpid()` in the notebook and checks it is one of this hub's kernels; returns the server's
 * and the kernel's pids, for asserting that a stop ends both.
 */
export async function serverAndKernelPids(hub: TestHub, notebook: Page, dirs: JupyterDirs, username: string): Promise<{ server: number; kernel: number }> {
  const reported = Number(await runCell(notebook, 'import os; print(os.getpid())'));
  expect(Number.isInteger(reported) && reported > 0, `kernel pid ${reported}`).toBe(true);
  // In a sandbox the kernel sees its pid in its own pid namespace: match it to the host's view.
  const kernel = kernelProcesses(dirs.runtime).find((pid) => innermostPid(pid) === reported);
  expect(kernel, `no kernel of this hub has pid ${reported} in its namespace`).toBeDefined();
  const server = serverPid(hub, username);
  expect(isRunning(server)).toBe(true);
  return { server, kernel: kernel as number };
}

/** The pid a process sees for itself: the last NSpid of /proc/<pid>/status (its innermost pid namespace). */
function innermostPid(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('NSpid:'));
    return Number(line?.split(/\s+/).filter(Boolean).at(-1));
  } catch {
    return undefined;
  }
}

/** Bounded wait until none of `pids` is alive (zombies count as gone: they have exited). */
export async function expectProcessesGone(pids: Record<string, number>): Promise<void> {
  const alive = () => Object.entries(pids).filter(([, pid]) => isRunning(pid));
  await waitFor(`processes to exit`, () => alive().length === 0, PROCESS_EXIT_MS).catch(() => undefined);
  expect(Object.fromEntries(alive())).toEqual({});
}

interface ActivityModel {
  last_activity: string | null;
  servers: Record<string, { last_activity: string | null }>;
}

/**
 * Waits (flushing the hub's activity batch) until `username` and their server show activity at or
 * after `since`; returns the model. With the hub's clock an hour back, only an activity report from
 * the server itself (POST /hub/api/users/:name/activity) can produce that.
 */
export async function waitForReportedActivity(hub: TestHub, username: string, since: number): Promise<ActivityModel> {
  const token = mintToken(hub, username).token;
  const recent = (at: string | null | undefined) => at != null && Date.parse(at) >= since;
  return waitFor(
    `${username}'s server to report activity`,
    async () => {
      hub.services.activity.flush();
      const model = (await api(hub.baseUrl, 'GET', `/users/${username}`, token)).json<ActivityModel>();
      return recent(model.last_activity) && recent(model.servers['']?.last_activity) && model;
    },
    SERVER_START_MS,
  );
}
