import { describe, expect, it } from 'vitest';
import { launchPath } from '../../packages/hub/src/launch.ts';
import { BrowserLikeClient } from '../support/browser-like-client.ts';
import { api, ensureUser, expectApiError, followRedirects, sessionUser, tokenFor, useApiHub, xsrfHeader } from './helpers.ts';

/**
 * `?token=` on a page: a valid API or launch token starts a session and the browser is sent to the
 * same URL without it; launch tokens work once; anything else leaves the browser signed out.
 */

const env = useApiHub(['alice']);

/** A one-time launch link for the hub's owner, made as `gatehouse start --open` makes it. */
function launchLink(): string {
  const link = launchPath(env.hub.services);
  if (link === undefined) throw new Error('the hub has no owner to launch as');
  return link;
}

describe('?token= on a hub page', () => {
  it('logs in with an API token and redirects to the same URL without it', async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const response = await client.get(`/hub/home?token=${tokenFor(env.hub, 'alice')}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hub/home');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const session = client.cookie('gatehouse-session');
    expect(session?.attributes['httponly']).toBe(true);
    expect(await sessionUser(client)).toBe('alice');
    expect((await client.get('/hub/home')).status).toBe(200);
  });

  it('replaces a session id planted in the browser (no session fixation)', async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const planted = 'planted-session-id-0123456789abcdefghijklmnop';
    client.setCookie('gatehouse-session', planted, '/hub/');
    await client.get(`/hub/home?token=${tokenFor(env.hub, 'alice')}`);
    expect(client.cookie('gatehouse-session')?.value).not.toBe(planted);
    const attacker = new BrowserLikeClient(env.hub.baseUrl);
    attacker.setCookie('gatehouse-session', planted, '/hub/');
    expect(await sessionUser(attacker)).toBeUndefined();
  });

  it.each(['//evil.example/', '/%2F%2Fevil.example/', '/\\evil.example/', '/hub/home/../..//evil.example/'])(
    'never redirects off the hub after logging in at %s',
    async (start) => {
      const client = new BrowserLikeClient(env.hub.baseUrl);
      const response = await client.get(`${start}?token=${tokenFor(env.hub, 'alice')}`);
      const location = response.headers.get('location') ?? '';
      expect(location).toMatch(/^\/(?![\/\\])/);
      expect(new URL(location, 'http://hub.invalid').host).toBe('hub.invalid');
    },
  );

  it('keeps the other query parameters and their order', async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const response = await client.get(`/hub/home?a=1&token=${tokenFor(env.hub, 'alice')}&b=two`);
    expect(response.headers.get('location')).toBe('/hub/home?a=1&b=two');
  });

  it.each([
    ['a made-up token', () => 'gh_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
    ['an expired token', () => tokenFor(env.hub, 'alice', ['inherit'], 1)],
    ['a revoked token', () => {
      const token = tokenFor(env.hub, 'alice');
      env.hub.services.tokens.revokeAllFor(ensureUser(env.hub, 'alice').id, ['api']);
      return token;
    }],
    ["a server's own token", () => env.hub.services.tokens.mint({ userId: ensureUser(env.hub, 'alice').id, kind: 'server', scopes: ['read:users!user=alice'] }).token],
  ])('leaves the browser signed out with %s', async (_what, make) => {
    const token = make();
    env.hub.clock.advance(2_000);
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const response = await client.get(`/hub/home?token=${token}`);
    // The dead token leaves the address bar; the page then asks to sign in as usual.
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hub/home');
    expect((await client.get('/hub/home')).headers.get('location')).toMatch(/^\/hub\/login\?next=/);
    expect(client.cookie('gatehouse-session')).toBeUndefined();
    expect(await sessionUser(client)).toBeUndefined();
  });

  it('is ignored on a POST', async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const response = await client.request('POST', `/hub/logout?token=${tokenFor(env.hub, 'alice')}`, { form: {} });
    expect(response.status).toBe(403);
    expect(client.cookie('gatehouse-session')).toBeUndefined();
  });
});

describe('?token= with a narrowed token', () => {
  it('does not turn it into a browser session with more than the token holds', async () => {
    ensureUser(env.hub, 'bob');
    const narrow = tokenFor(env.hub, 'admin', ['read:users!user=alice']);
    expect((await api(env.hub.baseUrl, 'GET', '/users/bob', { token: narrow })).status).toBe(403);
    const client = new BrowserLikeClient(env.hub.baseUrl);
    await client.get(`/hub/home?token=${narrow}`);
    expect([401, 403]).toContain((await client.get('/hub/api/users/bob')).status);
    const home = await client.get('/hub/home');
    const headers = home.status === 200 ? await xsrfHeader(client) : {};
    const minted = await client.request('POST', '/hub/api/users/admin/tokens', { json: {}, headers });
    expect(minted.status, minted.body).not.toBe(201);
  });
});

describe('?token= on a user server URL', () => {
  it('logs in through /hub/login and comes back to the URL without the token', async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const token = tokenFor(env.hub, 'alice');
    const { locations } = await followRedirects(client, `/user/alice/tree/notes?view=1&token=${token}`);
    expect(locations[0]).toMatch(/^\/hub\/login\?/);
    const later = locations.slice(1);
    expect(later.filter((location) => location.includes(token) || /[?&]token=/.test(location))).toEqual([]);
    expect(later).toContain('/user/alice/tree/notes?view=1');
    expect(await sessionUser(client)).toBe('alice');
    expect(client.cookie('gatehouse-user-session')).toBeDefined();
  });

  it("does not open someone else's server with one's own token", async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const { last } = await followRedirects(client, `/user/admin/tree?token=${tokenFor(env.hub, 'alice')}`);
    expect(last.status).toBe(403);
    expect(await sessionUser(client)).toBe('alice');
  });

  it('leaves the browser signed out with an invalid token', async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const { locations, last } = await followRedirects(client, '/user/alice/tree?token=gh_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    expect(locations[0]).toMatch(/^\/hub\/login\?next=/);
    expect(last.status).toBe(200);
    expect(await sessionUser(client)).toBeUndefined();
  });
});

describe('launch tokens', () => {
  it('log the owner in exactly once', async () => {
    const link = launchLink();
    expect(link).toMatch(/^\/hub\/login\?token=/);
    const first = new BrowserLikeClient(env.hub.baseUrl);
    const response = await first.get(link);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hub/login');
    expect(await sessionUser(first)).toBe('admin');

    const second = new BrowserLikeClient(env.hub.baseUrl);
    const again = await second.get(link);
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe('/hub/login?link=expired');
    expect(second.cookie('gatehouse-session')).toBeUndefined();
    expect(await sessionUser(second)).toBeUndefined();
  });

  it('log in a single browser when many race to use one', async () => {
    const link = launchLink();
    const browsers = Array.from({ length: 8 }, () => new BrowserLikeClient(env.hub.baseUrl));
    await Promise.all(browsers.map((browser) => browser.get(link)));
    const users = await Promise.all(browsers.map((browser) => sessionUser(browser)));
    expect(users.filter((user) => user !== undefined)).toEqual(['admin']);
  });

  it('work once through a user server URL too', async () => {
    const token = new URLSearchParams(launchLink().split('?')[1]).get('token') as string;
    const first = new BrowserLikeClient(env.hub.baseUrl);
    await followRedirects(first, `/user/admin/?token=${encodeURIComponent(token)}`);
    expect(await sessionUser(first)).toBe('admin');
    const second = new BrowserLikeClient(env.hub.baseUrl);
    await followRedirects(second, `/user/admin/?token=${encodeURIComponent(token)}`);
    expect(await sessionUser(second)).toBeUndefined();
  });

  it('expire after 60 seconds unused', async () => {
    const link = launchLink();
    env.hub.clock.advance(61_000);
    const client = new BrowserLikeClient(env.hub.baseUrl);
    await client.get(link);
    expect(await sessionUser(client)).toBeUndefined();
  });

  it('are no API tokens', async () => {
    const token = new URLSearchParams(launchLink().split('?')[1]).get('token') as string;
    expectApiError(await api(env.hub.baseUrl, 'GET', '/users/admin', { token }), 401);
    expectApiError(await api(env.hub.baseUrl, 'GET', '/user', { token }), 403);
    // Refused as a bearer token, it is still unused and logs in once.
    const client = new BrowserLikeClient(env.hub.baseUrl);
    await client.get(`/hub/login?token=${encodeURIComponent(token)}`);
    expect(await sessionUser(client)).toBe('admin');
  });
});

describe('the log of all of the above', () => {
  it('holds no token, valid or not', () => {
    expect(env.hub.logs.lines.length).toBeGreaterThan(0);
    expect(env.hub.logs.text).toMatch(/login with an invalid token refused/);
    expect(env.hub.logs.text).not.toMatch(/gh_[A-Za-z0-9_-]{12,}/);
  });
});
