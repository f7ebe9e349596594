import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAuthenticator } from '@gatehouse/authenticators';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { runCli } from '../support/cli.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { api, closeApiHub, expectApiError, OTHER_STRONG_PASSWORD, sessionUser, startApiHub, STRONG_PASSWORD, tryFormLogin, writeHubConfig } from './helpers.ts';

/**
 * The account commands run as child processes against the data dir of a running hub (local
 * accounts), and what they change is checked through the hub's login form and API.
 */

// The test package's own argon2: an independent check that a printed hash verifies.
const argon2 = createRequire(import.meta.url)('argon2') as { verify(hash: string, password: string): Promise<boolean> };

let hub: TestHub;
let config: string;
let dataDir: string;
let adminToken: string;

const cli = (args: string[], input?: string) => runCli([...args, '--config', config, '--data-dir', dataDir], input === undefined ? {} : { input });

/** The plain (non-JSON-log) lines of a command's stderr. */
const reasonLines = (stderr: string) => stderr.trim().split('\n').filter((line) => line !== '' && !line.startsWith('{'));

/** A local account made through the hub (not the command under test). */
async function addAccount(name: string, password = STRONG_PASSWORD): Promise<void> {
  await hub.services.userAdmin.add(name, { admin: false, password }, 'api-suite');
}

beforeAll(async () => {
  const dir = tempDir('gatehouse-cli-accounts-');
  dataDir = path.join(dir, 'data');
  config = writeHubConfig(dir, 'new LocalAuthenticator()');
  hub = await startApiHub({ authenticator: new LocalAuthenticator(), dataDir });
  await hub.services.userAdmin.resetPassword('admin', STRONG_PASSWORD, 'api-suite');
  adminToken = hub.services.tokens.mint({ userId: hub.services.users.get('admin')?.id ?? -1, kind: 'api', scopes: ['inherit'] }).token;
});

afterAll(async () => {
  await closeApiHub(hub);
  cleanupTempDirs();
});

describe('gatehouse useradd', () => {
  it('adds an account whose password then logs in', async () => {
    const result = await cli(['useradd', 'alice', '--password-stdin'], `${STRONG_PASSWORD}\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('Added alice.');
    expect(await sessionUser(await loginWithForm(hub.baseUrl, 'alice', STRONG_PASSWORD))).toBe('alice');
    expect((await tryFormLogin(hub.baseUrl, 'alice', `${STRONG_PASSWORD}x`)).response.status).toBe(403);
    expect((await api(hub.baseUrl, 'GET', '/users/alice', { token: adminToken })).json()).toMatchObject({ name: 'alice', admin: false });
  });

  it('prints a one-time setup link when there is no terminal to ask for a password', async () => {
    const result = await cli(['useradd', 'dora']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['Added dora.', 'Send dora this one-time link to choose their password (valid 24 hours):']);
    const link = new URL((lines[2] ?? '').trim());
    expect(link.pathname).toBe('/hub/setup');
    const page = await fetch(`${hub.baseUrl}${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('dora');
    expect(hub.services.accounts.get('dora')?.passwordHash).toBeNull();
  });

  it('refuses a weak password with a one-line reason, and adds nobody', async () => {
    const result = await cli(['useradd', 'bob', '--password-stdin'], 'password\n');
    expect(result.code).not.toBe(0);
    expect(reasonLines(result.stderr), result.stderr).toHaveLength(1);
    expect(reasonLines(result.stderr)[0]).toMatch(/^gatehouse: .*common/);
    expectApiError(await api(hub.baseUrl, 'GET', '/users/bob', { token: adminToken }), 404);
    expect(hub.services.accounts.get('bob')).toBeUndefined();
  });
});

describe('gatehouse passwd', () => {
  it("changes the password and ends the user's sessions", async () => {
    await addAccount('carol');
    const browser = await loginWithForm(hub.baseUrl, 'carol', STRONG_PASSWORD);
    expect(await sessionUser(browser)).toBe('carol');
    const result = await cli(['passwd', 'carol', '--password-stdin'], `${OTHER_STRONG_PASSWORD}\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(await sessionUser(browser)).toBeUndefined();
    expect((await tryFormLogin(hub.baseUrl, 'carol', STRONG_PASSWORD)).response.status).toBe(403);
    expect(await sessionUser(await loginWithForm(hub.baseUrl, 'carol', OTHER_STRONG_PASSWORD))).toBe('carol');
  });
});

describe('gatehouse userdel', () => {
  it("removes the user: their sessions and tokens stop working and the name is free", async () => {
    await addAccount('dave');
    const browser = await loginWithForm(hub.baseUrl, 'dave', STRONG_PASSWORD);
    const token = hub.services.tokens.mint({ userId: hub.services.users.get('dave')?.id ?? -1, kind: 'api', scopes: ['inherit'] }).token;
    expect((await api(hub.baseUrl, 'GET', '/users/dave', { token })).status).toBe(200);
    const result = await cli(['userdel', 'dave']);
    expect(result.code, result.stderr).toBe(0);
    expectApiError(await api(hub.baseUrl, 'GET', '/users/dave', { token }), 401);
    expect(await sessionUser(browser)).toBeUndefined();
    expect((await tryFormLogin(hub.baseUrl, 'dave', STRONG_PASSWORD)).response.status).toBe(403);
    expectApiError(await api(hub.baseUrl, 'GET', '/users/dave', { token: adminToken }), 404, 'GATEHOUSE_ERR_USER_NOT_FOUND');
  });
});

describe('gatehouse token', () => {
  it('prints one working token with its note and lifetime', async () => {
    await addAccount('erin');
    const result = await cli(['token', 'erin', '--note', 'x', '--expires-in', '60']);
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect((await api(hub.baseUrl, 'GET', '/user', { token })).json()).toMatchObject({ name: 'erin' });
    const listed = (await api(hub.baseUrl, 'GET', '/users/erin/tokens', { token })).json<{ api_tokens: Array<{ note: string; created: string; expires_at: string }> }>();
    const model = listed.api_tokens.find((candidate) => candidate.note === 'x');
    // created and expires_at come from two reads of the clock (token-store.ts mint), so allow a few ms.
    const lifetime = Date.parse(model?.expires_at ?? '') - Date.parse(model?.created ?? '');
    expect(lifetime).toBeGreaterThanOrEqual(60_000);
    expect(lifetime).toBeLessThan(60_100);
    // The command used the real clock; move the hub's clock just past the token's end.
    hub.clock.advance(Date.parse(model?.expires_at ?? '') - hub.clock.now + 1_000);
    expectApiError(await api(hub.baseUrl, 'GET', '/users/erin', { token }), 401);
  });

  it('refuses an unknown user with a one-line reason', async () => {
    const result = await cli(['token', 'nobody']);
    expect(result.code).not.toBe(0);
    expect(reasonLines(result.stderr)).toEqual([expect.stringMatching(/^gatehouse: .*nobody/)]);
    expect(result.stdout).not.toMatch(/gh_/);
  });
});

describe('gatehouse hash-password', () => {
  it('prints an argon2id hash in the standard encoding, which verifies the password', async () => {
    const result = await runCli(['hash-password', '--password-stdin'], { input: `${STRONG_PASSWORD}\n` });
    expect(result.code, result.stderr).toBe(0);
    const hash = result.stdout.trim();
    expect(await argon2.verify(hash, STRONG_PASSWORD)).toBe(true);
    expect(await argon2.verify(hash, OTHER_STRONG_PASSWORD)).toBe(false);
    // The reference encoding (libargon2's argon2_encode, and every verifier built on it) is m, t, p in that order.
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  });
});
