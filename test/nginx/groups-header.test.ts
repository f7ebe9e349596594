import { describe, expect, it } from 'vitest';
import { RemoteUserAuthenticator } from '@gatehouse/authenticators';
import { basicAuth, enableGroupsHeader, send, signIn, startsSession, useHubBehindNginx, withServer } from './helpers.ts';

// The doc's nginx with its "groups header" blocks on: nginx names the user in Remote-User and their
// groups in Remote-Groups (alice: staff,lab; carol: lab; bob: none). The hub believes the groups
// header exactly like Remote-User, makes them the user's memberships at login, lets only `lab`
// members in (allowedGroups) and makes `staff` members admins (adminGroups).

const PASSWORDS = { alice: 'alice-secret-1', bob: 'bob-secret-2', carol: 'carol-secret-3' };

const setup = useHubBehindNginx(
  5,
  {
    authenticator: new RemoteUserAuthenticator({ groupsHeader: 'Remote-Groups' }),
    allowedGroups: ['lab'],
    adminGroups: ['staff'],
  },
  { users: PASSWORDS, edit: enableGroupsHeader },
);

function groupsOf(name: string): string[] {
  const user = setup.hub.services.users.get(name);
  return user === undefined ? [] : setup.hub.services.groups.namesOf(user.id);
}

describe('groups from the front proxy', () => {
  it('signs alice in as an admin (staff) and records her groups; carol as a user (lab)', async () => {
    const alice = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    const aliceModel = (await alice.get('/hub/api/users/alice')).json<{ admin: boolean; groups: string[] }>();
    expect(aliceModel).toMatchObject({ admin: true, groups: ['lab', 'staff'] });
    await signIn(setup.nginx, 'carol', PASSWORDS.carol);
    expect(setup.hub.services.users.get('carol')?.admin).toBe(false);
    expect(groupsOf('carol')).toEqual(['lab']);
  });

  it('refuses bob, in no allowed group, with a clear message', async () => {
    const login = await send(`${setup.nginx.baseUrl}/hub/login`, { headers: [['Authorization', basicAuth('bob', PASSWORDS.bob)]] });
    expect(login.status).toBe(403);
    expect(login.body).toContain('not in a group allowed to use the hub');
    expect(startsSession(login.setCookies)).toBe(false);
    expect(setup.hub.services.users.get('bob')).toBeUndefined();
  });

  it("ignores a client's own Remote-Groups: nginx replaces carol's, and sends none for bob", async () => {
    const carol = await send(`${setup.nginx.baseUrl}/hub/login`, {
      headers: [['Authorization', basicAuth('carol', PASSWORDS.carol)], ['Remote-Groups', 'staff,lab']],
    });
    expect(carol.status, carol.body).toBe(302);
    expect(setup.hub.services.users.get('carol')?.admin).toBe(false);
    expect(groupsOf('carol')).toEqual(['lab']);
    const bob = await send(`${setup.nginx.baseUrl}/hub/login`, { headers: [['Authorization', basicAuth('bob', PASSWORDS.bob)], ['Remote-Groups', 'lab']] });
    expect(bob.status).toBe(403);
    expect(setup.hub.services.users.get('bob')).toBeUndefined();
  });

  it('believes neither header from a client that reaches the hub over TCP', async () => {
    const direct = await send(`${setup.hub.baseUrl}/hub/login`, { headers: [['Remote-User', 'mallory'], ['Remote-Groups', 'lab,staff']] });
    expect(direct.status).toBe(401);
    expect(startsSession(direct.setCookies)).toBe(false);
    expect(setup.hub.services.users.get('mallory')).toBeUndefined();
    expect(setup.hub.services.groups.get('staff')).toBeDefined(); // from alice's login, not from this request
    expect(groupsOf('mallory')).toEqual([]);
  });

  it('syncs at each login: groups the proxy no longer names are left', async () => {
    const carol = setup.hub.services.users.get('carol');
    if (carol === undefined) throw new Error('carol signed in above');
    const staff = setup.hub.services.groups.get('staff');
    setup.hub.services.groups.addMembers(staff?.id as number, [carol.id]);
    expect(groupsOf('carol')).toEqual(['lab', 'staff']);
    await signIn(setup.nginx, 'carol', PASSWORDS.carol);
    expect(groupsOf('carol')).toEqual(['lab']);
  });

  it("strips Remote-Groups from what reaches alice's server", async () => {
    const alice = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    await withServer(setup.hub, alice, 'alice', async () => {
      const echo = await alice.get('/user/alice/api/headers');
      expect(echo.status, echo.body).toBe(200);
      const names = echo.json<{ rawHeaders: string[] }>().rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
      expect(names).not.toContain('remote-groups');
      expect(names).not.toContain('remote-user');
    });
  });
});
