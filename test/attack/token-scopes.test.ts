import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserLikeClient } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs } from '../support/temp.ts';
import { homeXsrf, oathtoolCode, toFreshStep } from '../totp/helpers.ts';

/**
 * Tokens that are narrower than their owner, used where the hub forgets to look at scopes.
 * The hub runs without adminAccess: README promises that a token an admin makes for someone else
 * "cannot open their server or start a browser session as them".
 */

let hub: TestHub;
let root: BrowserLikeClient;
let bob: BrowserLikeClient;

beforeAll(async () => {
  hub = await startTestHub({ adminUsers: ['root'] });
  root = await loginWithForm(hub.baseUrl, 'root');
  bob = await loginWithForm(hub.baseUrl, 'bob');
});
afterAll(async () => {
  await hub.close();
  cleanupTempDirs();
});

async function mint(client: BrowserLikeClient, owner: string, body: Record<string, unknown>): Promise<string> {
  const made = await client.request('POST', `/hub/api/users/${owner}/tokens`, { headers: { 'x-xsrftoken': await homeXsrf(client) }, json: body });
  expect(made.status, made.body).toBe(201);
  return made.json<{ token: string }>().token;
}

const authStatus = async (query: string, token: string) =>
  (await fetch(`${hub.baseUrl}/hub/auth${query}`, { headers: { authorization: `token ${token}` } })).status;

describe('GET /hub/auth and token scopes', () => {
  // FINDING (medium): /hub/auth answers 200 for any live token, whatever its scopes
  // (http/auth-request.ts #answer → whoIsAsking; no scope is checked). Safe: 401 (or 403).
  it("refuses a token an admin made for bob (it holds no access:servers): the admin must not pass nginx's auth_request as bob", async () => {
    const token = await mint(root, 'bob', {});
    expect(await authStatus('', token)).not.toBe(200);
    expect(await authStatus('?user=bob', token)).not.toBe(200);
  });

  it("refuses bob's own narrowed token (users:activity only) as proof of bob's login", async () => {
    const token = await mint(bob, 'bob', { scopes: ['users:activity!user=bob'] });
    expect(await authStatus('?user=bob', token)).not.toBe(200);
  });

  it("still answers 200 for bob's full (inherit) token", async () => {
    const token = await mint(bob, 'bob', {});
    expect(await authStatus('?user=bob', token)).toBe(200);
  });
});

describe('second-factor enrolment through a token an admin made', () => {
  // FINDING (medium): api/totp-routes.ts requireSelf accepts any principal named bob with the
  // `tokens` scope — which a token an admin mints for bob has. The admin then holds bob's TOTP
  // secret and recovery codes, exactly what the route's comment says must not happen. Safe: 403.
  it('cannot set up a second factor for bob', async () => {
    const token = await mint(root, 'bob', {});
    const begun = await fetch(`${hub.baseUrl}/hub/api/users/bob/totp`, { method: 'POST', headers: { authorization: `token ${token}` } });
    const text = await begun.text();
    if (begun.status === 201) {
      toFreshStep(hub);
      const { secret } = JSON.parse(text) as { secret: string };
      const confirmed = await fetch(`${hub.baseUrl}/hub/api/users/bob/totp/confirm`, {
        method: 'POST',
        headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code: oathtoolCode(secret, hub.clock.now) }),
      });
      expect(confirmed.status, 'the admin confirmed a secret of their choosing for bob').not.toBe(200);
    }
    expect(begun.status, text).toBe(403);
  });
});
