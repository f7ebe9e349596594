import { describe, expect, it } from 'vitest';
import { loginWithForm } from '../support/login.ts';
import { api, expectApiError, tokenFor, useApiHub, xsrfHeader } from './helpers.ts';

/** JupyterHub's models and pagination, the error shape on bad input, and XSRF for cookie callers. */

const PAGINATION = { accept: 'application/jupyterhub-pagination+json' };
const NAMES = ['admin', 'alice', 'bob', 'carol', 'dave', 'erin'];

const env = useApiHub(NAMES.slice(1));

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('the user model', () => {
  it("has JupyterHub's fields for a user without a server", async () => {
    const response = await api(env.hub.baseUrl, 'GET', '/users/alice', { token: env.token('alice') });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const user = response.json();
    expect(user).toMatchObject({ kind: 'user', name: 'alice', admin: false, groups: [], server: null, pending: null, servers: {} });
    expect(user['created']).toMatch(ISO);
    expect(user).toHaveProperty('last_activity');
  });

  it('is what POST /users and POST /users/:name answer with (201)', async () => {
    const byList = await api(env.hub.baseUrl, 'POST', '/users', { token: env.token('admin'), json: { usernames: ['Frank', 'grace', 'frank'], admin: false } });
    expect(byList.status, byList.text).toBe(201);
    expect(byList.json<Array<{ name: string; kind: string }>>().map((user) => [user.kind, user.name])).toEqual([
      ['user', 'frank'],
      ['user', 'grace'],
    ]);
    const byName = await api(env.hub.baseUrl, 'POST', '/users/heidi', { token: env.token('admin'), json: { admin: true } });
    expect(byName.status, byName.text).toBe(201);
    expect(byName.json()).toMatchObject({ kind: 'user', name: 'heidi', admin: true, servers: {} });
    expectApiError(await api(env.hub.baseUrl, 'POST', '/users/heidi', { token: env.token('admin'), json: {} }), 409, 'GATEHOUSE_ERR_USER_EXISTS');
    expectApiError(await api(env.hub.baseUrl, 'POST', '/users', { token: env.token('admin'), json: { usernames: ['grace'] } }), 409, 'GATEHOUSE_ERR_USER_EXISTS');
    for (const name of ['frank', 'grace', 'heidi']) expect((await api(env.hub.baseUrl, 'DELETE', `/users/${name}`, { token: env.token('admin') })).status).toBe(204);
  });

  it('reflects PATCH {admin} at once', async () => {
    const patched = await api(env.hub.baseUrl, 'PATCH', '/users/bob', { token: env.token('admin'), json: { admin: true } });
    expect(patched.json()).toMatchObject({ name: 'bob', admin: true });
    expect((await api(env.hub.baseUrl, 'PATCH', '/users/bob', { token: env.token('admin'), json: { admin: false } })).json()['admin']).toBe(false);
  });

  it('has the token model, never with the token itself after creation', async () => {
    const created = await api(env.hub.baseUrl, 'POST', '/users/alice/tokens', { token: env.token('alice'), json: { note: 'model', expires_in: 3600 } });
    expect(created.status).toBe(201);
    const model = created.json<Record<string, unknown>>();
    expect(model).toMatchObject({ kind: 'api_token', user: 'alice', note: 'model', last_activity: null, session_id: null });
    // Made with a token that holds all of alice's scopes, `inherit` stays `inherit` (alice's own scopes);
    // a narrower creating token would have its scopes written out instead.
    expect(model['scopes']).toEqual(['inherit']);
    expect(model['token']).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(model['expires_at'] as string) - Date.parse(model['created'] as string)).toBe(3600_000);
    const listed = await api(env.hub.baseUrl, 'GET', '/users/alice/tokens', { token: env.token('alice') });
    expect(listed.text).not.toContain(model['token'] as string);
    const fetched = await api(env.hub.baseUrl, 'GET', `/users/alice/tokens/${model['id'] as string}`, { token: env.token('alice') });
    expect(fetched.json()).not.toHaveProperty('token');
    expect(fetched.json()['id']).toBe(model['id']);
  });
});

