import { describe, expect, it } from 'vitest';
import { JupyterServerSpawner } from '@gatehouse/spawner';
import { BrowserLikeClient } from '../support/browser-like-client.ts';
import { loginWithForm } from '../support/login.ts';
import { api, mintToken, startServer, xsrfOf } from '../proxy/helpers.ts';
import {
  BROWSER_TEST_MS,
  expectKernelChannelsThroughHub,
  expectProcessesGone,
  jupyterSpawnerOptions,
  kernelProcesses,
  openNotebookFromHome,
  runCell,
  serverAndKernelPids,
  serverApiToken,
  useJupyterSuite,
} from './helpers.ts';

// Plain `jupyter notebook` (Debian's notebook 6.4) behind the hub: no OAuth, the proxy injects the
// server's token as `Authorization: token …`, and the browser never sees that token.

const suite = useJupyterSuite((dirs) => new JupyterServerSpawner({ app: 'notebook', ...jupyterSpawnerOptions(dirs, [41000, 41999]) }));

describe('jupyter notebook behind the hub', () => {
  it('signs in, starts the server from /hub/home and runs print(6*7) over the proxied kernel WebSocket', { timeout: BROWSER_TEST_MS }, async () => {
    const { hub, browser } = suite;
    const base = hub.baseUrl;
    const notebook = await openNotebookFromHome(browser, hub, 'alice', 'notebook');
    expect(await runCell(notebook, 'print(6*7)')).toBe('42');
    await browser.screenshot('notebook-4-output', notebook);
    await expectKernelChannelsThroughHub(notebook, base, 'alice');

    // The hub's session was enough: no OAuth round trip, and the server's token stayed with the proxy.
    expect(browser.requests.filter((url) => url.includes('/oauth2/') || url.includes('oauth_callback'))).toEqual([]);
    const serverToken = serverApiToken(hub, 'alice');
    const seen: Record<string, string> = {
      'requested URLs': browser.requests.join('\n'),
      cookies: (await browser.context.cookies()).map((cookie) => cookie.value).join('\n'),
      'tree page': await browser.page.content(),
      'notebook page': await notebook.content(),
    };
    expect(Object.keys(seen).filter((where) => seen[where]?.includes(serverToken)), "where the browser saw the server's token").toEqual([]);
  });

  it('after alice signs out of the hub, nothing her notebook pages showed still opens her server', { timeout: BROWSER_TEST_MS }, async () => {
    const { hub } = suite;
    const client = await loginWithForm(hub.baseUrl, 'alice');
    await startServer(hub, 'alice');
    const tree = await client.get('/user/alice/tree');
    expect(tree.status).toBe(200);
    // Where the classic notebook puts a token into its pages: <body data-jupyter-api-token> and ?token= links.
    const shown = [...tree.body.matchAll(/data-jupyter-api-token="([^"]+)"|[?&]token=([^"&]+)/g)].map((match) => decodeURIComponent(match[1] ?? match[2] ?? ''));

    expect((await client.request('POST', '/hub/logout', { form: { _xsrf: await xsrfOf(client) } })).status).toBe(302);
    expect((await client.get('/user/alice/tree')).status).toBe(302); // back to the login page
    const stranger = new BrowserLikeClient(hub.baseUrl);
    for (const credential of shown) {
      expect((await stranger.get('/user/alice/api/contents', { authorization: `token ${credential}` })).status, 'a token shown in the page').not.toBe(200);
    }
  });

  it("refuses a direct connection to the server's port without its token, or with a wrong one", { timeout: BROWSER_TEST_MS }, async () => {
    const { hub } = suite;
    await startServer(hub, 'alice');
    const route = hub.services.servers.route('alice');
    if (route === undefined) throw new Error('alice has no route');
    const direct = `http://${route.host}:${route.port}/user/alice/api/contents`;
    expect((await fetch(direct, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(direct, { redirect: 'manual', headers: { authorization: 'token not-the-server-token' } })).status).toBe(403);
    expect((await fetch(direct, { redirect: 'manual', headers: { authorization: route.authorization ?? '' } })).status).toBe(200);
  });

  it('DELETE /hub/api/users/alice/server ends the server and its kernel', { timeout: BROWSER_TEST_MS }, async () => {
    const { hub, browser, dirs } = suite;
    const notebook = await openNotebookFromHome(browser, hub, 'alice', 'notebook-stop');
    const pids = await serverAndKernelPids(hub, notebook, dirs, 'alice');

    const response = await api(hub.baseUrl, 'DELETE', '/users/alice/server', mintToken(hub, 'alice').token);
    expect(response.status).toBe(204);
    await expectProcessesGone(pids);
    expect(kernelProcesses(dirs.runtime)).toEqual([]);
  });
});
