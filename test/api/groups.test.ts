import { describe, expect, it } from 'vitest';
import { loginWithForm } from '../support/login.ts';
import { api, closeApiHub, expectApiError, startApiHub, tokenFor, tryFormLogin, useApiHub, xsrfHeader } from './helpers.ts';

// JupyterHub's groups API against a real hub: round trips, the group and user models, the
// read:groups / admin:groups scopes with their !group= filters, and allowedGroups / adminGroups at login.

const env = useApiHub(['alice', 'bob', 'carol']);

const call = (method: string, route: string, token: string, json?: unknown) =>
  api(env.hub.baseUrl, method, route, { token, ...(json === undefined ? {} : { json }) });

describe('groups API round trips (admin token)', () => {
  it('creates, reads, lists, changes members and deletes a group, in JupyterHub shapes', async () => {
    const admin = env.token('admin');
    const created = await call('POST', '/groups/lab', admin, { users: ['alice'] });
    expect(created.status, created.text).toBe(201);
    expect(created.json()).toEqual({ kind: 'group', name: 'lab', users: ['alice'], roles: [], properties: {} });
    expectApiError(await call('POST', '/groups/lab', admin), 409, 'GATEHOUSE_ERR_GROUP_EXISTS');

    const added = await call('POST', '/groups/lab/users', admin, { users: ['bob', 'alice'] });
    expect(added.status, added.text).toBe(200);
    expect(added.json<{ users: string[] }>().users).toEqual(['alice', 'bob']);
    expect((await call('GET', '/users/bob', admin)).json<{ groups: string[] }>().groups).toEqual(['lab']);

    const removed = await call('DELETE', '/groups/lab/users', admin, { users: ['alice'] });
    expect(removed.json<{ users: string[] }>().users).toEqual(['bob']);
    expect((await call('GET', '/groups/lab', admin)).json<{ users: string[] }>().users).toEqual(['bob']);

    const several = await call('POST', '/groups', admin, { groups: ['x1', 'x2'] });
    expect(several.status, several.text).toBe(201);
    expect(several.json<Array<{ name: string }>>().map((group) => group.name)).toEqual(['x1', 'x2']);
    const listed = await api(env.hub.baseUrl, 'GET', '/groups?limit=2', { token: admin, headers: { accept: 'application/jupyterhub-pagination+json' } });
    const page = listed.json<{ items: Array<{ name: string }>; _pagination: { total: number; next: { offset: number } | null } }>();
    expect(page.items.map((group) => group.name)).toEqual(['lab', 'x1']);
    expect(page._pagination).toMatchObject({ total: 3, next: { offset: 2 } });

    expect((await call('DELETE', '/groups/x1', admin)).status).toBe(204);
    expect((await call('DELETE', '/groups/x2', admin)).status).toBe(204);
    expectApiError(await call('GET', '/groups/x1', admin), 404, 'GATEHOUSE_ERR_GROUP_NOT_FOUND');
  });

  it('refuses unknown users and bad names, naming them', async () => {
    const admin = env.token('admin');
    const unknown = await call('POST', '/groups/lab/users', admin, { users: ['nobody-here'] });
    expectApiError(unknown, 400, 'GATEHOUSE_ERR_BAD_REQUEST');
    expect(unknown.json<{ message: string }>().message).toContain('nobody-here');
    expectApiError(await call('POST', '/groups/a%2Cb', admin), 400, 'GATEHOUSE_ERR_INVALID_GROUP_NAME');
    expectApiError(await call('POST', '/groups/lab/users', admin, {}), 400, 'GATEHOUSE_ERR_BAD_REQUEST');
  });

  it('drops memberships when a user is deleted', async () => {
    const admin = env.token('admin');
    await call('POST', '/users/temp-member', admin, {});
    await call('POST', '/groups/lab/users', admin, { users: ['temp-member'] });
    expect((await call('DELETE', '/users/temp-member', admin)).status).toBe(204);
    expect((await call('GET', '/groups/lab', admin)).json<{ users: string[] }>().users).not.toContain('temp-member');
  });
});

