import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { runCli } from '../support/cli.ts';
import { loginWithForm } from '../support/login.ts';
import { tempDir } from '../support/temp.ts';
import { finishFile, isRunning, mintToken, portBlock, rawHttp, sessionCookieOf, startProxyHub, startServer, waitFor, writeCliConfig, type EchoedRequest, type RawResponse } from './helpers.ts';

// The proxy remembers who a session cookie or an API token belongs to (PrincipalCache), so that a proxied request
// costs no database reads. That memory must never outlive the truth: every way a session or a user
// can change — from this hub, from the command line in another process, or by the clock — must
// take effect on the very next proxied request, after the cache has been warmed on purpose.

const PORTS = portBlock(22);
let hub: TestHub;
let cliConfig: string;

beforeAll(async () => {
  const dir = tempDir('gatehouse-revocation-');
  cliConfig = writeCliConfig(dir, PORTS);
  hub = await startProxyHub(PORTS, { dataDir: path.join(dir, 'data'), adminUsers: ['root'], adminAccess: true, session: { idleTimeout: 180, maxAge: 3600 } });
});

afterAll(async () => finishFile(hub));

/** A proxied request to `owner`'s echo endpoint with `session` as the /user/ session cookie. */
function proxiedAs(session: string, owner: string): Promise<RawResponse> {
  return rawHttp(hub.baseUrl, 'GET', `/user/${owner}/api/headers`, [['Cookie', `gatehouse-user-session=${session}`]]);
}

/** Served by `owner`'s server (so the cookie was accepted), several times: the cache now holds the session. */
async function expectServedRepeatedly(session: string, owner: string): Promise<void> {
  for (let i = 0; i < 3; i += 1) {
    const response = await proxiedAs(session, owner);
    expect(response.status, response.body).toBe(200);
    expect(response.json<EchoedRequest>().user).toBe(owner);
  }
}

function expectSentToLogin(response: RawResponse): void {
  expect(response.status, response.body).toBe(302);
  expect(response.headers.get('location')).toMatch(/^\/hub\/login\?next=/);
}

async function loggedInWithServer(name: string): Promise<string> {
  const session = sessionCookieOf(await loginWithForm(hub.baseUrl, name));
  await startServer(hub, name);
  await expectServedRepeatedly(session, name);
  return session;
}

describe('a warmed session on the proxy path', () => {
  it('stops working on the next request after `gatehouse userdel` in another process', async () => {
    const session = await loggedInWithServer('carol');
    const result = await runCli(['userdel', 'carol', '--config', cliConfig, '--data-dir', hub.dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expectSentToLogin(await proxiedAs(session, 'carol'));
  });

  it('`gatehouse userdel` in another process stops the running server too: no orphaned process', async () => {
    await loggedInWithServer('nora');
    const pid = hub.services.serverRepository.get(hub.services.users.get('nora')?.id ?? -1)?.handle?.state['pid'];
    expect(typeof pid).toBe('number');
    expect(isRunning(pid as number)).toBe(true);
    const result = await runCli(['userdel', 'nora', '--config', cliConfig, '--data-dir', hub.dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(isRunning(pid as number)).toBe(false); // the command returns once the server is gone
    await waitFor("the hub to drop nora's route", () => (hub.services.servers.route('nora') === undefined ? true : undefined));
    expect(hub.services.servers.state('nora')).toBe('stopped');
  });

  it('stops working on the next request after the sessions are ended in the hub itself', async () => {
    const session = await loggedInWithServer('dave');
    expect(hub.services.sessions.destroyAllFor('dave')).toBeGreaterThan(0);
    expectSentToLogin(await proxiedAs(session, 'dave'));
  });

  it("loses an admin's reach into another server on the next request after the admin flag is removed", async () => {
    const erin = await loggedInWithServer('erin');
    const root = sessionCookieOf(await loginWithForm(hub.baseUrl, 'root'));
    await expectServedRepeatedly(root, 'erin'); // adminAccess: root may open erin's server
    hub.services.users.setAdmin('root', false);
    const refused = await proxiedAs(root, 'erin');
    expect(refused.status, refused.body).toBe(403);
    await expectServedRepeatedly(erin, 'erin');
  });

  it('expires by the clock (idle timeout) even while it is cached', async () => {
    const session = await loggedInWithServer('frank');
    hub.clock.advance(hub.services.sessions.lifetimes.idleTimeoutMs + 1_000);
    expectSentToLogin(await proxiedAs(session, 'frank'));
  });

  it('keeps its sliding expiry refreshed by proxied requests alone', async () => {
    const session = await loggedInWithServer('grace');
    const step = 45_000; // requests less than a touch interval apart, for two idle timeouts (180 s)
    for (let elapsed = 0; elapsed < 2 * hub.services.sessions.lifetimes.idleTimeoutMs; elapsed += step) {
      hub.clock.advance(step);
      expect((await proxiedAs(session, 'grace')).status).toBe(200);
    }
  });
});

/** A proxied request to `owner`'s echo endpoint authenticated by an API token. */
function proxiedWithToken(token: string, owner: string): Promise<RawResponse> {
  return rawHttp(hub.baseUrl, 'GET', `/user/${owner}/api/headers`, [['Authorization', `token ${token}`]]);
}

/** A token of `name`'s that has opened their server several times: the cache now holds it. */
async function warmedToken(name: string, expiresInSeconds?: number): Promise<{ token: string; id: number }> {
  await startServer(hub, name);
  const { token, row } = mintToken(hub, name, expiresInSeconds === undefined ? {} : { expiresInSeconds });
  for (let i = 0; i < 3; i += 1) {
    const response = await proxiedWithToken(token, name);
    expect(response.status, response.body).toBe(200);
    expect(response.json<EchoedRequest>().user).toBe(name);
  }
  return { token, id: row.id };
}

describe('a warmed API token on the proxy path', () => {
  it('stops working on the next request after it is revoked through the API', async () => {
    const { token, id } = await warmedToken('hank');
    const revoke = await rawHttp(hub.baseUrl, 'DELETE', `/hub/api/users/hank/tokens/a${id}`, [['Authorization', `token ${token}`]]);
    expect(revoke.status, revoke.body).toBe(204);
    expect((await proxiedWithToken(token, 'hank')).status).toBe(302); // a browser-like GET is sent to log in
  });

  it('stops working on the next request after `gatehouse userdel` of its owner in another process', async () => {
    const { token } = await warmedToken('ivy');
    const result = await runCli(['userdel', 'ivy', '--config', cliConfig, '--data-dir', hub.dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect((await proxiedWithToken(token, 'ivy')).status).toBe(302);
  });

  it('expires by the clock even while it is cached', async () => {
    const { token } = await warmedToken('jack', 60);
    hub.clock.advance(61_000);
    expect((await proxiedWithToken(token, 'jack')).status).toBe(302);
  });

  it('still records its last use when served from the cache', async () => {
    const { token, id } = await warmedToken('kate');
    hub.services.tokens.flushActivity();
    hub.clock.advance(5_000);
    expect((await proxiedWithToken(token, 'kate')).status).toBe(200);
    hub.services.tokens.flushActivity();
    expect(hub.services.tokens.get(id)?.lastActivity).toBe(new Date(hub.clock.now).toISOString());
  });
});
