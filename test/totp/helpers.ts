import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { BrowserLikeClient, xsrfFromPage, type ClientResponse } from '../support/browser-like-client.ts';
import type { TestHub } from '../support/hub.ts';

/**
 * The second-factor suites' shared steps. Codes come from Debian's oathtool (an independent RFC 6238
 * implementation), at the hub's injected clock, so a test can place itself at any time step.
 */

export const STEP_MS = 30_000;

/** The code `oathtool --totp -b SECRET` prints at `atMs` (epoch ms), `offsetSteps` steps later. */
export function oathtoolCode(secret: string, atMs: number, offsetSteps = 0): string {
  const seconds = Math.floor(atMs / 1000) + offsetSteps * 30;
  return execFileSync('oathtool', ['--totp', '-b', secret, '--now', `@${seconds}`]).toString().trim();
}

/** Puts the hub's clock 10 s into a fresh time step (well inside it) and returns that time. */
export function toFreshStep(hub: TestHub): number {
  hub.clock.now = (Math.floor(hub.clock.now / STEP_MS) + 1) * STEP_MS + 10_000;
  return hub.clock.now;
}

/** The XSRF token from the signed-in user's home page. */
export async function homeXsrf(client: BrowserLikeClient): Promise<string> {
  const home = await client.get('/hub/home');
  expect(home.status, home.body).toBe(200);
  return xsrfFromPage(home.body);
}

/** Enrols the signed-in `client` through the REST API (with the session's XSRF); returns the secret and recovery codes. */
export async function enrolThroughApi(hub: TestHub, client: BrowserLikeClient, name: string): Promise<{ secret: string; uri: string; recoveryCodes: string[] }> {
  const xsrf = await homeXsrf(client);
  const begun = await client.request('POST', `/hub/api/users/${name}/totp`, { headers: { 'x-xsrftoken': xsrf } });
  expect(begun.status, begun.body).toBe(201);
  const { secret, otpauth_uri: uri } = begun.json<{ secret: string; otpauth_uri: string }>();
  const confirmed = await client.request('POST', `/hub/api/users/${name}/totp/confirm`, { headers: { 'x-xsrftoken': xsrf }, json: { code: oathtoolCode(secret, hub.clock.now) } });
  expect(confirmed.status, confirmed.body).toBe(200);
  return { secret, uri, recoveryCodes: confirmed.json<{ recovery_codes: string[] }>().recovery_codes };
}

/** The password step: the form posted, answered by a redirect to the code page (no session yet). */
export async function passwordStep(baseUrl: string, name: string, password = 'any-password', next?: string): Promise<BrowserLikeClient> {
  const client = new BrowserLikeClient(baseUrl);
  const page = await client.get('/hub/login');
  const query = next === undefined ? '' : `?next=${encodeURIComponent(next)}`;
  const response = await client.request('POST', `/hub/login${query}`, { form: { _xsrf: xsrfFromPage(page.body), username: name, password } });
  expect(response.status, response.body).toBe(302);
  expect(response.headers.get('location')).toBe('/hub/login/totp');
  expect(client.cookie('gatehouse-session')).toBeUndefined();
  return client;
}

/** The code step: posts `code` on /hub/login/totp with the page's XSRF token. */
export async function codeStep(client: BrowserLikeClient, code: string): Promise<ClientResponse> {
  const page = await client.get('/hub/login/totp');
  expect(page.status, page.body).toBe(200);
  return client.request('POST', '/hub/login/totp', { form: { _xsrf: xsrfFromPage(page.body), code } });
}

/** True when `client` holds a live session (its home page answers 200). */
export async function isSignedIn(client: BrowserLikeClient): Promise<boolean> {
  return (await client.get('/hub/home')).status === 200;
}
