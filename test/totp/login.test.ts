import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAuthenticator } from '@gatehouse/authenticators';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs } from '../support/temp.ts';
import { newSessionId } from '../../packages/hub/src/db/sessions.ts';
import { secondFactorOf } from '../../packages/hub/src/totp/session-mark.ts';
import { codeStep, enrolThroughApi, isSignedIn, oathtoolCode, passwordStep, STEP_MS, toFreshStep } from './helpers.ts';

// Password + TOTP with a plain HTTP client, against a real hub whose clock the test moves.

let hub: TestHub;

beforeAll(async () => {
  hub = await startTestHub({ adminUsers: ['root'] });
});
afterAll(async () => {
  await hub.close();
  cleanupTempDirs();
});

function sessionData(of: TestHub, client: BrowserLikeClient): Record<string, unknown> {
  const record = of.services.sessions.lookup(client.cookie('gatehouse-session')?.value ?? '');
  if (record === undefined) throw new Error('no live session');
  return record.data;
}

async function enrolled(name: string) {
  toFreshStep(hub);
  const client = await loginWithForm(hub.baseUrl, name);
  const enrolment = await enrolThroughApi(hub, client, name);
  return { client, ...enrolment };
}

describe('sign-in with a second factor', () => {
  it('asks for the code after the password, and signs in with the code oathtool computes', async () => {
    const { secret, uri } = await enrolled('alice');
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(parsed.searchParams.get('secret')).toBe(secret);
    expect(Buffer.from(secret.replace(/=+$/, ''), 'ascii').length * 5).toBe(160);
    expect(hub.logs.text).not.toContain(secret);
    toFreshStep(hub);
    const client = await passwordStep(hub.baseUrl, 'alice', 'pw', '/hub/token');
    const done = await codeStep(client, oathtoolCode(secret, hub.clock.now));
    expect(done.status, done.body).toBe(302);
    expect(done.headers.get('location')).toBe('/hub/token');
    expect(await isSignedIn(client)).toBe(true);
    expect(client.cookie('gatehouse-login-pending')).toBeUndefined();
    // The session records the factor its login passed; a password-only session records none.
    expect(secondFactorOf(sessionData(hub, client))).toBe('totp');
    expect(secondFactorOf(sessionData(hub, await loginWithForm(hub.baseUrl, 'ursula')))).toBeUndefined();
  });

  it('refuses the same code a second time (sequentially)', async () => {
    const { secret } = await enrolled('bob');
    toFreshStep(hub);
    const code = oathtoolCode(secret, hub.clock.now);
    const first = await passwordStep(hub.baseUrl, 'bob');
    expect((await codeStep(first, code)).status).toBe(302);
    const second = await passwordStep(hub.baseUrl, 'bob');
    const replay = await codeStep(second, code);
    expect(replay.status).toBe(403);
    expect(replay.body).toContain('already been used');
    expect(await isSignedIn(second)).toBe(false);
  });

  it('two concurrent submissions of one valid code: exactly one session', async () => {
    const { secret } = await enrolled('carol');
    toFreshStep(hub);
    const code = oathtoolCode(secret, hub.clock.now);
    const browsers = await Promise.all([passwordStep(hub.baseUrl, 'carol'), passwordStep(hub.baseUrl, 'carol')]);
    const xsrfs = await Promise.all(browsers.map(async (client) => xsrfFromPage((await client.get('/hub/login/totp')).body)));
    const answers = await Promise.all(browsers.map((client, i) => client.request('POST', '/hub/login/totp', { form: { _xsrf: xsrfs[i] as string, code } })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 403]);
    expect((await Promise.all(browsers.map(isSignedIn))).filter(Boolean)).toHaveLength(1);
    // The same pending login submitted twice at once: one session, too.
    const again = await passwordStep(hub.baseUrl, 'carol');
    hub.clock.advance(STEP_MS);
    const next = oathtoolCode(secret, hub.clock.now);
    const xsrf = xsrfFromPage((await again.get('/hub/login/totp')).body);
    const twice = await Promise.all([0, 1].map(() => again.request('POST', '/hub/login/totp', { form: { _xsrf: xsrf, code: next } })));
    expect(twice.filter((answer) => answer.headers.get('location') === '/hub/home')).toHaveLength(1);
    expect(twice.flatMap((answer) => answer.setCookies).filter((line) => /^gatehouse-session=[^;]/.test(line))).toHaveLength(1);
  });

  it('accepts a code one step early or late and refuses two steps', async () => {
    const { secret } = await enrolled('dave');
    for (const [offset, accepted] of [[-1, true], [1, true], [-2, false], [2, false]] as const) {
      hub.clock.advance(5 * STEP_MS);
      const client = await passwordStep(hub.baseUrl, 'dave');
      const answer = await codeStep(client, oathtoolCode(secret, hub.clock.now, offset));
      expect(answer.status, `offset ${offset}`).toBe(accepted ? 302 : 403);
    }
  });

  it('takes a recovery code once, never twice', async () => {
    const { recoveryCodes } = await enrolled('erin');
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code.replaceAll('-', '')).toMatch(/^[a-z2-7]{16}$/);
    const used = recoveryCodes[3] as string;
    const first = await passwordStep(hub.baseUrl, 'erin');
    expect((await codeStep(first, used.toUpperCase())).status).toBe(302);
    const second = await passwordStep(hub.baseUrl, 'erin');
    expect((await codeStep(second, used)).status).toBe(403);
    expect(await isSignedIn(second)).toBe(false);
    const stored = hub.services.db.prepare('SELECT hash FROM totp_recovery_codes WHERE user_id = ?').all(hub.services.users.get('erin')?.id) as { hash: string }[];
    expect(stored.every((row) => row.hash.startsWith('$argon2id$'))).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(used.replaceAll('-', ''));
    for (const code of recoveryCodes) expect(hub.logs.text).not.toContain(code.replaceAll('-', '').slice(0, 8));
  });

  it('makes a new set of recovery codes on the account page after a current code; the old set is void', async () => {
    const { client, secret, recoveryCodes: old } = await enrolled('olga');
    const page = await client.get('/hub/account/totp');
    expect(page.body).toContain('10 unused recovery');
    hub.clock.advance(STEP_MS);
    const made = await client.request('POST', '/hub/account/totp/recovery-codes', { form: { _xsrf: xsrfFromPage(page.body), code: oathtoolCode(secret, hub.clock.now) } });
    expect(made.status).toBe(200);
    const fresh = [...made.body.matchAll(/<li><code>([a-z2-7-]+)<\/code><\/li>/g)].map((match) => match[1] as string);
    expect(fresh).toHaveLength(10);
    expect(fresh.some((code) => old.includes(code))).toBe(false);
    expect((await codeStep(await passwordStep(hub.baseUrl, 'olga'), old[0] as string)).status).toBe(403);
    expect((await codeStep(await passwordStep(hub.baseUrl, 'olga'), fresh[0] as string)).status).toBe(302);
  });

  it('keeps the secret sealed in the database', async () => {
    const { secret } = await enrolled('frank');
    const row = hub.services.db.prepare('SELECT sealed_secret FROM totp_secrets WHERE user_id = ?').get(hub.services.users.get('frank')?.id) as { sealed_secret: string };
    expect(row.sealed_secret.startsWith('v1.')).toBe(true);
    expect(row.sealed_secret).not.toContain(secret);
  });
});

