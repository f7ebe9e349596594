import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserLikeClient } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs } from '../support/temp.ts';
import { homeXsrf } from '../totp/helpers.ts';

/**
 * Regression (closed holes): PrincipalCache staleness on the proxy and /hub/auth paths when another
 * process (the CLI) changes the database, and the hub's cookies presented under each other's names.
 */

let hub: TestHub;
let other: Database.Database;

beforeAll(async () => {
  hub = await startTestHub({ adminUsers: ['root'], authRequest: { cookiePaths: ['/site/'] } });
  // A second connection, as `gatehouse passwd/userdel` would open: only PRAGMA data_version tells the hub.
  const file = path.join(hub.dataDir, 'gatehouse.sqlite');
  other = new Database(file);
  other.pragma('foreign_keys = ON');
  other.pragma('busy_timeout = 5000');
});
afterAll(async () => {
  other.close();
  await hub.close();
  cleanupTempDirs();
});

async function token(client: BrowserLikeClient, owner: string): Promise<{ token: string; id: number }> {
  const made = await client.request('POST', `/hub/api/users/${owner}/tokens`, { headers: { 'x-xsrftoken': await homeXsrf(client) }, json: {} });
  expect(made.status, made.body).toBe(201);
  const body = made.json<{ token: string; id: string }>();
  return { token: body.token, id: Number(body.id.slice(1)) };
}

const auth = (query: string, headers: Record<string, string>) => fetch(`${hub.baseUrl}/hub/auth${query}`, { headers }).then((r) => r.status);
/** 'login' when the proxy sent the request to the login page (not authenticated), else its Location. */
const proxyAs = async (owner: string, headers: Record<string, string>) => {
  const response = await fetch(`${hub.baseUrl}/user/${owner}/`, { headers, redirect: 'manual' });
  const location = response.headers.get('location') ?? String(response.status);
  return location.startsWith('/hub/login') ? 'login' : location;
};

describe('PrincipalCache after a change made by another process', () => {
  it('a token revoked from another connection is refused on the next request (proxy and /hub/auth)', async () => {
    const carol = await loginWithForm(hub.baseUrl, 'carol');
    const made = await token(carol, 'carol');
    const bearer = { authorization: `token ${made.token}` };
    expect(await auth('', bearer)).toBe(200);
    expect(await proxyAs('carol', bearer)).not.toBe('login');
    other.prepare('DELETE FROM tokens WHERE id = ?').run(made.id);
    expect(await auth('', bearer)).toBe(401);
    expect(await proxyAs('carol', bearer)).toBe('login');
  });

  it('an admin demoted from another connection no longer passes /hub/auth?admin=1', async () => {
    const dave = await loginWithForm(hub.baseUrl, 'dave');
    hub.services.userAdmin.setAdmin('dave', true, 'test');
    const cookie = { cookie: `gatehouse-auth=${dave.cookie('gatehouse-auth')?.value}` };
    expect(await auth('?admin=1', cookie)).toBe(200);
    other.prepare('UPDATE users SET admin = 0 WHERE name = ?').run('dave');
    expect(await auth('?admin=1', cookie)).toBe(403);
  });

  it('a user deleted from another connection loses the proxy and /hub/auth at once', async () => {
    const erin = await loginWithForm(hub.baseUrl, 'erin');
    const session = { cookie: `gatehouse-user-session=${erin.cookie('gatehouse-user-session')?.value}` };
    const authCookie = { cookie: `gatehouse-auth=${erin.cookie('gatehouse-auth')?.value}` };
    expect(await proxyAs('erin', session)).not.toBe('login');
    expect(await auth('', authCookie)).toBe(200);
    other.prepare('DELETE FROM users WHERE name = ?').run('erin');
    expect(await proxyAs('erin', session)).toBe('login');
    expect(await auth('', authCookie)).toBe(401);
  });
});

describe("the hub's cookies under each other's names", () => {
  it('gatehouse-auth is no session, and a session id is no gatehouse-auth', async () => {
    const fay = await loginWithForm(hub.baseUrl, 'fay');
    const authValue = fay.cookie('gatehouse-auth')?.value as string;
    const sessionId = fay.cookie('gatehouse-user-session')?.value as string;
    expect(await proxyAs('fay', { cookie: `gatehouse-user-session=${authValue}` })).toBe('login');
    expect((await fetch(`${hub.baseUrl}/hub/api/user`, { headers: { cookie: `gatehouse-session=${authValue}` } })).status).toBe(403);
    expect(await auth('', { cookie: `gatehouse-auth=${sessionId}` })).toBe(401);
    expect(await auth('', { cookie: `gatehouse-auth=x; gatehouse-auth=${authValue}` })).toBe(401);
  });

  it('the pending-login cookie is no session anywhere', async () => {
    const pendingLike = { cookie: 'gatehouse-login-pending=abc; gatehouse-session=abc; gatehouse-user-session=abc' };
    expect(await auth('', pendingLike)).toBe(401);
    expect(await proxyAs('fay', pendingLike)).toBe('login');
  });
});
