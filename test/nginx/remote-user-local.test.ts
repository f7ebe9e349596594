import { describe, expect, it } from 'vitest';
import { RemoteUserLocalAuthenticator } from '@gatehouse/authenticators';
import { browserVia, startsSession, useHubBehindNginx } from './helpers.ts';

// nginx knows carol's password, but the hub's account list decides whether she may come in.

const CAROL_PASSWORD = 'carol-secret-4';

const setup = useHubBehindNginx(2, { authenticator: new RemoteUserLocalAuthenticator({ createUnknownUsers: false }) }, { users: { carol: CAROL_PASSWORD } });

describe('RemoteUserLocalAuthenticator behind nginx', () => {
  it('refuses carol, whom nginx knows but the hub has no account for, with a page that says why', async () => {
    const browser = browserVia(setup.nginx, 'carol', CAROL_PASSWORD);
    const login = await browser.get('/hub/login');
    expect(login.status).toBe(403);
    expect(login.headers.get('content-type')).toMatch(/^text\/html/);
    expect(login.body).toContain('You have no account on this hub yet: an administrator must add you.');
    expect(startsSession(login.setCookies)).toBe(false);
    expect((await browser.get('/hub/home')).status).toBe(302);
    expect(setup.hub.services.users.get('carol')).toBeUndefined();
  });

  it('lets carol in once an admin has added her', async () => {
    await setup.hub.services.userAdmin.add('carol', { admin: false }, 'test');
    const browser = browserVia(setup.nginx, 'carol', CAROL_PASSWORD);
    const login = await browser.get('/hub/login');
    expect(login.status, login.body).toBe(302);
    expect(startsSession(login.setCookies)).toBe(true);
    const home = await browser.get('/hub/home');
    expect(home.status).toBe(200);
    expect(home.body).toContain('You are signed in as <strong>carol</strong>');
  });
});