describe('the REST API', () => {
  it('answers mistakes with their codes', async () => {
    toFreshStep(hub);
    const client = await loginWithForm(hub.baseUrl, 'quinn');
    const headers = { 'x-xsrftoken': xsrfFromPage((await client.get('/hub/home')).body) };
    const call = (method: string, path: string, json?: unknown) => client.request(method, `/hub/api/users/quinn/totp${path}`, { headers, ...(json === undefined ? {} : { json }) });
    expect((await call('POST', '/confirm', { code: '123456' })).json()).toMatchObject({ status: 409, code: 'GATEHOUSE_ERR_TOTP_NOT_SET_UP' });
    const { secret } = (await call('POST', '')).json<{ secret: string }>();
    expect((await call('POST', '/confirm', {})).json()).toMatchObject({ status: 400, code: 'GATEHOUSE_ERR_BAD_REQUEST' });
    expect((await call('POST', '/confirm', { code: '000000' === oathtoolCode(secret, hub.clock.now) ? '111111' : '000000' })).json()).toMatchObject({ status: 403, code: 'GATEHOUSE_ERR_TOTP_CODE_INVALID' });
    expect((await call('POST', '/confirm', { code: oathtoolCode(secret, hub.clock.now) })).status).toBe(200);
    expect((await call('POST', '')).json()).toMatchObject({ status: 409, code: 'GATEHOUSE_ERR_TOTP_ACTIVE' });
    expect((await call('POST', '/confirm', { code: oathtoolCode(secret, hub.clock.now) })).json()).toMatchObject({ status: 409, code: 'GATEHOUSE_ERR_TOTP_ACTIVE' });
    // Without the XSRF header a cookie-authenticated call changes nothing.
    expect((await client.request('DELETE', '/hub/api/users/quinn/totp', { json: { code: '123456' } })).status).toBe(403);
  });
});

