import { describe, expect, it } from 'vitest';
import type { Authenticator } from '@gatehouse/authenticators';
import { safeNextPath } from '@gatehouse/hub';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { loginWithForm } from '../support/login.ts';
import { tokenFor, useApiHub } from './helpers.ts';

/**
 * No redirect target taken from a request leaves the hub: `next=` is normalised as a browser would
 * resolve it (dot segments, `%2e`, backslashes, dropped tabs) before it is checked, on every path that
 * accepts one — signed in, at login, and through the `?token=` chain.
 */

/**
 * Signs everyone in as alice without a form, as a front proxy's login does (loginStyle automatic);
 * which requests may carry identity headers is the subject of the header-trust suites, not this one.
 */
const automaticAlice: Authenticator = { kind: 'automatic-alice', loginStyle: 'automatic', trustedHeaders: [], init: () => undefined, authenticate: async () => ({ ok: true, username: 'alice' }) };

const env = useApiHub(['alice']);
const automatic = useApiHub([], { authenticator: automaticAlice });

/** Spellings that a browser (or the old check) turns into `//evil.example`: each must fall back to /hub/home. */
const OFF_SITE = [
  '//evil.example',
  '///evil.example',
  '/.//evil.example',
  '/..//evil.example',
  '/././/evil.example',
  '/hub/../..//evil.example',
  '/hub/home/../../..//evil.example/x?y=1',
  '/hub/%2e%2e/%2e%2e//evil.example',
  '/hub/%2E%2E/%2e%2E//evil.example',
  '/hub/.%2e/%2e.//evil.example',
  '/%2e//evil.example',
  '/\\evil.example',
  '/\\/evil.example',
  '/.\\/evil.example',
  '/hub/..\\..\\\\evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/.\r//evil.example',
  '/\u0000/evil.example',
  'https://evil.example/',
  'http:evil.example',
  'http:/evil.example',
  '\\\\evil.example',
  'javascript:alert(1)',
  ' //evil.example',
  'evil.example',
];

/** Odd but harmless: they must stay on the hub (encoded separators are not separators to a browser). */
const ODD_BUT_LOCAL = [
  '/%2F%2Fevil.example',
  '/%2f/evil.example',
  '/%5C%5Cevil.example',
  '/%5c/evil.example',
  '/%09/evil.example',
  '/hub/%252e%252e/%252e%252e//evil.example',
  '/%252F%252Fevil.example',
  '/hub/..%2f..%2f/evil.example',
  '/@evil.example',
  '/hub/home#//evil.example',
  '/hub/home?next=//evil.example',
];

/** Where a browser at the hub goes with this Location. */
function destination(location: string | null): URL {
  expect(location).not.toBeNull();
  return new URL(location as string, `${env.hub.baseUrl}/hub/login`);
}

function expectOnHub(location: string | null): void {
  expect(destination(location).origin).toBe(new URL(env.hub.baseUrl).origin);
}

describe('safeNextPath', () => {
  it.each(OFF_SITE)('falls back for %j', (next) => {
    expect(safeNextPath(next)).toBe('/hub/home');
  });

  it.each(ODD_BUT_LOCAL)('keeps %j on this hub, as a path that resolves to itself', (next) => {
    const path = safeNextPath(next);
    expect(path).toMatch(/^\/(?![/\\])/);
    const resolved = new URL(path, 'http://hub.invalid/hub/login');
    expect(resolved.host).toBe('hub.invalid');
    expect(`${resolved.pathname}${resolved.search}${resolved.hash}`).toBe(path);
  });

  it('keeps an ordinary path with its query and fragment', () => {
    expect(safeNextPath('/user/alice/tree/a%20b?x=1&y=2#top')).toBe('/user/alice/tree/a%20b?x=1&y=2#top');
    expect(safeNextPath('/hub/home/../token')).toBe('/hub/token');
  });
});

describe('next= on the wire', () => {
  it.each(OFF_SITE)('a signed-in browser at /hub/login?next=%j stays on the hub', async (next) => {
    const client = await loginWithForm(env.hub.baseUrl, 'alice');
    const response = await client.get(`/hub/login?next=${encodeURIComponent(next)}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/hub/home');
  });

  it.each(['/.//evil.example', '/hub/../..//evil.example', '/hub/%2e%2e/%2e%2e//evil.example', '/\\evil.example'])(
    'a login with next=%j lands on the hub',
    async (next) => {
      const client = new BrowserLikeClient(env.hub.baseUrl);
      const page = await client.get(`/hub/login?next=${encodeURIComponent(next)}`);
      expect(page.body).not.toContain('evil.example');
      const response = await client.request('POST', `/hub/login?next=${encodeURIComponent(next)}`, { form: { _xsrf: xsrfFromPage(page.body), username: 'alice', password: 'x' } });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/hub/home');
    },
  );

  it.each(['/hub/login?next=/.//evil.example', '/hub/login?next=/hub/%2e%2e/%2e%2e//evil.example', '/hub/login?next=/hub/..%2F..%2F%2Fevil.example', '/hub/login?next=%2F%2E%2F%2Fevil.example'])(
    'the ?token= chain from %s never leaves the hub',
    async (start) => {
      const client = new BrowserLikeClient(env.hub.baseUrl);
      let response = await client.get(`${start}&token=${tokenFor(env.hub, 'alice')}`);
      const seen: string[] = [];
      while (response.status >= 300 && response.status < 400 && seen.length < 5) {
        const location = response.headers.get('location');
        seen.push(location ?? '');
        expectOnHub(location);
        const target = destination(location);
        response = await client.get(`${target.pathname}${target.search}`);
      }
      expect(seen.at(-1)).toBe('/hub/home');
    },
  );

  it.each(['/.//evil.example', '/hub/../..//evil.example', '/hub/%2e%2e/%2e%2e//evil.example'])(
    'an automatic login (as behind a login proxy) at /hub/login?next=%j lands on the hub',
    async (next) => {
      const client = new BrowserLikeClient(automatic.hub.baseUrl);
      const response = await client.get(`/hub/login?next=${encodeURIComponent(next)}`);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/hub/home');
      expect(client.cookie('gatehouse-session')).toBeDefined();
    },
  );

  it.each(ODD_BUT_LOCAL)('a signed-in browser at /hub/login?next=%j goes to a path on the hub', async (next) => {
    const client = await loginWithForm(env.hub.baseUrl, 'alice');
    expectOnHub((await client.get(`/hub/login?next=${encodeURIComponent(next)}`)).headers.get('location'));
  });
});
