import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JupyterhubSingleuserSpawner } from '@gatehouse/spawner';
import { BrowserLikeClient, type ClientResponse } from '../support/browser-like-client.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { startServer } from '../proxy/helpers.ts';
import {
  callbackCode,
  closeJupyterHub,
  jupyterDirs,
  jupyterSpawnerOptions,
  loginInBrowser,
  serverApiToken,
  signInToServer,
  startJupyterHub,
  type JupyterDirs,
} from './helpers.ts';

// Alice's real jupyterhub-singleuser server is hers alone: bob, signed in with his own browser, is
// refused by the proxy and by the hub's OAuth provider; and the provider holds to the rules a
// single-user server relies on (exact redirect URI, known clients, single-use codes, client secret).

const CLIENT_ID = 'jupyterhub-user-alice';
const CALLBACK = '/user/alice/oauth_callback';

let hub: TestHub;
let dirs: JupyterDirs;
let alice: BrowserLikeClient;
let bob: TestBrowser;

beforeAll(async () => {
  dirs = jupyterDirs();
  hub = await startJupyterHub(new JupyterhubSingleuserSpawner(jupyterSpawnerOptions(dirs, [42000, 42999])));
  alice = await loginWithForm(hub.baseUrl, 'alice');
  await startServer(hub, 'alice');
  bob = await launchBrowser();
  await loginInBrowser(bob.page, hub.baseUrl, 'bob');
}, 120_000);

afterAll(async () => {
  await bob?.close();
  await closeJupyterHub(hub, dirs);
});

function authorizePath(params: Record<string, string> = {}): string {
  const query = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: CALLBACK, response_type: 'code', state: 'x', ...params });
  return `/hub/api/oauth2/authorize?${query.toString()}`;
}

/** What jupyterhub-singleuser sends to exchange a code (docs/jupyterhub-singleuser.md §2, code exchange). */
function exchange(code: string, clientSecret: string, fields: Record<string, string> = {}): Promise<ClientResponse> {
  const form = { client_id: CLIENT_ID, client_secret: clientSecret, grant_type: 'authorization_code', code, redirect_uri: CALLBACK, ...fields };
  // Authorization always carries the real server token: a refusal must come from the form's secret.
  const headers = { authorization: `token ${serverApiToken(hub, 'alice')}` };
  return new BrowserLikeClient(hub.baseUrl).request('POST', '/hub/api/oauth2/token', { form, headers });
}

describe("bob and alice's server", () => {
  it('the proxy answers 403 to bob for /user/alice/tree, in his browser', async () => {
    const response = await bob.page.goto(`${hub.baseUrl}/user/alice/tree`);
    expect(response?.status()).toBe(403);
    await bob.screenshot('isolation-bob-403');
    expect(await bob.context.cookies(`${hub.baseUrl}/user/alice/`)).not.toContainEqual(expect.objectContaining({ name: CLIENT_ID }));
  });

  it("refuses bob's kernel WebSocket to alice's server", async () => {
    const outcome = await bob.page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url);
          socket.onopen = () => resolve('open');
          socket.onclose = (event) => resolve(`closed ${event.code}`);
        }),
      `${hub.baseUrl.replace(/^http/, 'ws')}/user/alice/api/kernels/00000000-0000-0000-0000-000000000000/channels`,
    );
    expect(outcome).toBe('closed 1006');
  });

  it("the hub's authorize endpoint answers 403 to bob's session for alice's client", async () => {
    const response = await bob.page.goto(`${hub.baseUrl}${authorizePath()}`);
    expect(response?.status()).toBe(403);
    expect(bob.page.url()).toBe(`${hub.baseUrl}${authorizePath()}`); // no redirect to the callback with a code
  });
});

describe('the OAuth provider', () => {
  it('answers 400 to a redirect_uri other than the registered one, and to an unknown client', async () => {
    for (const redirect of ['/user/alice/oauth_callback/', '/user/bob/oauth_callback', 'http://evil.invalid/user/alice/oauth_callback']) {
      const response = await alice.get(authorizePath({ redirect_uri: redirect }));
      expect(response.status, redirect).toBe(400);
      expect(response.headers.get('location'), redirect).toBeNull();
    }
    expect((await alice.get(authorizePath({ client_id: 'jupyterhub-user-mallory' }))).status).toBe(400);
  });

  it("completes alice's real OAuth dance with her server, whose code then cannot be exchanged again", async () => {
    const code = await signInToServer(alice, 'alice');
    expect((await alice.get('/user/alice/tree')).status).toBe(200);

    const replay = await exchange(code, serverApiToken(hub, 'alice'));
    expect(replay.status).toBe(400);
    expect(replay.body).not.toContain('access_token');
  });

  it('refuses a wrong client_secret; the right one gets a token once, a second exchange gets 400', async () => {
    const code = callbackCode(await alice.get(authorizePath()), 'alice', 'x');
    const wrong = await exchange(code, 'not-the-secret');
    expect(wrong.status).toBe(403);
    expect(wrong.body).not.toContain('access_token');

    const secret = serverApiToken(hub, 'alice');
    const first = await exchange(code, secret);
    expect(first.status, first.body).toBe(200);
    expect(first.json<{ access_token: string }>().access_token).toMatch(/\S{16,}/);
    const second = await exchange(code, secret);
    expect(second.status).toBe(400);
    expect(second.body).not.toContain('access_token');
  });

  it('refuses a code issued for alice when presented with a different redirect_uri', async () => {
    const code = callbackCode(await alice.get(authorizePath()), 'alice', 'x');
    const response = await exchange(code, serverApiToken(hub, 'alice'), { redirect_uri: '/user/alice/elsewhere' });
    expect(response.status).toBe(400);
    expect(response.body).not.toContain('access_token');
  });
});
