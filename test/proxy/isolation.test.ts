import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient, type ClientResponse } from '../support/browser-like-client.ts';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import {
  finishFile,
  mintToken,
  openWebSocket,
  portBlock,
  rawHttp,
  sessionCookieOf,
  startProxyHub,
  startServer,
  wsUrl,
  xsrfOf,
  type EchoedRequest,
  type HeaderLine,
  type RawResponse,
} from './helpers.ts';

// Bob (and anyone else) must never reach alice's server; every attempt is compared with a
// control that succeeds, so a refusal for the wrong reason would show.

let hub: TestHub;
let alice: BrowserLikeClient;
let bob: BrowserLikeClient;
let bobSession: string;

beforeAll(async () => {
  hub = await startProxyHub(portBlock(1));
  alice = await loginWithForm(hub.baseUrl, 'alice');
  bob = await loginWithForm(hub.baseUrl, 'bob');
  bobSession = sessionCookieOf(bob);
  await Promise.all([startServer(hub, 'alice'), startServer(hub, 'bob')]);
});

afterAll(async () => finishFile(hub));

const ALICE_ECHO = '/user/alice/api/headers';

function get(target: string, lines: readonly HeaderLine[]): Promise<RawResponse> {
  return rawHttp(hub.baseUrl, 'GET', target, lines);
}

/** A response that came from alice's server, as alice's server reports it. */
function servedFor(response: RawResponse): string | undefined {
  if (response.status !== 200) return undefined;
  return response.json<EchoedRequest>().user;
}

function expectRefusal(response: RawResponse, status: number, code: string): void {
  expect(response.status, response.body).toBe(status);
  expect(response.json<{ code: string }>().code).toBe(code);
}

/** Bob's API token, made the way he would make it: through the REST API with his cookie and XSRF token. */
async function bobTokenViaApi(body: Record<string, unknown> = {}): Promise<{ status: number; token: string; id: string }> {
  const response = await bob.request('POST', '/hub/api/users/bob/tokens', { json: body, headers: { 'X-XSRFToken': await xsrfOf(bob) } });
  const created = response.status === 201 ? response.json<{ token: string; id: string }>() : { token: '', id: '' };
  return { status: response.status, ...created };
}

describe('controls', () => {
  it("alice reaches her server and bob reaches his, each with their own session", async () => {
    expect(servedFor(await get(ALICE_ECHO, [['Cookie', `gatehouse-user-session=${sessionCookieOf(alice)}`]]))).toBe('alice');
    expect(servedFor(await get('/user/bob/api/headers', [['Cookie', `gatehouse-user-session=${bobSession}`]]))).toBe('bob');
  });
});

