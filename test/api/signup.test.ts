import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAuthenticator } from '@gatehouse/authenticators';
import { BrowserLikeClient, xsrfFromPage, type ClientResponse } from '../support/browser-like-client.ts';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs } from '../support/temp.ts';
import {
  api,
  closeApiHub,
  expectApiError,
  openLink,
  OTHER_STRONG_PASSWORD,
  sessionUser,
  startApiHub,
  STRONG_PASSWORD,
  submitSetup,
  tokenFor,
  tryFormLogin,
} from './helpers.ts';

/** Sign-up with approval, approval by API and by the admin page, and changing one's password. */

let hub: TestHub;
let admin: BrowserLikeClient;
let adminToken: string;

beforeAll(async () => {
  hub = await startApiHub({ authenticator: new LocalAuthenticator({ signup: 'approval' }) });
  // The first admin chooses a password through the one-time link the hub made at start.
  const setup = await openLink(hub.firstAdminSetupUrl ?? 'http://first-admin-link.invalid/');
  expect((await submitSetup(setup.client, setup.response, STRONG_PASSWORD)).status).toBe(302);
  admin = setup.client;
  adminToken = tokenFor(hub, 'admin');
});

afterAll(async () => {
  await closeApiHub(hub);
  cleanupTempDirs();
});

async function signUp(username: string, password = STRONG_PASSWORD, confirm = password): Promise<ClientResponse> {
  const client = new BrowserLikeClient(hub.baseUrl);
  const page = await client.get('/hub/signup');
  expect(page.status).toBe(200);
  return client.request('POST', '/hub/signup', { form: { _xsrf: xsrfFromPage(page.body), username, password, confirm } });
}

describe('sign-up with approval', () => {
  it('creates a pending account that cannot log in until an admin approves it by API', async () => {
    const response = await signUp('Pat');
    expect(response.status).toBe(201);
    expect(response.body).toMatch(/an administrator will approve/);
    expect(hub.services.accounts.get('pat')?.status).toBe('pending');

    const waiting = await tryFormLogin(hub.baseUrl, 'pat', STRONG_PASSWORD);
    expect(waiting.response.status).toBe(403);
    expect(waiting.response.body).toMatch(/waiting for an administrator to approve/);
    expect(await sessionUser(waiting.client)).toBeUndefined();
    // The same refusal is not an oracle for the password: a wrong one does not say "waiting".
    expect((await tryFormLogin(hub.baseUrl, 'pat', OTHER_STRONG_PASSWORD)).response.body).not.toMatch(/waiting/);

    const approved = await api(hub.baseUrl, 'PATCH', '/users/pat', { token: adminToken, json: { approved: true } });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json()).toMatchObject({ name: 'pat', admin: false });
    expect(await sessionUser(await loginWithForm(hub.baseUrl, 'pat', STRONG_PASSWORD))).toBe('pat');
  });

  it('can be approved from the admin page form', async () => {
    expect((await signUp('quinn')).status).toBe(201);
    const page = await admin.get('/hub/admin');
    expect(page.body).toContain('quinn');
    const response = await admin.request('POST', '/hub/admin/users/quinn/approve', { form: { _xsrf: xsrfFromPage(page.body) } });
    expect(response.status, response.body).toBe(302);
    expect(await sessionUser(await loginWithForm(hub.baseUrl, 'quinn', STRONG_PASSWORD))).toBe('quinn');
  });

  it('cannot be approved by a normal user, nor by the pending user', async () => {
    expect((await signUp('rita')).status).toBe(201);
    const pat = tokenFor(hub, 'pat');
    expectApiError(await api(hub.baseUrl, 'PATCH', '/users/rita', { token: pat, json: { approved: true } }), 403);
    expect(hub.services.accounts.get('rita')?.status).toBe('pending');
    expect((await tryFormLogin(hub.baseUrl, 'rita', STRONG_PASSWORD)).response.status).toBe(403);
  });

  it.each([
    ['a taken name', 'pat', STRONG_PASSWORD, STRONG_PASSWORD, /taken/],
    ["the first admin's name", 'admin', STRONG_PASSWORD, STRONG_PASSWORD, /taken/],
    ['a weak password', 'sam', 'password', 'password', /common/],
    ['a password equal to the name', 'samantha', 'samantha', 'samantha', /./],
    ['mismatched passwords', 'sam', STRONG_PASSWORD, OTHER_STRONG_PASSWORD, /not the same/],
    ['an invalid name', '../sam', STRONG_PASSWORD, STRONG_PASSWORD, /invalid username/],
  ])('refuses %s', async (_what, username, password, confirm, message) => {
    const response = await signUp(username, password, confirm);
    expect(response.status).toBe(400);
    expect(response.body).toMatch(message);
    expect(hub.services.accounts.get('sam')).toBeUndefined();
  });

  it('needs the XSRF field', async () => {
    const client = new BrowserLikeClient(hub.baseUrl);
    await client.get('/hub/signup');
    const response = await client.request('POST', '/hub/signup', { form: { username: 'tess', password: STRONG_PASSWORD, confirm: STRONG_PASSWORD } });
    expect(response.status).toBe(403);
    expect(hub.services.accounts.get('tess')).toBeUndefined();
  });
});

