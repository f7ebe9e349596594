import { expect } from 'vitest';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import type { TestHub } from '../support/hub.ts';
import { isRunning, waitFor } from '../support/processes.ts';
import type { RunningNginx } from './nginx-process.ts';
import { startsSession } from './wire.ts';

/** Browsers that reach the hub through nginx with basic auth, and a server started and stopped that way. */

/** An Authorization header for basic auth. */
export function basicAuth(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

/** A browser signed in to nginx with basic auth (it sends the credentials with every request). */
export function browserVia(nginx: RunningNginx, name: string, password: string): BrowserLikeClient {
  const client = new BrowserLikeClient(nginx.baseUrl);
  client.defaultHeaders = { authorization: basicAuth(name, password) };
  return client;
}

/** Logs `name` in through nginx (automatic login at /hub/login); returns the browser with its session. */
export async function signIn(nginx: RunningNginx, name: string, password: string): Promise<BrowserLikeClient> {
  const browser = browserVia(nginx, name, password);
  const login = await browser.get('/hub/login');
  expect(login.status, login.body).toBe(302);
  expect(login.headers.get('location')).toBe('/hub/home');
  expect(startsSession(login.setCookies)).toBe(true);
  return browser;
}

/** The XSRF token a signed-in browser finds on its home page. */
export async function xsrfOf(browser: BrowserLikeClient): Promise<string> {
  const home = await browser.get('/hub/home');
  expect(home.status).toBe(200);
  return xsrfFromPage(home.body);
}

/** The pid of `name`'s running server, as the spawner recorded it. */
function serverPid(hub: TestHub, name: string): number {
  const user = hub.services.users.get(name);
  const pid = user === undefined ? undefined : hub.services.serverRepository.get(user.id)?.handle?.state['pid'];
  if (typeof pid !== 'number') throw new Error(`no server pid recorded for ${name}`);
  return pid;
}

/**
 * Starts `name`'s server through nginx (REST API + XSRF, then the progress stream to its end),
 * runs `use`, and stops it again, waiting until the server process is gone.
 */
export async function withServer(hub: TestHub, browser: BrowserLikeClient, name: string, use: (pid: number) => Promise<void>): Promise<void> {
  const xsrf = await xsrfOf(browser);
  const start = await browser.request('POST', `/hub/api/users/${name}/server`, { headers: { 'x-xsrftoken': xsrf } });
  expect(start.status, start.body).toBe(202);
  const progress = await browser.get(`/hub/api/users/${name}/server/progress`);
  expect(progress.status).toBe(200);
  expect(progress.body).toContain('"ready":true');
  const pid = serverPid(hub, name);
  try {
    await use(pid);
  } finally {
    const stop = await browser.request('DELETE', `/hub/api/users/${name}/server`, { headers: { 'x-xsrftoken': xsrf } });
    expect(stop.status).toBe(204);
    await waitFor(`${name}'s server (pid ${pid}) to exit`, () => !isRunning(pid));
  }
  expect((await browser.get(`/hub/api/users/${name}`)).json<{ servers: object }>().servers).toEqual({});
}
