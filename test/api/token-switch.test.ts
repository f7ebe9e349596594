import { describe, expect, it } from 'vitest';
import { launchPath } from '../../packages/hub/src/launch.ts';
import { BrowserLikeClient, xsrfFromPage, type ClientResponse } from '../support/browser-like-client.ts';
import { loginWithForm } from '../support/login.ts';
import { followRedirects, sessionUser, tokenFor, useApiHub } from './helpers.ts';

/**
 * `?token=` for another user than the one a browser is signed in as does not switch it silently:
 * the hub asks, and only a click (a POST with the session's XSRF token) switches. A launch token is
 * not used up by the question. Same user or no session: the link signs in as before.
 */

const env = useApiHub(['alice', 'mallory']);

/** The token the switch page's form would send back (it is in the page, for the click). */
function formToken(page: ClientResponse): string {
  const match = /name="token" value="([^"]+)"/.exec(page.body);
  if (match?.[1] === undefined) throw new Error(`no switch form in the page: ${page.body.slice(0, 200)}`);
  return match[1];
}

function expectSwitchPage(page: ClientResponse, current: string, target: string): void {
  expect(page.status, page.body).toBe(200);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.body).toContain('Switch user?');
  expect(page.body).toMatch(new RegExp(`signed in as <strong id="current-user">${current}</strong>`));
  expect(page.body).toMatch(new RegExp(`<strong id="target-user">${target}</strong>`));
}

describe('?token= for another user in a signed-in browser', () => {
  it('asks instead of replacing the session', async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const page = await alice.get(`/hub/home?token=${tokenFor(env.hub, 'mallory')}`);
    expectSwitchPage(page, 'alice', 'mallory');
    expect(await sessionUser(alice)).toBe('alice');
  });

  it('switches on the click, which posts the token with XSRF to /hub/login', async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const page = await alice.get(`/hub/token?x=1&token=${tokenFor(env.hub, 'mallory')}`);
    const action = /<form id="switch-user" method="post" action="([^"]+)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&') ?? '';
    expect(action).toBe(`/hub/login?next=${encodeURIComponent('/hub/token?x=1')}`);
    const response = await alice.request('POST', action, { form: { _xsrf: xsrfFromPage(page.body), token: formToken(page) } });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hub/token?x=1');
    expect(await sessionUser(alice)).toBe('mallory');
  });

  it('does not switch on a post without the session\'s XSRF token', async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const token = tokenFor(env.hub, 'mallory');
    const mallory = new BrowserLikeClient(env.hub.baseUrl);
    const foreign = xsrfFromPage((await mallory.get('/hub/login')).body);
    alice.setCookie('gatehouse-xsrf', mallory.cookie('gatehouse-xsrf')?.value ?? '', '/hub/');
    expect((await alice.request('POST', '/hub/login', { form: { token } })).status).toBe(403);
    expect((await alice.request('POST', '/hub/login', { form: { _xsrf: foreign, token } })).status).toBe(403);
    expect(await sessionUser(alice)).toBe('alice');
  });

  it('asks through a user server URL too (the proxy sends the token to /hub/login)', async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const { locations, last } = await followRedirects(alice, `/user/mallory/tree?token=${tokenFor(env.hub, 'mallory')}`);
    expect(locations[0]).toMatch(/^\/hub\/login\?/);
    expectSwitchPage(last, 'alice', 'mallory');
    expect(await sessionUser(alice)).toBe('alice');
  });

  it('does not use up a launch token by asking; the click does', async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const link = launchPath(env.hub.services) as string;
    const page = await alice.get(link);
    expectSwitchPage(page, 'alice', 'admin');
    expect((await alice.get(link)).status).toBe(200);
    const response = await alice.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), token: formToken(page) } });
    expect(response.status).toBe(302);
    expect(await sessionUser(alice)).toBe('admin');
    const other = new BrowserLikeClient(env.hub.baseUrl);
    await other.get(link);
    expect(await sessionUser(other)).toBeUndefined();
  });
});

describe('?token= as before', () => {
  it('for the signed-in user: signs in again and redirects without the token', async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const response = await alice.get(`/hub/home?token=${tokenFor(env.hub, 'alice')}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hub/home');
    expect(await sessionUser(alice)).toBe('alice');
  });

  it('without a session: signs in', async () => {
    const visitor = new BrowserLikeClient(env.hub.baseUrl);
    const response = await visitor.get(`/hub/home?token=${tokenFor(env.hub, 'mallory')}`);
    expect(response.status).toBe(302);
    expect(await sessionUser(visitor)).toBe('mallory');
  });

  it('with an invalid token: leaves the session alone and shows the page, without the dead token', async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const response = await alice.get('/hub/home?token=gh_cccccccccccccccccccccccccccccccccccccccccccc');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hub/home');
    const page = await alice.get('/hub/home');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Welcome, alice');
  });
});
