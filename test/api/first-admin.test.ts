import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliHub, type CliHub } from '../support/cli.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { allCommandLines, api, waitFor, openLink, sessionUser, STRONG_PASSWORD, submitSetup, tryFormLogin, writeHubConfig } from './helpers.ts';

/**
 * First start with local accounts: `gatehouse start` prints a one-time link where the first admin
 * chooses a password; the link logs them in once and is never printed again.
 */

let dir: string;
let config: string;
let hub: CliHub | undefined;
let setupUrl: string;

const start = () =>
  startCliHub(['--config', config, '--data-dir', path.join(dir, 'data'), '--port', '0'], { env: { GATEHOUSE_RUNTIME_DIR: path.join(dir, 'runtime') } });

/** Waits until the start banner is complete (its last line says what Ctrl-C does). */
const bannerOf = (started: CliHub) => waitFor('the start banner', () => (/^Press Ctrl-C/m.test(started.output()) ? started.output() : undefined));

beforeAll(async () => {
  dir = tempDir('gatehouse-first-admin-');
  config = writeHubConfig(dir, "new LocalAuthenticator({ signup: 'closed' })");
  hub = await start();
  const match = await waitFor('the setup link', () => /^\s+(http:\/\/\S+\/hub\/setup\?code=\S+)$/m.exec(hub?.output() ?? '')?.[1]);
  setupUrl = match;
});

afterAll(async () => {
  if (hub !== undefined) await hub.stop();
  cleanupTempDirs();
});

describe('the first-admin setup link', () => {
  it('is printed once, for this hub, and is on no command line', async () => {
    expect(setupUrl.startsWith(`${hub?.url}hub/setup?code=`)).toBe(true);
    expect(hub?.output().match(/setup\?code=/g)).toHaveLength(1);
    const code = new URL(setupUrl).searchParams.get('code') as string;
    for (const line of allCommandLines().values()) expect(line).not.toContain(code);
  });

  it('is no API token and no login token', async () => {
    const code = new URL(setupUrl).searchParams.get('code') as string;
    expect((await api(hub?.url.replace(/\/$/, '') ?? '', 'GET', '/user', { token: code })).status).toBe(403);
    const { client } = await openLink(`${hub?.url}hub/home?token=${code}`);
    expect(await sessionUser(client)).toBeUndefined();
  });

  it('is the only way in before it is used: the admin account has no password yet', async () => {
    for (const password of [STRONG_PASSWORD, 'admin', ' ']) {
      expect((await tryFormLogin(hub?.url ?? '', 'admin', password)).response.status).not.toBe(302);
    }
  });

  it('refuses weak or mismatched passwords with a message, and stays usable', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['short7!', 'short7!', /at least 8 characters/],
      ['password', 'password', /common/],
      [STRONG_PASSWORD, `${STRONG_PASSWORD}x`, /not the same/],
    ];
    for (const [password, confirm, message] of cases) {
      const { client, response: page } = await openLink(setupUrl);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.body).toContain('Welcome, admin');
      const refused = await submitSetup(client, page, password, confirm);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatch(message);
      expect(await sessionUser(client)).toBeUndefined();
    }
  });

  it('sets the password, logs the admin in, and then dies', async () => {
    const { client, response: page } = await openLink(setupUrl);
    const done = await submitSetup(client, page, STRONG_PASSWORD);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/hub/home');
    const self = await client.get('/hub/api/user');
    expect(self.json()).toMatchObject({ name: 'admin', admin: true });

    const reused = await openLink(setupUrl);
    expect(reused.response.status).toBe(403);
    expect(reused.response.body).toMatch(/not valid/);
    expect(await sessionUser(reused.client)).toBeUndefined();
    expect(await sessionUser(await loginWithForm(hub?.url ?? '', 'admin', STRONG_PASSWORD))).toBe('admin');
  });

  it('is not printed again after a restart', async () => {
    expect(await hub?.stop()).toBe(0);
    hub = await start();
    await bannerOf(hub);
    // The banner is written in one go before the hub serves anything: after a round trip it is all there.
    expect(await sessionUser(await loginWithForm(hub.url, 'admin', STRONG_PASSWORD))).toBe('admin');
    expect(hub.output()).not.toMatch(/setup\?code=/);
    expect(hub.output()).not.toMatch(/No administrator can sign in yet|no administrator can sign in yet/);
  });
});