describe('group scopes', () => {
  it('refuses a normal user everything about groups; a browser session of an admin needs XSRF', async () => {
    const alice = env.token('alice');
    expectApiError(await call('GET', '/groups/lab', alice), 403, 'GATEHOUSE_ERR_FORBIDDEN');
    expectApiError(await call('POST', '/groups/mine', alice), 403, 'GATEHOUSE_ERR_FORBIDDEN');
    expectApiError(await call('POST', '/groups/lab/users', alice, { users: ['alice'] }), 403, 'GATEHOUSE_ERR_FORBIDDEN');
    expect((await call('GET', '/groups', alice)).json()).toEqual([]);
    const browser = await loginWithForm(env.hub.baseUrl, 'admin');
    expect((await browser.request('POST', '/hub/api/groups/by-browser', { json: {} })).status).toBe(403);
    expect((await browser.request('POST', '/hub/api/groups/by-browser', { json: {}, headers: await xsrfHeader(browser) })).status).toBe(201);
  });

  it('read:groups!group=lab reads that group only; admin:groups!group=lab changes only it', async () => {
    await call('POST', '/groups/other', env.token('admin'));
    const reader = tokenFor(env.hub, 'admin', ['read:groups!group=lab']);
    expect((await call('GET', '/groups/lab', reader)).status).toBe(200);
    expectApiError(await call('GET', '/groups/other', reader), 403);
    expect((await call('GET', '/groups', reader)).json<Array<{ name: string }>>().map((group) => group.name)).toEqual(['lab']);
    expectApiError(await call('POST', '/groups/lab/users', reader, { users: ['carol'] }), 403);

    const manager = tokenFor(env.hub, 'admin', ['admin:groups!group=lab']);
    expect((await call('POST', '/groups/lab/users', manager, { users: ['carol'] })).status).toBe(200);
    expectApiError(await call('POST', '/groups/other/users', manager, { users: ['carol'] }), 403);
    expectApiError(await call('DELETE', '/groups/other', manager), 403);
  });

  it('read:users!group=lab reads the members of lab, and no one else', async () => {
    const token = tokenFor(env.hub, 'admin', ['read:users!group=lab']);
    const members = (await call('GET', '/groups/lab', env.token('admin'))).json<{ users: string[] }>().users;
    expect(members).toEqual(['bob', 'carol']);
    expect((await call('GET', '/users/bob', token)).status).toBe(200);
    expectApiError(await call('GET', '/users/alice', token), 403);
    expect((await call('GET', '/users', token)).json<Array<{ name: string }>>().map((user) => user.name)).toEqual(['bob', 'carol']);
  });

  it('a token cannot be minted with group scopes its owner lacks', async () => {
    const response = await call('POST', '/users/alice/tokens', env.token('alice'), { scopes: ['read:groups!group=lab'] });
    expectApiError(response, 403, 'GATEHOUSE_ERR_FORBIDDEN');
  });
});

describe('allowedGroups and adminGroups at login', () => {
  it('lets in only members of an allowed group, and makes members of an admin group admins', async () => {
    const hub = await startApiHub({ allowedGroups: ['lab'], adminGroups: ['staff'] });
    try {
      const admin = tokenFor(hub, 'admin');
      for (const name of ['dora', 'erin', 'finn']) await api(hub.baseUrl, 'POST', `/users/${name}`, { token: admin, json: {} });
      await api(hub.baseUrl, 'POST', '/groups/lab', { token: admin, json: { users: ['dora'] } });
      await api(hub.baseUrl, 'POST', '/groups/staff', { token: admin, json: { users: ['erin'] } });

      const dora = await tryFormLogin(hub.baseUrl, 'dora', 'any password');
      expect(dora.response.status, dora.response.body).toBe(302);
      expect(hub.services.users.get('dora')?.admin).toBe(false);

      const erin = await tryFormLogin(hub.baseUrl, 'erin', 'any password');
      expect(erin.response.status, erin.response.body).toBe(302);
      expect(hub.services.users.get('erin')?.admin).toBe(true);

      const finn = await tryFormLogin(hub.baseUrl, 'finn', 'any password');
      expect(finn.response.status).toBe(403);
      expect(finn.response.body).toContain('not in a group allowed to use the hub');
      const stranger = await tryFormLogin(hub.baseUrl, 'stranger', 'any password');
      expect(stranger.response.status).toBe(403);
      expect(hub.services.users.get('stranger')).toBeUndefined();

      // Added to lab by an admin, finn gets in at the next try.
      await api(hub.baseUrl, 'POST', '/groups/lab/users', { token: admin, json: { users: ['finn'] } });
      expect((await tryFormLogin(hub.baseUrl, 'finn', 'any password')).response.status).toBe(302);
    } finally {
      await closeApiHub(hub);
    }
  });
});