describe('GET /hub/api/users', () => {
  it('lists every user for an admin, as a plain array without the pagination type', async () => {
    const response = await api(env.hub.baseUrl, 'GET', '/users', { token: env.token('admin') });
    const names = response.json<Array<{ name: string }>>().map((user) => user.name);
    expect(names.sort()).toEqual([...NAMES].sort());
  });

  it('pages with offset/limit and the jupyterhub-pagination+json envelope', async () => {
    const seen: string[] = [];
    let route: string | null = '/users?limit=2';
    let pages = 0;
    while (route !== null) {
      const response = await api(env.hub.baseUrl, 'GET', route.replace(/^\/hub\/api/, ''), { token: env.token('admin'), headers: PAGINATION });
      expect(response.status, response.text).toBe(200);
      const body = response.json<{ items: Array<{ name: string }>; _pagination: { offset: number; limit: number; total: number; next: { url: string } | null } }>();
      expect(body._pagination.total).toBe(NAMES.length);
      expect(body._pagination.limit).toBe(2);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((user) => user.name));
      route = body._pagination.next?.url ?? null;
      pages += 1;
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...NAMES].sort());
  });

  it('shows a normal user only themselves', async () => {
    const response = await api(env.hub.baseUrl, 'GET', '/users', { token: env.token('alice'), headers: PAGINATION });
    const body = response.json<{ items: Array<{ name: string }>; _pagination: { total: number } }>();
    expect(body.items.map((user) => user.name)).toEqual(['alice']);
    expect(body._pagination.total).toBe(1);
  });

  it('shows a token narrowed to read:users!user=alice exactly alice', async () => {
    const narrow = tokenFor(env.hub, 'admin', ['read:users!user=alice']);
    const response = await api(env.hub.baseUrl, 'GET', '/users', { token: narrow });
    expect(response.status).toBe(200);
    expect(response.json<Array<{ name: string }>>().map((user) => user.name)).toEqual(['alice']);
  });

  it.each(['offset=-1', 'offset=x', 'limit=0', 'limit=1.5', 'limit=abc', 'offset=1e300'])('refuses %s with a 400', async (query) => {
    expectApiError(await api(env.hub.baseUrl, 'GET', `/users?${query}`, { token: env.token('admin') }), 400, 'GATEHOUSE_ERR_BAD_REQUEST');
  });
});

