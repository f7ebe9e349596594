import { describe, expect, it } from 'vitest';
import { loginWithForm } from '../support/login.ts';
import { api, ensureUser, expectApiError, tokenFor, useApiHub, xsrfHeader } from './helpers.ts';

/** A token never holds more than its owner, nor more than the token that made it; demotion bites at once. */

const env = useApiHub(['alice', 'bob']);

async function mint(owner: string, creatorToken: string, body: Record<string, unknown>) {
  return api(env.hub.baseUrl, 'POST', `/users/${owner}/tokens`, { token: creatorToken, json: body });
}

async function mintOk(owner: string, creatorToken: string, body: Record<string, unknown>): Promise<{ token: string; scopes: string[] }> {
  const response = await mint(owner, creatorToken, body);
  expect(response.status, response.text).toBe(201);
  return response.json<{ token: string; scopes: string[] }>();
}

const status = async (method: string, route: string, token: string, json?: unknown) =>
  (await api(env.hub.baseUrl, method, route, { token, ...(json === undefined ? {} : { json }) })).status;

describe('a token minted with more scopes than its owner', () => {
  it.each([
    ['admin:users'],
    ['read:users'],
    ['read:users!user=bob'],
    ['admin:servers!server=bob/'],
    ['access:servers'],
    ['tokens!user=bob'],
    ['users:activity!user=ALICE'],
    ['read:users!group=x'],
  ])('is refused for a normal user: %s', async (scope) => {
    const response = await mint('alice', env.token('alice'), { scopes: ['read:users!user=alice', scope] });
    expectApiError(response, 403, 'GATEHOUSE_ERR_FORBIDDEN');
    expect(response.json<{ message: string }>().message).toContain(scope);
  });

  it('is refused when an admin mints it for a normal user', async () => {
    const browser = await loginWithForm(env.hub.baseUrl, 'admin');
    const response = await browser.request('POST', '/hub/api/users/alice/tokens', { json: { scopes: ['admin:users'] }, headers: await xsrfHeader(browser) });
    expectApiError(response, 403, 'GATEHOUSE_ERR_FORBIDDEN');
  });

  it.each([['nonsense'], ['read:users!role=x'], ['read:users!user='], ['admin:servers!server=alice'], ['read:users!user=a!user=b']])(
    'is refused as malformed: %s',
    async (scope) => {
      expectApiError(await mint('alice', env.token('alice'), { scopes: [scope] }), 400, 'GATEHOUSE_ERR_BAD_REQUEST');
    },
  );

  it('is granted within bounds, and then can do exactly that', async () => {
    const { token, scopes } = await mintOk('alice', env.token('alice'), { scopes: ['read:users!user=alice'] });
    expect(scopes).toEqual(['read:users!user=alice']);
    expect(await status('GET', '/users/alice', token)).toBe(200);
    expect(await status('GET', '/users/bob', token)).toBe(403);
    expect(await status('POST', '/users/alice/server', token)).toBe(403);
    expect(await status('GET', '/users/alice/tokens', token)).toBe(403);
    expect(await status('POST', '/users/alice/activity', token, {})).toBe(403);
  });
});

