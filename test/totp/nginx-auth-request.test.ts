import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { hubSocketPath, replaceOnce, socketFrontProxy, startNginxSite, stopEveryNginx, type RunningNginx } from '../nginx/helpers.ts';
import { oathtoolCode, STEP_MS, toFreshStep } from './helpers.ts';

// docs/nginx-auth-request.conf with real nginx: a static site and a second app behind the hub's
// login (password + TOTP), and GET /hub/auth's own rules asked directly.

const DOC_PATH = path.resolve(import.meta.dirname, '../../docs/nginx-auth-request.conf');
const SITE_TEXT = 'The static site, for signed-in people only';

let hub: TestHub;
let nginx: RunningNginx;
let app: http.Server;

beforeAll(async () => {
  const socketPath = hubSocketPath();
  hub = await startTestHub({
    frontProxy: socketFrontProxy(socketPath),
    authRequest: { cookiePaths: ['/site/', '/app/'] },
    totp: { requiredFor: 'everyone' },
    adminUsers: ['root'],
  });
  app = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, user: req.headers['x-auth-request-user'] ?? null, remoteUser: req.headers['remote-user'] ?? null }));
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  // nginx's workers run as their own user (www-data under root): the site must be world-readable.
  const siteDir = tempDir('gatehouse-site-');
  chmodSync(siteDir, 0o755);
  mkdirSync(path.join(siteDir, 'site'), { mode: 0o755 });
  writeFileSync(path.join(siteDir, 'site', 'index.html'), `<!doctype html><title>Site</title><p>${SITE_TEXT}</p>\n`, { mode: 0o644 });
  nginx = await startNginxSite((_dir, port) => {
    let conf = replaceOnce(readFileSync(DOC_PATH, 'utf8'), 'listen 80;', `listen 127.0.0.1:${port};`);
    conf = replaceOnce(conf, 'server unix:/run/gatehouse/proxy.sock;', `server unix:${socketPath};`);
    conf = replaceOnce(conf, 'server 127.0.0.1:9000;', `server 127.0.0.1:${(app.address() as AddressInfo).port};`);
    return replaceOnce(conf, 'alias /var/www/site/;', `alias ${siteDir}/site/;`);
  });
});

afterAll(async () => {
  await stopEveryNginx();
  await new Promise((resolve) => app.close(resolve));
  await hub.close();
  cleanupTempDirs();
});

/** Signs `name` in through nginx: the password, then (first time) the enrolment on the code page, confirmed with oathtool. */
async function signInThroughNginx(client: BrowserLikeClient, name: string, next: string): Promise<string> {
  const form = await client.get(`/hub/login?next=${encodeURIComponent(next)}`);
  const first = await client.request('POST', `/hub/login?next=${encodeURIComponent(next)}`, { form: { _xsrf: xsrfFromPage(form.body), username: name, password: 'pw' } });
  expect(first.status, first.body).toBe(302);
  expect(first.headers.get('location')).toBe('/hub/login/totp');
  // Between the factors nothing is let through.
  expect((await client.get(next)).status).toBe(302);
  const page = await client.get('/hub/login/totp');
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.body)?.[1] as string;
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  toFreshStep(hub);
  const done = await client.request('POST', '/hub/login/totp', { form: { _xsrf: xsrfFromPage(page.body), code: oathtoolCode(secret, hub.clock.now) } });
  expect(done.status, done.body).toBe(200);
  expect(done.body).toContain(`href="${next}"`);
  return secret;
}

