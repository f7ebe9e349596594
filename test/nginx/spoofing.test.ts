import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canSwitchUser, requestAsNobody } from '../support/other-user.ts';
import { RemoteUserAuthenticator } from '@gatehouse/authenticators';
import {
  ATTACKER_ADDRESS,
  basicAuth,
  browserVia,
  cookiesFrom,
  NGINX_USER,
  replaceOnce,
  send,
  startNginx,
  startsSession,
  type HeaderLine,
  type SentResponse,
  useHubBehindNginx,
} from './helpers.ts';

// Who may say "I am admin"? Only nginx, through the hub's front-proxy socket, after checking a
// password. Everything else that claims an identity — over TCP from any loopback address, as another
// OS user, or smuggled through nginx — gets no session.

const ALICE_PASSWORD = 'alice-secret-1';

const setup = useHubBehindNginx(1, { authenticator: new RemoteUserAuthenticator() }, { users: { alice: ALICE_PASSWORD } });

/** GET /hub/login straight to the hub, skipping nginx, from `localAddress`. */
function loginDirect(localAddress: string, headers: readonly HeaderLine[]): Promise<SentResponse> {
  return send(`${setup.hub.baseUrl}/hub/login`, { localAddress, headers });
}

/** Who the hub thinks a session is (via nginx as alice), or the status when it is nobody. */
async function whoIsSession(setCookies: readonly string[]): Promise<string | number> {
  const headers: HeaderLine[] = [['Authorization', basicAuth('alice', ALICE_PASSWORD)], ['Cookie', cookiesFrom(setCookies)]];
  const response = await send(`${setup.nginx.baseUrl}/hub/api/user`, { headers });
  return response.status === 200 ? (JSON.parse(response.body) as { name: string }).name : response.status;
}

const DIRECT_SPOOFS: Array<[string, HeaderLine[]]> = [
  ['Remote-User: admin', [['Remote-User', 'admin']]],
  ['remote-user: admin', [['remote-user', 'admin']]],
  ['REMOTE-USER: admin', [['REMOTE-USER', 'admin']]],
  ['Remote_User: admin', [['Remote_User', 'admin']]],
  ['two copies of Remote-User: admin', [['Remote-User', 'admin'], ['Remote-User', 'admin']]],
  ['an empty Remote-User', [['Remote-User', '']]],
];

// 127.0.0.2 is the proxy_bind address the README used to advise; 127.0.0.1 the old default trust.
describe.each([ATTACKER_ADDRESS, '127.0.0.1', '127.0.0.3'])('straight to the hub over TCP from %s, skipping nginx', (address) => {
  it.each(DIRECT_SPOOFS)('%s yields no session', async (_case, headers) => {
    const login = await loginDirect(address, headers);
    expect(login.status, login.body).toBe(401);
    expect(startsSession(login.setCookies)).toBe(false);
    const home = await send(`${setup.hub.baseUrl}/hub/home`, { localAddress: address, headers: [['Cookie', cookiesFrom(login.setCookies)], ...headers] });
    expect(home.status).toBe(302);
    expect(home.headers.location).toMatch(/^\/hub\/login/);
    expect(setup.hub.services.users.get('admin')).toBeUndefined();
  });
});

/** GET /hub/login through the front-proxy socket, as nginx connects. */
function loginThroughSocket(headers: readonly HeaderLine[]): Promise<SentResponse> {
  return send(`http://localhost/hub/login`, { socketPath: setup.socketPath, headers });
}

describe("the control: through the hub's front-proxy socket the same header is believed", () => {
  it('signs in whoever Remote-User names, so the refusals above are about the connection', async () => {
    const login = await loginThroughSocket([['Remote-User', 'control-user']]);
    expect(login.status, login.body).toBe(302);
    expect(startsSession(login.setCookies)).toBe(true);
    expect(setup.hub.services.users.get('control-user')).toBeDefined();
  });
});

const SMUGGLED: Array<[string, HeaderLine[]]> = [
  ['Remote_User: admin', [['Remote_User', 'admin']]],
  ['a second Remote-User: admin', [['Remote-User', 'admin']]],
  ['remote-user and REMOTE-USER: admin', [['remote-user', 'admin'], ['REMOTE-USER', 'admin']]],
  ['Remote-User twice and Remote_User', [['Remote-User', 'admin'], ['Remote-User', 'admin'], ['Remote_User', 'admin']]],
];

