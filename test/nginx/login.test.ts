import { describe, expect, it } from 'vitest';
import { xsrfFromPage } from '../support/browser-like-client.ts';
import { RemoteUserAuthenticator } from '@gatehouse/authenticators';
import {
  ATTACKER_ADDRESS,
  basicAuth,
  demoHello,
  sameHeader,
  send,
  SERVER_TOKEN_SHOWN,
  SESSION_COOKIE,
  signIn,
  startsSession,
  withServer,
  useHubBehindNginx,
} from './helpers.ts';

// The whole path a person takes with the doc's nginx in front: basic auth at nginx, automatic
// login at the hub, their own server behind both, and logout to the front proxy's page.

/** The doc's logoutRedirectUrl: a page nginx serves itself. */
const LOGGED_OUT_URL = '/logged-out';
const PASSWORDS = { alice: 'alice-secret-1', bob: 'bob-secret-2', dave: 'dave-secret-3' };

const setup = useHubBehindNginx(0, { authenticator: new RemoteUserAuthenticator({ logoutRedirectUrl: LOGGED_OUT_URL }) }, { users: PASSWORDS });

describe('login through nginx with basic auth', () => {
  it('signs alice in: the hub believes the Remote-User that nginx sets from basic auth', async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    expect(browser.cookie(SESSION_COOKIE)?.path).toBe('/hub/');
    const home = await browser.get('/hub/home');
    expect(home.status).toBe(200);
    expect(home.body).toContain('You are signed in as <strong>alice</strong>');
    const whoami = await browser.get('/hub/api/user');
    expect(whoami.json<{ name: string }>().name).toBe('alice');
    expect(setup.hub.logs.text).toContain('"peerAddress":"unix socket"');
  });

  it('refuses a wrong password at nginx (401); the hub never hears of bob', async () => {
    const wrong = await send(`${setup.nginx.baseUrl}/hub/login`, { headers: [['Authorization', basicAuth('bob', 'not-his-password')]] });
    const none = await send(`${setup.nginx.baseUrl}/hub/login`);
    for (const response of [wrong, none]) {
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Basic realm="Gatehouse"');
      expect(startsSession(response.setCookies)).toBe(false);
    }
    expect(setup.hub.services.users.get('bob')).toBeUndefined();
    expect(setup.hub.logs.text).not.toContain('"username":"bob"');
  });
});

describe("alice's server through nginx", () => {
  it('receives neither Remote-User nor the password, nor the client\'s forwarding claims', async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    await withServer(setup.hub, browser, 'alice', async () => {
      const echo = await browser.get('/user/alice/api/headers', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
      expect(echo.status, echo.body).toBe(200);
      const received = echo.json<{ user: string; rawHeaders: string[]; headers: Record<string, string> }>();
      expect(received.user).toBe('alice');
      const names = received.rawHeaders.filter((_, index) => index % 2 === 0);
      expect(names.filter((name) => sameHeader(name, 'Remote-User'))).toEqual([]);
      // The basic-auth password stays at nginx; the server gets the hub's token for itself instead.
      expect(received.headers['authorization']).toBe(SERVER_TOKEN_SHOWN);
      expect(JSON.stringify(received)).not.toContain(PASSWORDS.alice);
      expect(JSON.stringify(received)).not.toContain(Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64'));
      // nginx overwrote the client's forwarding claims; on the unix socket nginx has no address to append.
      expect(received.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(received.headers['x-forwarded-proto']).toBe('http');
      expect(received.headers['x-forwarded-host']).toBe(new URL(setup.nginx.baseUrl).host);
    });
  });

  it("takes a browser's WebSocket (Origin = nginx's host:port) and uploads over nginx's 1 MB default", async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    await withServer(setup.hub, browser, 'alice', async () => {
      const hello = await demoHello(`${setup.nginx.baseUrl.replace(/^http/, 'ws')}/user/alice/ws`, {
        authorization: basicAuth('alice', PASSWORDS.alice),
        cookie: browser.cookieHeaderFor('/user/alice/ws'),
        origin: setup.nginx.baseUrl,
      });
      expect(hello.user).toBe('alice');
      expect(Object.keys(hello.headers).filter((name) => sameHeader(name, 'Remote-User'))).toEqual([]);
      expect(hello.headers['authorization']).toBe(SERVER_TOKEN_SHOWN);
      const upload = await browser.request('POST', '/user/alice/api/headers', { body: 'x'.repeat(3 * 1024 * 1024), headers: { 'content-type': 'text/plain' } });
      expect(upload.status).toBe(200);
    });
  });

  it("records alice's last activity from her traffic through nginx", async () => {
    const browser = await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    await withServer(setup.hub, browser, 'alice', async () => {
      expect((await browser.get('/user/alice/api/ping')).status).toBe(200);
    });
    // The proxied request was noted in memory; this is the write the hub's 5 s timer makes.
    expect(() => setup.hub.services.activity.flush()).not.toThrow();
    expect(setup.hub.services.users.get('alice')?.lastActivity).toEqual(expect.any(String));
  });
});

describe('API tokens', () => {
  it("work straight to the hub from any address: nginx's Authorization is basic auth, not a token", async () => {
    await signIn(setup.nginx, 'alice', PASSWORDS.alice);
    const alice = setup.hub.services.users.get('alice');
    if (alice === undefined) throw new Error('alice was not recorded');
    const { token } = setup.hub.services.tokens.mint({ userId: alice.id, kind: 'api', scopes: ['inherit'] });
    const whoami = await send(`${setup.hub.baseUrl}/hub/api/user`, { localAddress: ATTACKER_ADDRESS, headers: [['Authorization', `token ${token}`]] });
    expect(whoami.status, whoami.body).toBe(200);
    expect(JSON.parse(whoami.body)).toMatchObject({ name: 'alice' });
  });
});

describe('logout through nginx', () => {
  it("ends dave's session and sends the browser to the configured logoutRedirectUrl", async () => {
    const browser = await signIn(setup.nginx, 'dave', PASSWORDS.dave);
    const session = browser.cookie(SESSION_COOKIE)?.value as string;
    // GET asks (JupyterHub's link); the page's button posts with XSRF.
    const asked = await browser.get('/hub/logout');
    expect(asked.status).toBe(200);
    expect(browser.cookie(SESSION_COOKIE)?.value).toBe(session);
    const logout = await browser.request('POST', '/hub/logout', { form: { _xsrf: xsrfFromPage(asked.body) } });
    expect(logout.status).toBe(302);
    expect(logout.headers.get('location')).toBe(LOGGED_OUT_URL);
    expect(logout.setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=;`))).toBe(true);
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    // The old session is gone on the hub too, not just in this browser's jar.
    browser.setCookie(SESSION_COOKIE, session, '/hub/');
    const home = await browser.get('/hub/home');
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toMatch(/^\/hub\/login/);
    // nginx's own page, reachable without credentials.
    const page = await send(`${setup.nginx.baseUrl}${LOGGED_OUT_URL}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('You are signed out of Gatehouse');
  });
});