describe('changing one’s password', () => {
  async function changePassword(client: BrowserLikeClient, current: string, password: string): Promise<ClientResponse> {
    const page = await client.get('/hub/change-password');
    expect(page.status).toBe(200);
    return client.request('POST', '/hub/change-password', { form: { _xsrf: xsrfFromPage(page.body), current, password, confirm: password } });
  }

  it('refuses a wrong current password and changes nothing', async () => {
    await hub.services.userAdmin.add('uma', { admin: false, password: STRONG_PASSWORD }, 'api-suite');
    const browser = await loginWithForm(hub.baseUrl, 'uma', STRONG_PASSWORD);
    const response = await changePassword(browser, OTHER_STRONG_PASSWORD, 'velvet-harbor-quince-77');
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/current password is incorrect/);
    expect(await sessionUser(browser)).toBe('uma');
    expect((await tryFormLogin(hub.baseUrl, 'uma', 'velvet-harbor-quince-77')).response.status).toBe(403);
  });

  it("ends the user's other sessions and keeps this one", async () => {
    await hub.services.userAdmin.add('vera', { admin: false, password: STRONG_PASSWORD }, 'api-suite');
    const here = await loginWithForm(hub.baseUrl, 'vera', STRONG_PASSWORD);
    const elsewhere = await loginWithForm(hub.baseUrl, 'vera', STRONG_PASSWORD);
    const stolenCookie = here.cookie('gatehouse-session')?.value;
    const response = await changePassword(here, STRONG_PASSWORD, OTHER_STRONG_PASSWORD);
    expect(response.status, response.body).toBe(200);
    expect(response.body).toMatch(/Other sessions were signed out/);
    expect(await sessionUser(here)).toBe('vera');
    expect(here.cookie('gatehouse-session')?.value).not.toBe(stolenCookie);
    expect(await sessionUser(elsewhere)).toBeUndefined();
    const replay = new BrowserLikeClient(hub.baseUrl);
    replay.setCookie('gatehouse-session', stolenCookie ?? '', '/hub/');
    expect(await sessionUser(replay)).toBeUndefined();
    expect((await tryFormLogin(hub.baseUrl, 'vera', STRONG_PASSWORD)).response.status).toBe(403);
    expect(await sessionUser(await loginWithForm(hub.baseUrl, 'vera', OTHER_STRONG_PASSWORD))).toBe('vera');
  });
});

describe('open sign-up and the configured admin names', () => {
  it('does not let a stranger become a configured admin who has no account yet', async () => {
    const open = await startApiHub({ adminUsers: ['admin', 'boss'], authenticator: new LocalAuthenticator({ signup: 'open' }) });
    try {
      const client = new BrowserLikeClient(open.baseUrl);
      const page = await client.get('/hub/signup');
      await client.request('POST', '/hub/signup', { form: { _xsrf: xsrfFromPage(page.body), username: 'boss', password: STRONG_PASSWORD, confirm: STRONG_PASSWORD } });
      const { client: stranger } = await tryFormLogin(open.baseUrl, 'boss', STRONG_PASSWORD);
      const self = await stranger.get('/hub/api/user');
      expect(self.status === 403 || self.json<{ admin: boolean }>().admin === false, self.body).toBe(true);
      // boss exists as a configured admin (as in JupyterHub), but the stranger got no account for it.
      expect(open.services.accounts.get('boss')).toBeUndefined();
    } finally {
      await closeApiHub(open);
    }
  });
});
