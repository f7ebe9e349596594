import { beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { api, ensureUser, expectApiError, tokenFor, useApiHub, xsrfHeader } from './helpers.ts';

/**
 * Who may call which endpoint: anonymous callers, a user on themselves and on someone else, an
 * admin, and an admin's token narrowed to reading alice. Nothing here starts a server.
 */

const fixture = useApiHub(['alice', 'bob']);
let hub: TestHub;
let tokens: Record<string, string>;
let aliceTokenId: string;

beforeAll(async () => {
  ({ hub, tokens } = fixture);
  tokens['narrow'] = tokenFor(hub, 'admin', ['read:users!user=alice']);
  const listed = await api(hub.baseUrl, 'GET', '/users/alice/tokens', { token: tokens['alice'] });
  aliceTokenId = listed.json<{ api_tokens: Array<{ id: string }> }>().api_tokens[0]?.id ?? '';
  expect(aliceTokenId).toMatch(/^a\d+$/);
});

type Caller = 'anonymous' | 'alice' | 'bob' | 'admin' | 'narrow';
interface Endpoint {
  readonly method: string;
  readonly route: string;
  readonly json?: unknown;
  /** Expected status per caller; a caller left out is not tried (it would change state for the others). */
  readonly expect: Partial<Record<Caller, number>>;
}

// Creations use a fresh name per caller so that one caller's success does not turn another's into a 409.
const ENDPOINTS: Endpoint[] = [
  { method: 'GET', route: '/users/alice', expect: { anonymous: 401, alice: 200, bob: 403, admin: 200, narrow: 200 } },
  { method: 'GET', route: '/users/bob', expect: { anonymous: 401, alice: 403, bob: 200, admin: 200, narrow: 403 } },
  { method: 'PATCH', route: '/users/alice', json: { admin: true }, expect: { anonymous: 401, alice: 403, bob: 403, narrow: 403 } },
  { method: 'DELETE', route: '/users/bob', expect: { anonymous: 401, alice: 403, narrow: 403 } },
  { method: 'POST', route: '/users', json: { usernames: ['made-by-list'] }, expect: { anonymous: 401, alice: 403, bob: 403, narrow: 403, admin: 201 } },
  { method: 'POST', route: '/users/made-by-name', json: {}, expect: { anonymous: 401, alice: 403, bob: 403, narrow: 403, admin: 201 } },
  { method: 'POST', route: '/users/alice/server', expect: { anonymous: 401, bob: 403, narrow: 403 } },
  { method: 'DELETE', route: '/users/alice/server', expect: { anonymous: 401, bob: 403, narrow: 403 } },
  { method: 'GET', route: '/users/alice/server/progress', expect: { anonymous: 401, alice: 200, bob: 403, admin: 200, narrow: 200 } },
  { method: 'GET', route: '/users/alice/tokens', expect: { anonymous: 401, alice: 200, bob: 403, admin: 200, narrow: 403 } },
  { method: 'POST', route: '/users/alice/tokens', json: { note: 'matrix' }, expect: { anonymous: 401, alice: 201, bob: 403, narrow: 403 } },
  { method: 'GET', route: '/users/alice/tokens/{id}', expect: { anonymous: 401, alice: 200, bob: 403, admin: 200, narrow: 403 } },
  { method: 'DELETE', route: '/users/alice/tokens/{id}', expect: { anonymous: 401, bob: 403, narrow: 403 } },
  { method: 'POST', route: '/users/alice/activity', json: { last_activity: new Date().toISOString() }, expect: { anonymous: 401, alice: 200, bob: 403, admin: 200, narrow: 403 } },
];

const CASES = ENDPOINTS.flatMap((endpoint) =>
  (Object.entries(endpoint.expect) as Array<[Caller, number]>).map(([caller, status]) => ({ ...endpoint, caller, status })),
);

describe('the endpoint matrix', () => {
  it.each(CASES)('$method $route as $caller → $status', async ({ method, route, json, caller, status }) => {
    const response = await api(hub.baseUrl, method, route.replace('{id}', aliceTokenId), {
      ...(caller === 'anonymous' ? {} : { token: tokens[caller] }),
      ...(json === undefined ? {} : { json }),
    });
    if (status >= 400) {
      expectApiError(response, status, status === 401 ? 'GATEHOUSE_ERR_UNAUTHENTICATED' : 'GATEHOUSE_ERR_FORBIDDEN');
      return;
    }
    expect(response.status, response.text).toBe(status);
  });

  it('leaves state alone when a call is refused: nobody was promoted, deleted or started', async () => {
    const alice = await api(hub.baseUrl, 'GET', '/users/alice', { token: tokens['admin'] });
    expect(alice.json()).toMatchObject({ name: 'alice', admin: false, servers: {}, pending: null });
    expect((await api(hub.baseUrl, 'GET', '/users/bob', { token: tokens['admin'] })).status).toBe(200);
    expect(hub.services.servers.state('alice')).toBe('stopped');
  });

  it('answers GET /hub/api/ (the version) to anyone', async () => {
    const response = await api(hub.baseUrl, 'GET', '/');
    expect(response.status).toBe(200);
    expect(response.json()['version']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says 401 to anonymous callers of unknown endpoints and 404 to known ones', async () => {
    expectApiError(await api(hub.baseUrl, 'GET', '/no-such-thing'), 401, 'GATEHOUSE_ERR_UNAUTHENTICATED');
    expectApiError(await api(hub.baseUrl, 'GET', '/no-such-thing', { token: tokens['alice'] }), 404, 'GATEHOUSE_ERR_NOT_FOUND');
    expectApiError(await api(hub.baseUrl, 'GET', '/users/nobody', { token: tokens['admin'] }), 404, 'GATEHOUSE_ERR_USER_NOT_FOUND');
  });
});

describe('GET /hub/api/user (who am I)', () => {
  it('gives 403, not 401, without a valid token, as jupyterhub-singleuser requires', async () => {
    expectApiError(await api(hub.baseUrl, 'GET', '/user'), 403, 'GATEHOUSE_ERR_FORBIDDEN');
    expectApiError(await api(hub.baseUrl, 'GET', '/user', { token: 'gh_not-a-real-token-at-all-000000' }), 403);
  });

  it("names the token's owner, its scopes and its id", async () => {
    const response = await api(hub.baseUrl, 'GET', '/user', { token: tokens['alice'] });
    expect(response.status).toBe(200);
    const body = response.json<{ name: string; admin: boolean; kind: string; scopes: string[]; token_id: string }>();
    expect(body).toMatchObject({ kind: 'user', name: 'alice', admin: false, token_id: aliceTokenId });
    expect(body.scopes).toEqual(expect.arrayContaining(['read:users!user=alice', 'tokens!user=alice']));
    expect(body.scopes.some((scope) => !scope.endsWith('!user=alice'))).toBe(false);
  });

  it('tells a narrowed token its owner without the parts of the model it may not read', async () => {
    const body = (await api(hub.baseUrl, 'GET', '/user', { token: tokens['narrow'] })).json();
    expect(body).toMatchObject({ name: 'admin', scopes: ['read:users!user=alice'] });
    expect(body).not.toHaveProperty('servers');
    expect(body).not.toHaveProperty('last_activity');
  });
});

describe('how a token is presented', () => {
  it.each(['token', 'Bearer', 'bearer', 'TOKEN'])('accepts `Authorization: %s <token>`', async (scheme) => {
    const response = await api(hub.baseUrl, 'GET', '/users/alice', { token: tokens['alice'], scheme });
    expect(response.status, response.text).toBe(200);
  });

  it.each(['Basic', 'Digest', ''])('refuses the scheme %j', async (scheme) => {
    expectApiError(await api(hub.baseUrl, 'GET', '/users/alice', { token: tokens['alice'], scheme }), 401);
  });

  it('does not take a token from the query string of an API call', async () => {
    const response = await api(hub.baseUrl, 'GET', `/users/alice?token=${tokens['alice']}`);
    expectApiError(response, 401);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('does not let a valid session cookie rescue an invalid token', async () => {
    const client = await loginWithForm(hub.baseUrl, 'alice');
    expect((await client.get('/hub/api/users/alice')).status).toBe(200);
    const response = await client.get('/hub/api/users/alice', { authorization: 'token gh_forged-token-000000000000000000000' });
    expectApiError(response, 401, 'GATEHOUSE_ERR_UNAUTHENTICATED');
  });

  it('does not accept a user session cookie for another user even with XSRF', async () => {
    const client = await loginWithForm(hub.baseUrl, 'bob');
    const response = await client.request('PATCH', '/hub/api/users/bob', { json: { admin: true }, headers: await xsrfHeader(client) });
    expectApiError(response, 403, 'GATEHOUSE_ERR_FORBIDDEN');
    expect(hub.services.users.get('bob')?.admin).toBe(false);
  });
});

describe('DELETE /hub/api/users/:name', () => {
  it("ends the deleted user's tokens and sessions at once", async () => {
    ensureUser(hub, 'carl');
    const token = tokenFor(hub, 'carl');
    const browser = await loginWithForm(hub.baseUrl, 'carl');
    expect((await browser.get('/hub/api/user')).status).toBe(200);
    expect((await api(hub.baseUrl, 'DELETE', '/users/carl', { token: tokens['admin'] })).status).toBe(204);
    expectApiError(await api(hub.baseUrl, 'GET', '/users/carl', { token }), 401);
    expectApiError(await browser.get('/hub/api/user'), 403);
    expectApiError(await api(hub.baseUrl, 'GET', '/users/carl', { token: tokens['admin'] }), 404, 'GATEHOUSE_ERR_USER_NOT_FOUND');
  });

  it('refuses to let an admin delete themselves', async () => {
    expectApiError(await api(hub.baseUrl, 'DELETE', '/users/admin', { token: tokens['admin'] }), 400, 'GATEHOUSE_ERR_BAD_REQUEST');
    expect(hub.services.users.get('admin')).toBeDefined();
  });
});
