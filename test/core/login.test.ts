import { afterEach, describe, expect, it } from 'vitest';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { secretFrontProxy } from '../support/front-proxy.ts';
import { cleanupTempDirs } from '../support/temp.ts';

let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  cleanupTempDirs();
});

async function start(overrides: Parameters<typeof startTestHub>[0] = {}): Promise<TestHub> {
  hub = await startTestHub(overrides);
  return hub;
}

describe('login and logout with the dummy authenticator', () => {
  it('logs in through the form, shows who you are, and logs out server-side', async () => {
    const { baseUrl } = await start();
    const client = await loginWithForm(baseUrl, '  Alice ');
    const home = await client.get('/hub/home');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Welcome, alice');

    const stolen = client.cookie('gatehouse-session')?.value as string;
    const logout = await client.request('POST', '/hub/logout', { form: { _xsrf: xsrfFromPage(home.body) } });
    expect(logout.status).toBe(302);
    expect(logout.headers.get('location')).toBe('/hub/login');
    expect((await client.get('/hub/home')).status).toBe(302);

    // The old cookie, replayed by someone who copied it, is dead too: the session is gone server-side.
    const replay = new BrowserLikeClient(baseUrl);
    replay.setCookie('gatehouse-session', stolen, '/hub/');
    const replayed = await replay.get('/hub/home');
    expect(replayed.status).toBe(302);
    expect(replayed.headers.get('location')).toBe('/hub/login?next=%2Fhub%2Fhome');
  });

  it('sets session cookies HttpOnly, SameSite=Lax, path-scoped, not Secure on plain loopback HTTP', async () => {
    const { baseUrl } = await start();
    const client = await loginWithForm(baseUrl, 'alice');
    for (const [name, path] of [['gatehouse-session', '/hub/'], ['gatehouse-bind', '/'], ['gatehouse-user-session', '/user/']]) {
      const cookie = client.cookie(name as string);
      expect(cookie?.path).toBe(path);
      expect(cookie?.attributes['httponly']).toBe(true);
      expect(cookie?.attributes['samesite']).toBe('lax');
      expect(cookie?.attributes['secure']).toBeUndefined();
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it('sets Secure when a trusted proxy says the client used HTTPS, and ignores the claim from others', async () => {
    const proxy = secretFrontProxy();
    const { baseUrl } = await start({ frontProxy: proxy.config });
    const [secretName, secret] = proxy.header;
    const viaTls = await loginWithForm(baseUrl, 'alice', 'x', withHeaders(baseUrl, { 'x-forwarded-proto': 'https', [secretName]: secret }));
    expect(viaTls.cookie('gatehouse-session')?.attributes['secure']).toBe(true);
    const spoofed = await loginWithForm(baseUrl, 'bob', 'x', withHeaders(baseUrl, { 'x-forwarded-proto': 'https' }));
    expect(spoofed.cookie('gatehouse-session')?.attributes['secure']).toBeUndefined();
  });

  it('sets Secure always when cookieSecure is true', async () => {
    const { baseUrl } = await start({ cookieSecure: true });
    const page = await new BrowserLikeClient(baseUrl).get('/hub/login');
    expect(page.setCookies.join('\n')).toMatch(/gatehouse-xsrf=[^;]+;.*secure/i);
  });

  it('refuses a login POST without the XSRF token, or with a forged one', async () => {
    const { baseUrl } = await start();
    const client = new BrowserLikeClient(baseUrl);
    await client.get('/hub/login');
    const missing = await client.request('POST', '/hub/login', { form: { username: 'alice', password: 'x' } });
    expect(missing.status).toBe(403);
    expect(missing.body).toContain('GATEHOUSE_ERR_XSRF');
    const forged = await client.request('POST', '/hub/login', { form: { _xsrf: 'A'.repeat(43), username: 'alice', password: 'x' } });
    expect(forged.status).toBe(403);
    // A token from another browser does not fit this browser's nonce.
    const other = new BrowserLikeClient(baseUrl);
    const otherToken = xsrfFromPage((await other.get('/hub/login')).body);
    expect((await client.request('POST', '/hub/login', { form: { _xsrf: otherToken, username: 'alice', password: 'x' } })).status).toBe(403);
    expect(client.cookie('gatehouse-session')).toBeUndefined();
  });

  it('checks the shared password in constant time and refuses a wrong one', async () => {
    const { baseUrl } = await start({ authenticator: new DummyAuthenticator({ password: 'open sesame' }) });
    const client = new BrowserLikeClient(baseUrl);
    const page = await client.get('/hub/login');
    const wrong = await client.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username: 'alice', password: 'open sesam' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain('Invalid username or password');
    expect(client.cookie('gatehouse-session')).toBeUndefined();
    await loginWithForm(baseUrl, 'alice', 'open sesame', client);
  });

  it('validates usernames and applies allowed, blocked and admin lists', async () => {
    const { baseUrl, services } = await start({ allowedUsers: ['alice', 'bob'], blockedUsers: ['bob'], adminUsers: ['Carol'] });
    const attempt = async (username: string) => {
      const client = new BrowserLikeClient(baseUrl);
      const page = await client.get('/hub/login');
      return client.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username, password: 'x' } });
    };
    expect((await attempt('alice')).status).toBe(302);
    expect((await attempt('bob')).status).toBe(403);
    expect((await attempt('mallory')).status).toBe(403);
    expect((await attempt('carol')).status).toBe(302);
    expect(services.users.get('carol')?.admin).toBe(true);
    expect(services.users.get('alice')?.admin).toBe(false);
    for (const bad of ['../etc', 'a/b', 'x'.repeat(65), '<script>']) {
      const response = await attempt(bad);
      expect(response.status, bad).toBe(403);
      expect(response.body).not.toContain('<script>');
    }
  });

  it('never logs the password', async () => {
    const { baseUrl, logs } = await start();
    await loginWithForm(baseUrl, 'alice', 'hunter2-very-secret');
    expect(logs.text).toContain('"msg":"login"');
    expect(logs.text).not.toContain('hunter2-very-secret');
  });
});