describe('the pending state between the factors', () => {
  it('reaches no page, no API and no server', async () => {
    await enrolled('gina');
    const client = await passwordStep(hub.baseUrl, 'gina');
    for (const path of ['/hub/home', '/hub/token', '/hub/admin', '/hub/account/totp']) {
      const answer = await client.get(path);
      expect(answer.status, path).toBe(302);
      expect(answer.headers.get('location'), path).toMatch(/^\/hub\/login/);
    }
    expect((await client.get('/hub/api/user')).status).toBe(403);
    expect((await client.get('/hub/api/users/gina')).status).toBe(401);
    const server = await client.get('/user/gina/');
    expect([302, 401, 403]).toContain(server.status);
    expect(server.headers.get('location') ?? '').not.toContain('/user/gina/');
    // The pending cookie is scoped to the code page: the browser sends it nowhere else.
    expect(client.cookie('gatehouse-login-pending')?.path).toBe('/hub/login/totp');
    // The code form is XSRF-protected like every form.
    expect((await client.request('POST', '/hub/login/totp', { form: { code: '123456' } })).status).toBe(403);
  });

  it('expires after five minutes', async () => {
    const { secret } = await enrolled('hank');
    const client = await passwordStep(hub.baseUrl, 'hank');
    const page = await client.get('/hub/login/totp');
    hub.clock.advance(5 * 60_000 + 1000);
    const late = await client.request('POST', '/hub/login/totp', { form: { _xsrf: xsrfFromPage(page.body), code: oathtoolCode(secret, hub.clock.now) } });
    expect(late.status).toBe(302);
    expect(late.headers.get('location')).toBe('/hub/login');
    expect(await isSignedIn(client)).toBe(false);
  });
});

describe('removal and admin reset', () => {
  it('lets the user remove it with a current code, and an admin reset it (API, page)', async () => {
    const { client, secret } = await enrolled('ivan');
    const xsrf = xsrfFromPage((await client.get('/hub/home')).body);
    const wrong = await client.request('DELETE', '/hub/api/users/ivan/totp', { headers: { 'x-xsrftoken': xsrf }, json: { code: '000000' } });
    expect(wrong.status).toBe(403);
    hub.clock.advance(STEP_MS);
    const removed = await client.request('DELETE', '/hub/api/users/ivan/totp', { headers: { 'x-xsrftoken': xsrf }, json: { code: oathtoolCode(secret, hub.clock.now) } });
    expect(removed.status, removed.body).toBe(204);
    expect(await isSignedIn(await loginWithForm(hub.baseUrl, 'ivan'))).toBe(true);

    await enrolled('ivan');
    const admin = await loginWithForm(hub.baseUrl, 'root');
    const adminXsrf = xsrfFromPage((await admin.get('/hub/home')).body);
    const reset = await admin.request('DELETE', '/hub/api/users/ivan/totp', { headers: { 'x-xsrftoken': adminXsrf } });
    expect(reset.status, reset.body).toBe(204);
    expect(hub.logs.text).toMatch(/"username":"ivan".*"actor":"root".*second factor reset/);
    expect(await isSignedIn(await loginWithForm(hub.baseUrl, 'ivan'))).toBe(true);

    await enrolled('ivan');
    const adminPage = await admin.get('/hub/admin');
    expect(adminPage.body).toContain('/hub/admin/users/ivan/totp-reset');
    const viaPage = await admin.request('POST', '/hub/admin/users/ivan/totp-reset', { form: { _xsrf: xsrfFromPage(adminPage.body) } });
    expect(viaPage.status).toBe(302);
    expect(await isSignedIn(await loginWithForm(hub.baseUrl, 'ivan'))).toBe(true);
  });

  it('lets a pending login through once an admin has reset the factor (none being required)', async () => {
    await enrolled('pete');
    const pending = await passwordStep(hub.baseUrl, 'pete');
    hub.services.secondFactor.reset(hub.services.userAdmin.require('pete'), 'root');
    const page = await pending.get('/hub/login/totp');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/hub/home');
    expect(await isSignedIn(pending)).toBe(true);
  });

  it('refuses a reset of someone else by a non-admin', async () => {
    await enrolled('judy');
    const mallory = await loginWithForm(hub.baseUrl, 'mallory');
    const xsrf = xsrfFromPage((await mallory.get('/hub/home')).body);
    expect((await mallory.request('DELETE', '/hub/api/users/judy/totp', { headers: { 'x-xsrftoken': xsrf } })).status).toBe(403);
    expect((await mallory.request('POST', '/hub/api/users/judy/totp', { headers: { 'x-xsrftoken': xsrf } })).status).toBe(403);
  });
});

