import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataRemoteUserAuthenticator } from '@gatehouse/authenticators';
import {
  ATTACKER_ADDRESS,
  enableDataHeaders,
  sameHeader,
  send,
  signIn,
  withServer,
  xsrfOf,
  useHubBehindNginx,
} from './helpers.ts';

// The doc's optional data-header blocks switched on: nginx maps the basic-auth user to a JSON list
// of groups and sends it as X-User-Groups; the hub stores it when the user POSTs /hub/data.

const PASSWORDS = { alice: 'alice-secret-1', bob: 'bob-secret-2' };
/** dataUsernameFor('alice'): base32 of the normalised name, lower case, no padding. */
const ALICE = 'mfwgsy3f';
const BOB = 'mjxwe';
const DATA_HEADER = 'X-User-Groups';

const setup = useHubBehindNginx(
  3,
  { authenticator: new DataRemoteUserAuthenticator({ dataHeaders: [DATA_HEADER], environment: { [DATA_HEADER]: 'USER_GROUPS' } }) },
  { users: PASSWORDS, edit: enableDataHeaders },
);

function storedData(name: string): Record<string, unknown> | undefined {
  const user = setup.hub.services.users.get(name);
  if (user === undefined) throw new Error(`no user ${name}`);
  return setup.hub.services.users.getUserData(user.id);
}

describe('DataRemoteUserAuthenticator behind nginx', () => {
  it('signs alice in under the base32 form of her name', async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    const home = await browser.get('/hub/home');
    expect(home.body).toContain(`You are signed in as <strong>${ALICE}</strong>`);
    expect(setup.hub.services.users.get('alice')).toBeUndefined();
  });

  it("stores the groups nginx sends on POST /hub/data; the client's own copies never count", async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    const xsrf = await xsrfOf(browser);
    const posted = await browser.request('POST', '/hub/data', {
      headers: { 'x-xsrftoken': xsrf, 'x-user-groups': '["admin"]', x_user_groups: '["root"]' },
    });
    expect(posted.status, posted.body).toBe(200);
    expect(posted.json()).toEqual({ stored: [DATA_HEADER] });
    expect(storedData(ALICE)).toEqual({ [DATA_HEADER]: ['staff'] });
  });

  it("stores the map's default for a user it does not list", async () => {
    const browser = await signIn(setup.nginx, 'bob', PASSWORDS.bob);
    const posted = await browser.request('POST', '/hub/data', { headers: { 'x-xsrftoken': await xsrfOf(browser) } });
    expect(posted.status, posted.body).toBe(200);
    expect(storedData(BOB)).toEqual({ [DATA_HEADER]: [] });
  });

  it("refuses data posted straight to the hub with alice's session, and data without XSRF", async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    const xsrf = await xsrfOf(browser);
    const before = storedData(ALICE);
    const direct = await send(`${setup.hub.baseUrl}/hub/data`, {
      method: 'POST',
      localAddress: ATTACKER_ADDRESS,
      headers: [['Cookie', browser.cookieHeaderFor('/hub/data')], ['X-XSRFToken', xsrf], [DATA_HEADER, '["admin"]']],
    });
    expect(direct.status, direct.body).toBe(403);
    expect(JSON.parse(direct.body)).toMatchObject({ code: 'GATEHOUSE_ERR_FORBIDDEN' });
    const noXsrf = await browser.request('POST', '/hub/data');
    expect(noXsrf.status).toBe(403);
    expect(storedData(ALICE)).toEqual(before);
  });

  it("gives alice's server USER_GROUPS, but never the header nginx sends with every request", async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    expect((await browser.request('POST', '/hub/data', { headers: { 'x-xsrftoken': await xsrfOf(browser) } })).status).toBe(200);
    await withServer(setup.hub, browser, ALICE, async (pid) => {
      const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(environment).toContain('USER_GROUPS=["staff"]');
      const echo = await browser.get(`/user/${ALICE}/api/headers`);
      expect(echo.status, echo.body).toBe(200);
      const names = echo.json<{ rawHeaders: string[] }>().rawHeaders.filter((_, index) => index % 2 === 0);
      expect(names.filter((name) => sameHeader(name, DATA_HEADER) || sameHeader(name, 'Remote-User'))).toEqual([]);
    });
  });
});
