import { describe, expect, it } from 'vitest';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { loginWithForm } from '../support/login.ts';
import { ensureUser, expectApiError, sessionUser, useApiHub, xsrfHeader } from './helpers.ts';

/**
 * XSRF tokens are bound to the browser's session once it has one (to a nonce cookie before login):
 * a nonce/token pair taken from another browser and tossed into this one (cookies ignore ports, so
 * any page on this host can set them) passes nothing, and a token does not outlive its session.
 */

const env = useApiHub(['alice', 'bob']);

/** What a page on another port of this host can obtain and plant: a fresh nonce cookie and the token the hub pairs with it. */
async function attackerPair(): Promise<{ nonce: string; token: string }> {
  const attacker = new BrowserLikeClient(env.hub.baseUrl);
  const page = await attacker.get('/hub/login');
  const nonce = attacker.cookie('gatehouse-xsrf')?.value;
  if (nonce === undefined) throw new Error('the login page set no XSRF nonce');
  return { nonce, token: xsrfFromPage(page.body) };
}

/** A signed-in browser into which the attacker's nonce cookie was tossed. */
async function tossedInto(name: string): Promise<{ client: BrowserLikeClient; token: string }> {
  const client = await loginWithForm(env.hub.baseUrl, name);
  const { nonce, token } = await attackerPair();
  client.setCookie('gatehouse-xsrf', nonce, '/hub/');
  return { client, token };
}

describe('a tossed XSRF cookie with its token', () => {
  it('does not make bob an admin through the admin form', async () => {
    ensureUser(env.hub, 'bob');
    const { client, token } = await tossedInto('admin');
    const response = await client.request('POST', '/hub/admin/users/bob/admin', { form: { _xsrf: token, admin: '1' } });
    expect(response.status).toBe(403);
    expect(response.body).toContain('GATEHOUSE_ERR_XSRF');
    expect(env.hub.services.users.get('bob')?.admin).toBe(false);
  });

  it('does not pass as X-XSRFToken on a cookie-authenticated API call', async () => {
    const { client, token } = await tossedInto('admin');
    expectApiError(await client.request('PATCH', '/hub/api/users/bob', { json: { admin: true }, headers: { 'X-XSRFToken': token } }), 403, 'GATEHOUSE_ERR_XSRF');
    expect(env.hub.services.users.get('bob')?.admin).toBe(false);
  });

  it("cannot log a signed-in browser in as the attacker (the login form needs the session's token then)", async () => {
    const { client, token } = await tossedInto('alice');
    const response = await client.request('POST', '/hub/login', { form: { _xsrf: token, username: 'mallory', password: 'x' } });
    expect(response.status).toBe(403);
    expect(await sessionUser(client)).toBe('alice');
  });
});

describe('a token and its session', () => {
  it('the login form works with its nonce token, and that token stops working at login', async () => {
    const client = new BrowserLikeClient(env.hub.baseUrl);
    const before = xsrfFromPage((await client.get('/hub/login')).body);
    expect((await client.request('POST', '/hub/login', { form: { _xsrf: before, username: 'alice', password: 'x' } })).status).toBe(302);
    expectApiError(await client.request('POST', '/hub/api/users/alice/tokens', { json: {}, headers: { 'X-XSRFToken': before } }), 403, 'GATEHOUSE_ERR_XSRF');
    const stale = await client.request('POST', '/hub/logout', { form: { _xsrf: before } });
    expect(stale.status).toBe(403);
    expect(await sessionUser(client)).toBe('alice');
  });

  it("the session's token works in the header and in forms, and dies with the session", async () => {
    const client = await loginWithForm(env.hub.baseUrl, 'alice');
    const headers = await xsrfHeader(client);
    expect((await client.request('POST', '/hub/api/users/alice/tokens', { json: {}, headers })).status).toBe(201);
    expect((await client.request('POST', '/hub/logout', { form: { _xsrf: headers['X-XSRFToken'] as string } })).status).toBe(302);
    await loginWithForm(env.hub.baseUrl, 'alice', 'x', client);
    expectApiError(await client.request('POST', '/hub/api/users/alice/tokens', { json: {}, headers }), 403, 'GATEHOUSE_ERR_XSRF');
    expect((await client.request('POST', '/hub/api/users/alice/tokens', { json: {}, headers: await xsrfHeader(client) })).status).toBe(201);
  });

  it("one user's token does not pass with another user's session, even with the same nonce cookie", async () => {
    const alice = await loginWithForm(env.hub.baseUrl, 'alice');
    const bob = await loginWithForm(env.hub.baseUrl, 'bob');
    bob.setCookie('gatehouse-xsrf', alice.cookie('gatehouse-xsrf')?.value ?? '', '/hub/');
    const aliceToken = (await xsrfHeader(alice))['X-XSRFToken'] as string;
    expectApiError(await bob.request('POST', '/hub/api/users/bob/tokens', { json: {}, headers: { 'X-XSRFToken': aliceToken } }), 403, 'GATEHOUSE_ERR_XSRF');
  });
});
