import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserLikeClient } from '../support/browser-like-client.ts';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { finishFile, mintToken, portBlock, rawHttp, rawWebSocket, startProxyHub, startServer, type HeaderLine } from './helpers.ts';

// The one "who is asking" policy (packages/hub/src/auth/who-is-asking.ts) and the one "may open this
// server" rule (auth/server-access.ts), seen from outside: the same credentials meet the same answer
// on the hub's pages, its REST API and the proxy, over HTTP and WebSocket alike.

let hub: TestHub;
let alice: BrowserLikeClient;
let bob: BrowserLikeClient;
let root: BrowserLikeClient;

beforeAll(async () => {
  hub = await startProxyHub(portBlock(24), { adminUsers: ['root'] });
  [alice, bob, root] = await Promise.all([loginWithForm(hub.baseUrl, 'alice'), loginWithForm(hub.baseUrl, 'bob'), loginWithForm(hub.baseUrl, 'root')]);
  await startServer(hub, 'alice');
});

afterAll(async () => finishFile(hub));

/** A header that looks like a token but is none of the hub's (a user server's own, say). */
const FOREIGN_TOKEN = 'token 0123456789abcdef0123456789abcdef';

/** What `client` sends to `path` as a browser would: its cookies for that path, plus `lines`. */
function asBrowser(client: BrowserLikeClient, path: string, lines: readonly HeaderLine[] = []): HeaderLine[] {
  return [['Cookie', client.cookieHeaderFor(path)], ...lines];
}

/** The status of `client`'s request to alice's server over `transport`, with `lines` added. */
async function openAlice(transport: 'http' | 'websocket', lines: readonly HeaderLine[], client?: BrowserLikeClient): Promise<number> {
  const path = transport === 'http' ? '/user/alice/api/headers' : '/user/alice/ws';
  const sent = client === undefined ? lines : asBrowser(client, path, lines);
  const response = transport === 'http' ? await rawHttp(hub.baseUrl, 'GET', path, sent) : await rawWebSocket(hub.baseUrl, path, sent);
  return response.status;
}

describe('a presented token that is not a hub token, beside a valid session cookie', () => {
  it.each(['http', 'websocket'] as const)('at /user/ (%s): the cookie decides, so the browser still reaches its own server', async (transport) => {
    const opened = transport === 'http' ? 200 : 101;
    expect(await openAlice(transport, [['Authorization', FOREIGN_TOKEN]], alice)).toBe(opened);
    // It grants nothing by itself: without the cookie it is refused, and bob's cookie does not open alice's server.
    expect(await openAlice(transport, [['Authorization', FOREIGN_TOKEN]])).toBe(transport === 'http' ? 302 : 401);
    expect(await openAlice(transport, [['Authorization', FOREIGN_TOKEN]], bob)).toBe(403);
  });

  it('at /hub/api: refused, not silently taken for the signed-in browser', async () => {
    expect((await alice.get('/hub/api/users/alice')).status).toBe(200);
    const refused = await alice.get('/hub/api/users/alice', { authorization: FOREIGN_TOKEN });
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'GATEHOUSE_ERR_UNAUTHENTICATED' });
    // jupyterhub-singleuser's identity check: an unknown token is 403 there, whatever the cookie.
    expect((await alice.get('/hub/api/user', { authorization: FOREIGN_TOKEN })).status).toBe(403);
  });

  it("at the hub's pages: the request has no identity either (sent to sign in)", async () => {
    expect((await alice.get('/hub/home')).status).toBe(200);
    const page = await alice.get('/hub/home', { authorization: FOREIGN_TOKEN });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toMatch(/^\/hub\/login\?next=/);
  });

  it('other Authorization schemes (Basic from a front proxy) are no token: the cookie decides everywhere', async () => {
    const basic: HeaderLine = ['Authorization', `Basic ${Buffer.from('alice:x').toString('base64')}`];
    expect((await alice.get('/hub/api/users/alice', { authorization: basic[1] })).status).toBe(200);
    expect(await openAlice('http', [basic], alice)).toBe(200);
    expect(await openAlice('websocket', [basic], alice)).toBe(101);
  });
});

describe('a valid token', () => {
  it.each(['http', 'websocket'] as const)("wins over the cookie of someone else's browser (%s)", async (transport) => {
    const token = mintToken(hub, 'alice').token;
    expect(await openAlice(transport, [['Authorization', `token ${token}`]], bob)).toBe(transport === 'http' ? 200 : 101);
    const bobsToken = mintToken(hub, 'bob').token;
    expect(await openAlice(transport, [['Authorization', `Bearer ${bobsToken}`]], alice)).toBe(403);
  });

  it('wins over the cookie at /hub/api too', async () => {
    const token = mintToken(hub, 'alice').token;
    expect((await bob.get('/hub/api/user', { authorization: `token ${token}` })).json()).toMatchObject({ name: 'alice' });
  });
});

describe('may open this server: one rule for pages, API and proxy', () => {
  it('a token of alice without access:servers is refused by the proxy (HTTP and WebSocket) and the page alike', async () => {
    const token = mintToken(hub, 'alice', { scopes: ['read:users!user=alice', 'admin:servers!user=alice'] }).token;
    const authorization: HeaderLine = ['Authorization', `token ${token}`];
    expect(await openAlice('http', [authorization])).toBe(403);
    expect(await openAlice('websocket', [authorization])).toBe(403);
    // The hub's page for alice's server (where the proxy sends a browser when it is not running).
    expect((await rawHttp(hub.baseUrl, 'GET', '/hub/user/alice/', [authorization])).status).toBe(403);
    // The same token may still do what it holds: control the server through the API.
    expect((await rawHttp(hub.baseUrl, 'GET', '/hub/api/users/alice', [authorization])).status).toBe(200);
    // With access:servers added, all three let it through.
    const opener = mintToken(hub, 'alice', { scopes: ['access:servers!server=alice/'] }).token;
    expect(await openAlice('http', [['Authorization', `token ${opener}`]])).toBe(200);
    expect(await openAlice('websocket', [['Authorization', `token ${opener}`]])).toBe(101);
    expect((await rawHttp(hub.baseUrl, 'GET', '/hub/user/alice/', [['Authorization', `token ${opener}`]])).status).toBe(302);
  });

  it('an admin without adminAccess is refused by the proxy, the page and the OAuth authorize API alike', async () => {
    expect(await openAlice('http', [], root)).toBe(403);
    expect(await openAlice('websocket', [], root)).toBe(403);
    expect((await root.get('/hub/user/alice/')).status).toBe(403);
    const authorize = new URLSearchParams({ client_id: 'jupyterhub-user-alice', redirect_uri: '/user/alice/oauth_callback', response_type: 'code' });
    const refused = await root.get(`/hub/api/oauth2/authorize?${authorize.toString()}`);
    expect(refused.status).toBe(403);
    // alice herself is let through everywhere, the OAuth code included.
    expect((await alice.get(`/hub/api/oauth2/authorize?${authorize.toString()}`)).headers.get('location')).toMatch(/^\/user\/alice\/oauth_callback\?code=/);
    expect((await alice.get('/hub/user/alice/')).status).toBe(302);
  });

  it('the admin page links only to the servers its viewer may open', async () => {
    const page = await root.get('/hub/admin');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('href="/user/alice/"');
  });
});