describe('bad input', () => {
  const cases: Array<[string, string, string, { json?: unknown; body?: string; contentType?: string }, number]> = [
    ['malformed JSON', 'POST', '/users', { body: '{"usernames": [' }, 400],
    ['a JSON array', 'POST', '/users', { json: ['x'] }, 400],
    ['a JSON string', 'PATCH', '/users/bob', { json: 'admin' }, 400],
    ['usernames not a list', 'POST', '/users', { json: { usernames: 'x' } }, 400],
    ['an empty usernames list', 'POST', '/users', { json: { usernames: [] } }, 400],
    ['a username that is not a string', 'POST', '/users', { json: { usernames: [{ name: 'x' }] } }, 400],
    ['an invalid username', 'POST', '/users/bad%20name', { json: {} }, 400],
    ['admin not a boolean', 'PATCH', '/users/bob', { json: { admin: 'yes' } }, 400],
    ['an unknown PATCH field', 'PATCH', '/users/bob', { json: { name: 'mallory' } }, 400],
    ['a PATCH of the servers', 'PATCH', '/users/bob', { json: { admin: true, servers: {} } }, 400],
    ['a negative expires_in', 'POST', '/users/admin/tokens', { json: { expires_in: -5 } }, 400],
    ['a string expires_in', 'POST', '/users/admin/tokens', { json: { expires_in: '60' } }, 400],
    ['a fractional expires_in', 'POST', '/users/admin/tokens', { json: { expires_in: 1.5 } }, 400],
    ['an expires_in past the end of time', 'POST', '/users/admin/tokens', { json: { expires_in: 1e20 } }, 400],
    ['scopes not a list', 'POST', '/users/admin/tokens', { json: { scopes: 'read:users' } }, 400],
    ['a note that is not a string', 'POST', '/users/admin/tokens', { json: { note: 5 } }, 400],
    ['a note over 1000 characters', 'POST', '/users/admin/tokens', { json: { note: 'n'.repeat(1001) } }, 400],
    ['a bad activity timestamp', 'POST', '/users/bob/activity', { json: { last_activity: 'yesterday' } }, 400],
    ['servers in activity not an object', 'POST', '/users/bob/activity', { json: { servers: 5 } }, 400],
    ['a malformed token id', 'GET', '/users/admin/tokens/123', {}, 404],
    ['a form body', 'POST', '/users', { body: 'usernames=x', contentType: 'application/x-www-form-urlencoded' }, 415],
    ['a body over 64 KiB', 'POST', '/users', { json: { usernames: ['x'], pad: 'p'.repeat(70_000) } }, 413],
  ];

  it.each(cases)('answers %s with a clean error', async (_what, method, route, options, expected) => {
    const response = await api(env.hub.baseUrl, method, route, { token: env.token('admin'), ...options });
    expectApiError(response, expected);
    expect(env.hub.services.users.get('mallory')).toBeUndefined();
    expect(env.hub.services.users.get('x')).toBeUndefined();
    expect(env.hub.services.users.get('bob')?.admin).toBe(false);
  });
});

describe('cookie-authenticated changes', () => {
  it.each([
    ['POST', '/hub/api/users/alice/tokens', { note: 'via cookie' }, 201],
    ['POST', '/hub/api/users/alice/activity', { last_activity: new Date().toISOString() }, 200],
  ] as const)('%s %s needs X-XSRFToken', async (method, route, json, okStatus) => {
    const browser = await loginWithForm(env.hub.baseUrl, 'alice');
    expectApiError(await browser.request(method, route, { json }), 403, 'GATEHOUSE_ERR_XSRF');
    expectApiError(await browser.request(method, route, { json, headers: { 'X-XSRFToken': 'forged' } }), 403, 'GATEHOUSE_ERR_XSRF');
    const response = await browser.request(method, route, { json, headers: await xsrfHeader(browser) });
    expect(response.status, response.body).toBe(okStatus);
  });

  it("DELETE needs it too, and another browser's XSRF token does not do", async () => {
    const browser = await loginWithForm(env.hub.baseUrl, 'alice');
    const other = await loginWithForm(env.hub.baseUrl, 'alice');
    const victim = tokenFor(env.hub, 'alice');
    const id = (await api(env.hub.baseUrl, 'GET', '/user', { token: victim })).json()['token_id'] as string;
    expectApiError(await browser.request('DELETE', `/hub/api/users/alice/tokens/${id}`), 403, 'GATEHOUSE_ERR_XSRF');
    expectApiError(await browser.request('DELETE', `/hub/api/users/alice/tokens/${id}`, { headers: await xsrfHeader(other) }), 403, 'GATEHOUSE_ERR_XSRF');
    expect((await api(env.hub.baseUrl, 'GET', '/users/alice', { token: victim })).status).toBe(200);
    expect((await browser.request('DELETE', `/hub/api/users/alice/tokens/${id}`, { headers: await xsrfHeader(browser) })).status).toBe(204);
    expectApiError(await api(env.hub.baseUrl, 'GET', '/users/alice', { token: victim }), 401);
  });

  it('reads need no XSRF token', async () => {
    const browser = await loginWithForm(env.hub.baseUrl, 'alice');
    expect((await browser.get('/hub/api/users/alice/tokens')).status).toBe(200);
  });
});