describe("totp.requiredFor: 'admins'", () => {
  let strict: TestHub;
  beforeAll(async () => {
    strict = await startTestHub({ totp: { requiredFor: 'admins' }, adminUsers: ['root'] });
  });
  afterAll(async () => {
    await strict.close();
  });

  it('sends an admin to set up the code before any session; a non-admin signs in with the password alone', async () => {
    const admin = await passwordStep(strict.baseUrl, 'root');
    const page = await admin.get('/hub/login/totp');
    expect(page.body).toContain('Set up your second factor');
    expect(await isSignedIn(admin)).toBe(false);
    expect(await isSignedIn(await loginWithForm(strict.baseUrl, 'nina'))).toBe(true);
  });

  it("ends a user's sessions when an admin makes them one, and logs who did", async () => {
    const boss = strict.services.userAdmin.create('boss', true, 'test');
    const { token } = strict.services.tokens.mint({ userId: boss.id, kind: 'api', scopes: ['inherit'] });
    const olga = await loginWithForm(strict.baseUrl, 'olga');
    expect(await isSignedIn(olga)).toBe(true);
    const patched = await fetch(`${strict.baseUrl}/hub/api/users/olga`, {
      method: 'PATCH',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ admin: true }),
    });
    expect(patched.status, await patched.text()).toBe(200);
    expect(await isSignedIn(olga)).toBe(false);
    const ended = strict.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['username'] === 'olga' && entry['sessions'] === 1);
    expect(ended?.['actor']).toBe('boss');
    // Her next sign-in asks for the code.
    expect(await (await passwordStep(strict.baseUrl, 'olga')).get('/hub/login/totp')).toMatchObject({ status: 200 });
  });

  it('ends the sessions of a user whom a login makes an admin (adminUsers), before the code is asked', async () => {
    if (strict.services.users.get('root') === undefined) strict.services.userAdmin.create('root', false, 'test');
    else strict.services.userAdmin.setAdmin('root', false, 'test');
    const earlier = newSessionId();
    strict.services.sessions.save(earlier, 'root', { username: 'root' });
    await passwordStep(strict.baseUrl, 'root');
    expect(strict.services.users.get('root')?.admin).toBe(true);
    expect(strict.services.sessions.lookup(earlier)).toBeUndefined();
  });
});

describe('lock after repeated wrong codes', () => {
  let local: TestHub;
  beforeAll(async () => {
    local = await startTestHub({ authenticator: new LocalAuthenticator({ throttle: { maxFailures: 3 } }), adminUsers: ['root'] });
  });
  afterAll(async () => {
    await local.close();
  });

  it('locks the account (for passwords too) with the password lock\'s message; a correct password buys no more guesses', async () => {
    const { userAdmin } = local.services;
    await userAdmin.add('kate', { admin: false, password: 'lantern-orbit-velvet-9' }, 'test');
    toFreshStep(local);
    const client = await loginWithForm(local.baseUrl, 'kate', 'lantern-orbit-velvet-9');
    const { secret } = await enrolThroughApi(local, client, 'kate');
    const pending = await passwordStep(local.baseUrl, 'kate', 'lantern-orbit-velvet-9');
    expect((await codeStep(pending, '000001')).status).toBe(403);
    expect((await codeStep(pending, '000002')).status).toBe(403);
    // The password again (it clears password failures), then a third wrong code: locked all the same.
    const again = await passwordStep(local.baseUrl, 'kate', 'lantern-orbit-velvet-9');
    const locked = await codeStep(again, '000003');
    expect(locked.status).toBe(429);
    expect(locked.body).toMatch(/Too many failed attempts. Try again in \d+ minutes?\./);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    local.clock.advance(STEP_MS);
    expect((await codeStep(again, oathtoolCode(secret, local.clock.now))).status).toBe(429);
    expect(await isSignedIn(again)).toBe(false);
  });

  it('counts wrong codes against the password lock: the password form locks too, with its usual message', async () => {
    await local.services.userAdmin.add('lena', { admin: false, password: 'quartz-meadow-ferry-41' }, 'test');
    const client = await loginWithForm(local.baseUrl, 'lena', 'quartz-meadow-ferry-41');
    await enrolThroughApi(local, client, 'lena');
    const pending = await passwordStep(local.baseUrl, 'lena', 'quartz-meadow-ferry-41');
    for (const code of ['000001', '000002']) expect((await codeStep(pending, code)).status).toBe(403);
    expect((await codeStep(pending, '000003')).status).toBe(429);
    const form = new BrowserLikeClient(local.baseUrl);
    const page = await form.get('/hub/login');
    const refused = await form.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username: 'lena', password: 'quartz-meadow-ferry-41' } });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/Too many failed attempts. Try again in \d+ minutes?\./);
  });
});