describe('session expiry', () => {
  it('expires after the idle timeout, sliding with use', async () => {
    const testHub = await start({ session: { idleTimeout: 3600, maxAge: 86400 } });
    const client = await loginWithForm(testHub.baseUrl, 'alice');
    testHub.clock.advance(50 * 60 * 1000);
    expect((await client.get('/hub/home')).status).toBe(200); // used: the idle clock restarts
    testHub.clock.advance(50 * 60 * 1000);
    expect((await client.get('/hub/home')).status).toBe(200);
    testHub.clock.advance(61 * 60 * 1000);
    expect((await client.get('/hub/home')).status).toBe(302);
  });

  it('expires at the absolute maximum however active', async () => {
    const testHub = await start({ session: { idleTimeout: 3600, maxAge: 7200 } });
    const client = await loginWithForm(testHub.baseUrl, 'alice');
    for (let i = 0; i < 4; i++) {
      testHub.clock.advance(30 * 60 * 1000);
      expect((await client.get('/hub/home')).status).toBe(200);
    }
    testHub.clock.advance(60 * 1000);
    expect((await client.get('/hub/home')).status).toBe(302);
  });
});

describe('redirects after login stay on this hub', () => {
  const attacks = [
    '//evil.example',
    '/\\evil.example',
    '%2F%2Fevil.example',
    'https://evil.example',
    'http://evil.example/hub/home',
    'javascript:alert(1)',
    '/\t/evil.example',
    '/%09/evil.example',
    '\\\\evil.example',
    'https:evil.example',
    '',
  ];
  for (const next of attacks) {
    it(`next=${JSON.stringify(next)} lands on /hub/home`, async () => {
      const { baseUrl } = await start();
      const client = new BrowserLikeClient(baseUrl);
      const page = await client.get(`/hub/login?next=${encodeURIComponent(next)}`);
      const response = await client.request('POST', `/hub/login?next=${encodeURIComponent(next)}`, {
        form: { _xsrf: xsrfFromPage(page.body), username: 'alice', password: 'x' },
      });
      expect(response.status).toBe(302);
      const location = response.headers.get('location') as string;
      expect(new URL(location, baseUrl).origin).toBe(baseUrl);
      if (next !== '/%09/evil.example') expect(location).toBe('/hub/home');
      // Already logged in: GET /hub/login?next=… redirects at once, with the same rule.
      const again = await client.get(`/hub/login?next=${encodeURIComponent(next)}`);
      expect(new URL(again.headers.get('location') as string, baseUrl).origin).toBe(baseUrl);
    });
  }

  it('keeps a legitimate path with its query', async () => {
    const { baseUrl } = await start();
    const client = await loginWithForm(baseUrl, 'alice');
    const response = await client.get(`/hub/login?next=${encodeURIComponent('/user/alice/tree?x=1')}`);
    expect(response.headers.get('location')).toBe('/user/alice/tree?x=1');
  });
});

describe('errors and health', () => {
  it('answers JSON errors under /hub/api and HTML pages elsewhere', async () => {
    const { baseUrl } = await start();
    const anonymous = await new BrowserLikeClient(baseUrl).get('/hub/api/no-such-thing');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toEqual({ status: 401, code: 'GATEHOUSE_ERR_UNAUTHENTICATED', message: expect.any(String) });
    const client = await loginWithForm(baseUrl, 'alice');
    const api = await client.get('/hub/api/no-such-thing');
    expect(api.status).toBe(404);
    expect(api.json()).toEqual({ status: 404, code: 'GATEHOUSE_ERR_NOT_FOUND', message: expect.any(String) });
    const page = await client.get('/hub/no-such-page');
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('GATEHOUSE_ERR_NOT_FOUND');
  });

  it('reports health, and a 5xx never shows internals', async () => {
    const testHub = await start();
    const client = new BrowserLikeClient(testHub.baseUrl);
    expect((await client.get('/hub/health')).status).toBe(200);
    testHub.services.db.close(); // the database going away is a real internal failure
    const broken = await client.get('/hub/health');
    expect(broken.status).toBe(500);
    expect(broken.body).toContain('GATEHOUSE_ERR_INTERNAL');
    expect(broken.body).not.toMatch(/database connection|TypeError|at .*\.ts/i);
    expect(testHub.logs.text).toContain('request failed');
  });

  it('sends a strict Content-Security-Policy and frame protection on pages', async () => {
    const { baseUrl } = await start();
    const page = await new BrowserLikeClient(baseUrl).get('/hub/login');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('refuses to run the dummy authenticator on a non-loopback address unless allowed', async () => {
    await expect(startTestHub({ ip: '0.0.0.0' })).rejects.toThrow(/allowNonLoopback/);
    hub = await startTestHub({ ip: '0.0.0.0', authenticator: new DummyAuthenticator({ allowNonLoopback: true }) });
    expect(hub.logs.text).toContain('DummyAuthenticator');
  });
});

function withHeaders(baseUrl: string, headers: Record<string, string>): BrowserLikeClient {
  const client = new BrowserLikeClient(baseUrl);
  client.defaultHeaders = headers;
  return client;
}
