import { describe, expect, it } from 'vitest';
import { RemoteUserAuthenticator } from '@gatehouse/authenticators';
import { xsrfFromPage } from '../support/browser-like-client.ts';
import { oathtoolCode, STEP_MS, toFreshStep } from '../totp/helpers.ts';
import { browserVia, startsSession, useHubBehindNginx } from './helpers.ts';

// Step-up for the remote-user family: nginx checks the password (basic auth) and names the user in
// Remote-User; the hub then asks for its own second factor before any session begins.

const PASSWORDS = { alice: 'alice-secret-1' };
const setup = useHubBehindNginx(4, { authenticator: new RemoteUserAuthenticator(), totp: { requiredFor: 'everyone' } }, { users: PASSWORDS });

describe('remote-user login with a second factor', () => {
  it('asks for the code after the header; nothing is reachable before it; a later login needs the next code', async () => {
    const browser = browserVia(setup.nginx, 'alice', PASSWORDS.alice);
    const login = await browser.get('/hub/login');
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/hub/login/totp');
    expect(startsSession(login.setCookies)).toBe(false);
    for (const path of ['/hub/home', '/hub/api/user', '/user/alice/']) expect((await browser.get(path)).status, path).not.toBe(200);

    const page = await browser.get('/hub/login/totp');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.body)?.[1] as string;
    toFreshStep(setup.hub);
    const enrolled = await browser.request('POST', '/hub/login/totp', { form: { _xsrf: xsrfFromPage(page.body), code: oathtoolCode(secret, setup.hub.clock.now) } });
    expect(enrolled.status, enrolled.body).toBe(200);
    expect(startsSession(enrolled.setCookies)).toBe(true);
    expect((await browser.get('/hub/home')).status).toBe(200);

    // Another browser with the right basic-auth password still needs the code (and not the used one).
    const other = browserVia(setup.nginx, 'alice', PASSWORDS.alice);
    expect((await other.get('/hub/login')).headers.get('location')).toBe('/hub/login/totp');
    const codePage = await other.get('/hub/login/totp');
    expect(codePage.body).not.toContain('totp-secret');
    const replay = await other.request('POST', '/hub/login/totp', { form: { _xsrf: xsrfFromPage(codePage.body), code: oathtoolCode(secret, setup.hub.clock.now) } });
    expect(replay.status).toBe(403);
    setup.hub.clock.advance(STEP_MS);
    const done = await other.request('POST', '/hub/login/totp', { form: { _xsrf: xsrfFromPage(codePage.body), code: oathtoolCode(secret, setup.hub.clock.now) } });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/hub/home');
    expect((await other.get('/hub/home')).status).toBe(200);
  });
});