describe("bob's credentials on alice's server", () => {
  it('refuses his session cookie, for GET and POST, in JSON and HTML', async () => {
    const cookie: HeaderLine = ['Cookie', `gatehouse-user-session=${bobSession}`];
    expectRefusal(await get(ALICE_ECHO, [cookie]), 403, 'GATEHOUSE_ERR_FORBIDDEN');
    expectRefusal(await rawHttp(hub.baseUrl, 'POST', ALICE_ECHO, [cookie], '{}'), 403, 'GATEHOUSE_ERR_FORBIDDEN');
    const page = await get('/user/alice/', [cookie, ['Accept', 'text/html']]);
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it.each(['token', 'Bearer', 'bearer', 'TOKEN'])('refuses his API token sent as "%s <token>"', async (scheme) => {
    const { token } = mintToken(hub, 'bob');
    expect(servedFor(await get('/user/bob/api/headers', [['Authorization', `${scheme} ${token}`]]))).toBe('bob');
    expectRefusal(await get(ALICE_ECHO, [['Authorization', `${scheme} ${token}`]]), 403, 'GATEHOUSE_ERR_FORBIDDEN');
  });

  it('refuses a token bob created through the API', async () => {
    const { status, token } = await bobTokenViaApi({ note: 'mine' });
    expect(status).toBe(201);
    expect(servedFor(await get('/user/bob/api/headers', [['Authorization', `token ${token}`]]))).toBe('bob');
    expectRefusal(await get(ALICE_ECHO, [['Authorization', `token ${token}`]]), 403, 'GATEHOUSE_ERR_FORBIDDEN');
  });

  it("does not let bob mint a token scoped to alice's server", async () => {
    expect((await bobTokenViaApi({ scopes: ['access:servers!server=alice/'] })).status).toBe(403);
    expect((await bobTokenViaApi({ scopes: ['access:servers'] })).status).toBe(403);
  });

  it('ignores scopes beyond its owner in a token put straight into the store', async () => {
    const { token } = mintToken(hub, 'bob', { scopes: ['access:servers', 'access:servers!server=alice/'] });
    expectRefusal(await get(ALICE_ECHO, [['Authorization', `token ${token}`]]), 403, 'GATEHOUSE_ERR_FORBIDDEN');
  });

  it("refuses bob's cookie and token on a WebSocket to alice's server", async () => {
    const { token } = mintToken(hub, 'bob');
    const own = await openWebSocket(wsUrl(hub.baseUrl, '/user/bob/ws'), { Cookie: `gatehouse-user-session=${bobSession}` });
    own.socket?.close();
    expect(own.hello?.user).toBe('bob');
    expect((await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'), { Cookie: `gatehouse-user-session=${bobSession}` })).status).toBe(403);
    expect((await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'), { Authorization: `token ${token}` })).status).toBe(403);
    expect((await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'), { Authorization: `Bearer ${token}` })).status).toBe(403);
  });
});

describe("alice's name spelt otherwise, sent raw with bob's cookie", () => {
  const cookie = (): HeaderLine => ['Cookie', `gatehouse-user-session=${bobSession}`];

  it.each([
    ['/user/%61lice/api/headers', 403],
    ['/user/%61%6C%69%63%65/api/headers', 403],
    ['/user/ALICE/api/headers', 404],
    ['/user/Alice/api/headers', 404],
    ['/user/%EF%BD%81lice/api/headers', 404],
    ['/user/alice%00/api/headers', 404],
    ['/user/bob%2F..%2Falice/api/headers', 404],
    ['/user/./alice/api/headers', 404],
    ['/user/../user/alice/api/headers', 404],
    ['//user/alice/api/headers', 404],
    ['/%75ser/alice/api/headers', 404],
    ['/hub/../user/alice/api/headers', 404],
  ])('%s is refused by the hub (%i)', async (target, status) => {
    const response = await get(target, [cookie()]);
    expect(response.status, response.body).toBe(status);
    expect(response.body).not.toContain('"user":"alice"');
  });

  it.each([
    '/user/bob/../alice/api/headers',
    '/user/bob/%2E%2E/alice/api/headers',
    '/user/bob/..%2Falice/api/headers',
    '/user/bob/./../alice/api/headers',
  ])("%s goes to bob's own server, never alice's", async (target) => {
    const response = await get(target, [cookie()]);
    expect(response.status).toBe(404);
    expect(response.body).toBe('Not found\n'); // the demo app's own 404: it was bob's server that answered
  });

  it('does not route an absolute-form request target to a user server', async () => {
    const response = await get(`${hub.baseUrl}${ALICE_ECHO}`, [['Cookie', `gatehouse-user-session=${sessionCookieOf(alice)}`]]);
    expect(response.status).toBe(404);
  });
});

describe('credentials that are not (or no longer) valid', () => {
  it.each([
    ['garbage', 'gatehouse-user-session=garbage'],
    ['empty', 'gatehouse-user-session='],
    ['missing (only the /hub/ cookie sent)', 'gatehouse-session=whatever'],
    ['a guessed 43-character id', `gatehouse-user-session=${'A'.repeat(43)}`],
  ])('sends a browser whose session cookie is %s to the login page', async (_label, cookie) => {
    const response = await get(ALICE_ECHO, [['Cookie', cookie]]);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`/hub/login?next=${encodeURIComponent(ALICE_ECHO)}`);
  });

  it('refuses garbage tokens in every spelling', async () => {
    for (const value of ['token nonsense-nonsense-nonsense', 'Bearer ', 'token', `token ${'x'.repeat(600)}`, 'Basic YWxpY2U6cHc=']) {
      expect((await get(ALICE_ECHO, [['Authorization', value]])).status, value).toBe(302);
    }
  });

  it("refuses alice's session after she logs out", async () => {
    const client = await loginWithForm(hub.baseUrl, 'alice');
    const session = sessionCookieOf(client);
    expect(servedFor(await get(ALICE_ECHO, [['Cookie', `gatehouse-user-session=${session}`]]))).toBe('alice');
    const logout = await client.request('POST', '/hub/logout', { form: { _xsrf: await xsrfOf(client) } });
    expect(logout.status).toBe(302);
    expect((await get(ALICE_ECHO, [['Cookie', `gatehouse-user-session=${session}`]])).status).toBe(302);
  });

  it("refuses alice's token once revoked through the API", async () => {
    const created = await alice.request('POST', '/hub/api/users/alice/tokens', { json: {}, headers: { 'X-XSRFToken': await xsrfOf(alice) } });
    expect(created.status).toBe(201);
    const { token, id } = created.json<{ token: string; id: string }>();
    expect(servedFor(await get(ALICE_ECHO, [['Authorization', `token ${token}`]]))).toBe('alice');
    const revoked = await alice.request('DELETE', `/hub/api/users/alice/tokens/${id}`, { headers: { 'X-XSRFToken': await xsrfOf(alice) } });
    expect(revoked.status).toBe(204);
    expect((await get(ALICE_ECHO, [['Authorization', `token ${token}`]])).status).toBe(302);
    expectRefusal(await rawHttp(hub.baseUrl, 'POST', ALICE_ECHO, [['Authorization', `Bearer ${token}`]], '{}'), 401, 'GATEHOUSE_ERR_UNAUTHENTICATED');
  });

  it("refuses alice's token once it has expired", async () => {
    const { token } = mintToken(hub, 'alice', { expiresInSeconds: 60 });
    expect(servedFor(await get(ALICE_ECHO, [['Authorization', `token ${token}`]]))).toBe('alice');
    hub.clock.advance(61_000);
    expect((await get(ALICE_ECHO, [['Authorization', `token ${token}`]])).status).toBe(302);
    expect((await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'), { Authorization: `token ${token}` })).status).toBe(401);
  });

  it("does not let an invalid token ride on someone else's valid cookie into alice's server", async () => {
    const response = await get(ALICE_ECHO, [['Authorization', 'token not-a-real-token-at-all'], ['Cookie', `gatehouse-user-session=${bobSession}`]]);
    expectRefusal(response, 403, 'GATEHOUSE_ERR_FORBIDDEN');
  });
});

describe('no credentials at all', () => {
  it('redirects a GET to the login page with the full path, and login brings the browser back', async () => {
    const target = '/user/alice/api/headers?x=1&next=%2Fhub%2Fadmin';
    const response = await get(target, []);
    expect(response.status).toBe(302);
    const location = response.headers.get('location') ?? '';
    expect(location).toBe(`/hub/login?next=${encodeURIComponent(target)}`);
    const client = await loginWithForm(hub.baseUrl, 'alice');
    const page = await client.get(location);
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(target);
    const landed = await client.get(target);
    expect(landed.json<EchoedRequest>()).toMatchObject({ user: 'alice', url: target });
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 401', async (method) => {
    expectRefusal(await rawHttp(hub.baseUrl, method, ALICE_ECHO, [], '{}'), 401, 'GATEHOUSE_ERR_UNAUTHENTICATED');
  });

  it('refuses a WebSocket with 401', async () => {
    expect((await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'))).status).toBe(401);
  });
});

/** Follows redirects like a browser (at most five); returns the last response and every Location seen. */
async function follow(client: BrowserLikeClient, target: string): Promise<{ response: ClientResponse; hops: string[] }> {
  const hops: string[] = [];
  let response = await client.get(target);
  while (response.status === 302 && hops.length < 5) {
    const location = response.headers.get('location') ?? '';
    hops.push(location);
    response = await client.get(location);
  }
  return { response, hops };
}

describe('hub tokens in the URL (?token=)', () => {
  it("take bob's browser no further than his own server", async () => {
    const { token } = mintToken(hub, 'bob');
    const { response, hops } = await follow(new BrowserLikeClient(hub.baseUrl), `${ALICE_ECHO}?token=${token}`);
    expect(response.status).toBe(403);
    expect(hops.at(-1)).toBe(ALICE_ECHO);
  });

  it('are taken out of the URL before the request reaches the user server', async () => {
    const { token } = mintToken(hub, 'alice');
    const { response, hops } = await follow(new BrowserLikeClient(hub.baseUrl), `${ALICE_ECHO}?x=1&token=${token}&y=2`);
    expect(response.status, hops.join(' → ')).toBe(200);
    expect(response.json<EchoedRequest>()).toMatchObject({ user: 'alice', url: `${ALICE_ECHO}?x=1&y=2` });
  });

  it("leave a token that is not the hub's (the server's own) in the URL it forwards", async () => {
    const target = `${ALICE_ECHO}?token=the-notebook-servers-own-token`;
    const response = await get(target, [['Cookie', `gatehouse-user-session=${sessionCookieOf(alice)}`]]);
    expect(response.status).toBe(200);
    expect(response.json<EchoedRequest>().url).toBe(target);
  });
});