describe('a token minted by a narrowed token', () => {
  const narrowScopes = ['tokens!user=alice', 'read:users!user=alice'];

  it('inherits the narrowed scopes, never the owner’s', async () => {
    const narrowed = await mintOk('alice', env.token('alice'), { scopes: narrowScopes });
    const child = await mintOk('alice', narrowed.token, { scopes: ['inherit'] });
    expect(child.scopes.sort()).toEqual([...narrowScopes].sort());
    expect(await status('GET', '/users/alice', child.token)).toBe(200);
    expect(await status('POST', '/users/alice/server', child.token)).toBe(403);
    expect(await status('POST', '/users/alice/activity', child.token, {})).toBe(403);
    const grandchild = await mintOk('alice', child.token, {});
    expect(grandchild.scopes.sort()).toEqual([...narrowScopes].sort());
  });

  it.each([['self'], ['admin:servers!user=alice'], ['users:activity!user=alice']])('cannot ask for %s', async (scope) => {
    const narrowed = await mintOk('alice', env.token('alice'), { scopes: narrowScopes });
    expectApiError(await mint('alice', narrowed.token, { scopes: [scope] }), 403, 'GATEHOUSE_ERR_FORBIDDEN');
  });

  it("cannot turn an admin's narrowed token back into an admin token", async () => {
    const narrowed = await mintOk('admin', env.token('admin'), { scopes: ['tokens!user=admin', 'read:users!user=alice'] });
    expectApiError(await mint('admin', narrowed.token, { scopes: ['admin:users'] }), 403);
    const child = await mintOk('admin', narrowed.token, { scopes: ['inherit'] });
    expect(await status('GET', '/users/bob', child.token)).toBe(403);
    expect(await status('POST', '/users', child.token, { usernames: ['sneaky'] })).toBe(403);
    expect(env.hub.services.users.get('sneaky')).toBeUndefined();
  });

  it('cannot mint for another user when it only holds tokens for its own', async () => {
    expectApiError(await mint('bob', env.token('alice'), {}), 403);
  });
});

describe('an admin minting for another user', () => {
  it("gives the new token the owner's scopes, not the admin's (inherit through a session)", async () => {
    const browser = await loginWithForm(env.hub.baseUrl, 'admin');
    const response = await browser.request('POST', '/hub/api/users/alice/tokens', { json: {}, headers: await xsrfHeader(browser) });
    expect(response.status, response.body).toBe(201);
    const token = response.json<{ token: string }>().token;
    expect(await status('GET', '/users/alice', token)).toBe(200);
    expect(await status('GET', '/users/bob', token)).toBe(403);
  });

  it('can do the same with an API token (POST /users/alice/tokens with an inherit token)', async () => {
    // JupyterHub scripts provision tokens for users this way; `inherit` must mean the owner's scopes.
    const response = await mint('alice', env.token('admin'), {});
    expect(response.status, response.text).toBe(201);
    const token = response.json<{ token: string }>().token;
    expect(await status('GET', '/users/alice', token)).toBe(200);
    expect(await status('GET', '/users/bob', token)).toBe(403);
  });
});

describe('demoting an admin', () => {
  it('narrows their existing tokens and session at once, and promoting restores them', async () => {
    ensureUser(env.hub, 'dana', true);
    const inherit = tokenFor(env.hub, 'dana');
    const explicit = tokenFor(env.hub, 'dana', ['admin:users', 'read:users']);
    const browser = await loginWithForm(env.hub.baseUrl, 'dana');
    expect(await status('GET', '/users/bob', inherit)).toBe(200);
    expect(await status('GET', '/users/bob', explicit)).toBe(200);
    expect((await browser.get('/hub/api/users/bob')).status).toBe(200);

    expect(await status('PATCH', '/users/dana', env.token('admin'), { admin: false })).toBe(200);

    expect(await status('GET', '/users/bob', inherit)).toBe(403);
    expect(await status('GET', '/users/bob', explicit)).toBe(403);
    expect(await status('PATCH', '/users/bob', explicit, { admin: true })).toBe(403);
    expect(await status('POST', '/users', inherit, { usernames: ['by-demoted'] })).toBe(403);
    expect((await browser.get('/hub/api/users/bob')).status).toBe(403);
    expect(await status('GET', '/users/dana', inherit)).toBe(200);
    const listed = await api(env.hub.baseUrl, 'GET', '/users', { token: inherit });
    expect(listed.json<Array<{ name: string }>>().map((user) => user.name)).toEqual(['dana']);
    const self = await api(env.hub.baseUrl, 'GET', '/user', { token: explicit });
    expect(self.json<{ scopes: string[] }>().scopes).toEqual([]);

    expect(await status('PATCH', '/users/dana', env.token('admin'), { admin: true })).toBe(200);
    expect(await status('GET', '/users/bob', explicit)).toBe(200);
  });
});