describe('through nginx, signed in to nginx as alice', () => {
  it.each(SMUGGLED)('%s from the client: the hub signs in alice, never admin', async (_case, smuggled) => {
    const login = await send(`${setup.nginx.baseUrl}/hub/login`, { headers: [['Authorization', basicAuth('alice', ALICE_PASSWORD)], ...smuggled] });
    expect(login.status, login.body).toBe(302);
    expect(startsSession(login.setCookies)).toBe(true);
    expect(await whoIsSession(login.setCookies)).toBe('alice');
    expect(setup.hub.services.users.get('admin')).toBeUndefined();
  });

  it('drops Remote_User at nginx (underscores_in_headers off), as its error log says', async () => {
    await send(`${setup.nginx.baseUrl}/hub/login`, { headers: [['Authorization', basicAuth('alice', ALICE_PASSWORD)], ['Remote_User', 'admin-underscore']] });
    expect(setup.nginx.errorLog()).toContain('client sent invalid header line: "Remote_User: admin-underscore"');
  });

  it('without basic auth, a client Remote-User: admin gets only 401 from nginx', async () => {
    const login = await send(`${setup.nginx.baseUrl}/hub/login`, { headers: [['Remote-User', 'admin']] });
    expect(login.status).toBe(401);
    expect(login.headers['server']).toMatch(/^nginx/);
    expect(startsSession(login.setCookies)).toBe(false);
  });

  it("overwrites a client's X-Forwarded-Proto: https, so cookies over plain http are not Secure", async () => {
    const viaNginx = await send(`${setup.nginx.baseUrl}/hub/login`, { headers: [['Authorization', basicAuth('alice', ALICE_PASSWORD)], ['X-Forwarded-Proto', 'https']] });
    expect(startsSession(viaNginx.setCookies)).toBe(true);
    expect(viaNginx.setCookies.filter((line) => /;\s*secure/i.test(line))).toEqual([]);
    // Control: the hub does believe X-Forwarded-Proto from nginx's address.
    const fromProxy = await loginThroughSocket([['Remote-User', 'control-user'], ['X-Forwarded-Proto', 'https']]);
    expect(fromProxy.setCookies.filter((line) => /;\s*secure/i.test(line))).not.toEqual([]);
  });
});

describe('nginx configured differently from the doc', () => {
  it('with underscores_in_headers on, Remote_User reaches the hub, which refuses the login (400)', async () => {
    const loose = await startNginx({ hub: setup, users: { alice: ALICE_PASSWORD }, edit: (conf) => replaceOnce(conf, 'underscores_in_headers off;', 'underscores_in_headers on;') });
    try {
      const login = await send(`${loose.baseUrl}/hub/login`, { headers: [['Authorization', basicAuth('alice', ALICE_PASSWORD)], ['Remote_User', 'admin']] });
      expect(login.status, login.body).toBe(400);
      expect(login.body).toContain('The Remote-User header was sent more than once.');
      expect(startsSession(login.setCookies)).toBe(false);
    } finally {
      await loose.stop();
    }
  });

  // PRODUCT BUG (packages/hub/src/http/identity.ts, identify()): any Authorization header, even
  // `Basic …` which carries no hub token, makes /hub/ requests anonymous despite a valid session.
  it("keeps alice signed in when nginx forwards her Basic credentials (nginx's default)", async () => {
    const forwarding = await startNginx({ hub: setup, users: { alice: ALICE_PASSWORD }, edit: (conf) => replaceOnce(conf, 'proxy_set_header Authorization "";', '') });
    try {
      const browser = browserVia(forwarding, 'alice', ALICE_PASSWORD);
      const login = await browser.get('/hub/login');
      expect(login.status).toBe(302);
      expect(startsSession(login.setCookies)).toBe(true);
      // JupyterHub reads only `token`/`bearer` from Authorization and otherwise uses the cookie,
      // as this hub's own /user/ proxy does (proxy/access.ts); /hub/home must not loop to /hub/login.
      const home = await browser.get('/hub/home');
      expect(home.status, `redirected to ${home.headers.get('location')}`).toBe(200);
      expect((await browser.get('/hub/api/user')).status).toBe(200);
    } finally {
      await forwarding.stop();
    }
  });
});

describe('another OS user on the same machine (nobody)', () => {
  it.skipIf(!canSwitchUser)('gets no session over TCP with Remote-User: admin, from any loopback address', async () => {
    for (const localAddress of [ATTACKER_ADDRESS, '127.0.0.1', '127.0.0.254']) {
      const answer = await requestAsNobody({ url: `${setup.hub.baseUrl}/hub/login`, localAddress, headers: [['Remote-User', 'admin']] });
      expect(answer, localAddress).toMatchObject({ status: 401 });
      expect('setCookies' in answer && startsSession(answer.setCookies)).toBe(false);
    }
    expect(setup.hub.services.users.get('admin')).toBeUndefined();
  });

  it.skipIf(!canSwitchUser)('cannot open the front-proxy socket at all', async () => {
    const answer = await requestAsNobody({ url: 'http://localhost/hub/login', socketPath: setup.socketPath, headers: [['Remote-User', 'admin']] });
    expect(answer).toEqual({ error: 'EACCES' });
    expect(setup.hub.services.users.get('admin')).toBeUndefined();
  });

  it.skipIf(!canSwitchUser)("leaves the socket 0660 with nginx's group, in a 0750 directory of that group", () => {
    const socket = lstatSync(setup.socketPath);
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o660);
    const dir = statSync(path.dirname(setup.socketPath));
    expect(dir.mode & 0o777).toBe(0o750);
    expect(socket.gid).toBe(dir.gid);
    expect(NGINX_USER).toBe('www-data');
  });
});