describe('nginx auth_request in front of a static site and a second app', () => {
  it('signed out → the hub\'s login; signed in with TOTP → content; signed out → refused on the very next request', async () => {
    const client = new BrowserLikeClient(nginx.baseUrl);
    const host = new URL(nginx.baseUrl).host;
    const out = await client.get('/site/');
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe(`http://${host}/hub/login?next=%2Fsite%2F`);
    expect((await client.get('/app/hello?x=1&y=2')).headers.get('location')).toBe(`http://${host}/hub/login?next=%2Fapp%2Fhello%3Fx%3D1%26y%3D2`);

    await signInThroughNginx(client, 'alice', '/site/');
    expect(client.cookie('gatehouse-auth', '/site/')).toBeDefined();
    expect(client.cookie('gatehouse-auth', '/app/')?.value).toBe(client.cookie('gatehouse-auth', '/site/')?.value);
    expect(client.cookie('gatehouse-session')?.path).toBe('/hub/');
    expect(client.cookie('gatehouse-auth')?.value).not.toBe(client.cookie('gatehouse-session')?.value);

    const site = await client.get('/site/');
    expect(site.status).toBe(200);
    expect(site.body).toContain(SITE_TEXT);
    const fromApp = await client.get('/app/hello', { 'x-auth-request-user': 'root', 'remote-user': 'root' });
    expect(fromApp.status).toBe(200);
    expect(fromApp.json()).toEqual({ path: '/app/hello', user: 'alice', remoteUser: 'alice' });

    const kept = client.cookie('gatehouse-auth', '/site/')?.value as string;
    const home = await client.get('/hub/home');
    const logout = await client.request('POST', '/hub/logout', { form: { _xsrf: xsrfFromPage(home.body) } });
    expect(logout.status).toBe(302);
    expect(client.cookie('gatehouse-auth', '/site/')).toBeUndefined();
    expect((await client.get('/site/')).status).toBe(302);
    // A copy of the cookie kept from before the logout is refused as well.
    client.setCookie('gatehouse-auth', kept, '/app/');
    expect((await client.get('/app/hello')).status).toBe(302);
  });

  it('does not let a browser call /hub/auth through nginx', async () => {
    expect((await new BrowserLikeClient(nginx.baseUrl).get('/hub/auth')).status).toBe(404);
  });
});

describe('GET /hub/auth', () => {
  let cookie: string;
  beforeAll(async () => {
    const client = new BrowserLikeClient(nginx.baseUrl);
    hub.clock.advance(STEP_MS);
    await signInThroughNginx(client, 'bob', '/app/');
    cookie = `gatehouse-auth=${client.cookie('gatehouse-auth', '/app/')?.value}`;
  });

  const ask = (query: string, headers: Record<string, string> = {}) => fetch(`${hub.baseUrl}/hub/auth${query}`, { headers, redirect: 'manual' });

  it('answers 200 with the user for the cookie, 403 outside ?user= or ?admin=1', async () => {
    const ok = await ask('', { cookie });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-auth-request-user')).toBe('bob');
    expect(ok.headers.get('remote-user')).toBe('bob');
    expect((await ask('?user=alice,BOB', { cookie })).status).toBe(200);
    expect((await ask('?user=alice', { cookie })).status).toBe(403);
    expect((await ask('?admin=1', { cookie })).status).toBe(403);
  });

  it('takes an API token instead of the cookie', async () => {
    const user = hub.services.users.get('root') ?? hub.services.users.recordLogin('root', true);
    const { token } = hub.services.tokens.mint({ userId: user.id, kind: 'api', scopes: ['inherit'], note: 'auth_request test' });
    const asRoot = await ask('?admin=1', { authorization: `token ${token}` });
    expect(asRoot.status).toBe(200);
    expect(asRoot.headers.get('x-auth-request-user')).toBe('root');
    expect((await ask('', { authorization: 'token not-a-token' })).status).toBe(401);
  });

  it('sends the browser back only to a path on this host', async () => {
    for (const [original, next] of [
      ['/app/x?a=1', '/app/x?a=1'],
      ['//evil.example/steal', '/hub/home'],
      ['https://evil.example/', '/hub/home'],
      ['/\\evil.example', '/hub/home'],
    ] as const) {
      const refused = await ask('', { 'x-original-uri': original });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('location')).toBe(`/hub/login?next=${encodeURIComponent(next)}`);
    }
  });
});
