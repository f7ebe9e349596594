import { describe, expect, it } from 'vitest';
import { DummyAuthenticator, type AccountManagement } from '@gatehouse/authenticators';
import type { ServerHandle } from '@gatehouse/spawner';
import { crashFakeServer, FakeSpawner } from '@gatehouse/spawner/testing';
import { api, expectApiError, useApiHub, type ApiResponse } from './helpers.ts';

/**
 * What a failing request may tell its client: a 5xx written for the person (the proxy's "alice's
 * server is not running." / "did not answer.") reaches them; an internal fault's message never does.
 * Servers are FakeSpawner's in-process servers: no process is needed to see the proxy's answers.
 */

/** A FakeSpawner that keeps the handles it started, so a test can crash one behind the hub's back. */
class KeepingFakeSpawner extends FakeSpawner {
  readonly handles = new Map<string, ServerHandle>();
  override async start(...args: Parameters<FakeSpawner['start']>): Promise<ServerHandle> {
    const handle = await super.start(...args);
    this.handles.set(args[0].username, handle);
    return handle;
  }
}

const INTERNAL_DETAIL = 'account directory ldap://10.9.8.7 refused bind for cn=hub,secret=hunter2';

/** Keeps accounts in a directory that is down for writes: adding one with a password fails with an internal error. */
class UnreachableAccountsAuthenticator extends DummyAuthenticator {
  readonly accountManagement: AccountManagement = {
    usesPasswords: true,
    signup: 'closed',
    addAccount: async (_username, password) => {
      if (password !== null) throw new Error(INTERNAL_DETAIL);
      return { ok: true };
    },
    signUp: async () => ({ ok: false, message: 'closed' }),
    approve: async () => ({ ok: true }),
    setPassword: async () => ({ ok: true }),
    changePassword: async () => ({ ok: true }),
    removeAccount: async () => true,
  };
}

const spawner = new KeepingFakeSpawner();
// Polls rarely: a crashed server keeps its route, so the proxy itself meets the silence.
const fixture = useApiHub(['alice'], { spawner, serverPollInterval: 3600 });
const broken = useApiHub([], { authenticator: new UnreachableAccountsAuthenticator() });

/** A script's request through the proxy, with an API token. */
async function proxied(method: string, path: string, token: string): Promise<ApiResponse> {
  const response = await fetch(`${fixture.hub.baseUrl}${path}`, { method, headers: { authorization: `token ${token}` } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

describe('error messages a client may see', () => {
  it("a 503 written for the person reaches the API client: alice's server is not running", async () => {
    const response = await proxied('POST', '/user/alice/api/contents', fixture.token('alice'));

    expectApiError(response, 503, 'GATEHOUSE_ERR_SERVER_NOT_RUNNING');
    expect(response.json()['message']).toBe("alice's server is not running.");
  });

  it("a 502 from the proxy says whose server did not answer", async () => {
    const { hub } = fixture;
    const alice = hub.services.userAdmin.require('alice');
    hub.services.servers.start(alice);
    expect(await hub.services.servers.settled('alice')).toBe('running');
    expect((await proxied('GET', '/user/alice/api', fixture.token('alice'))).status).toBe(200);

    await crashFakeServer(spawner.handles.get('alice') as ServerHandle);
    const response = await proxied('GET', '/user/alice/api', fixture.token('alice'));

    expectApiError(response, 502, 'GATEHOUSE_ERR_PROXY_UPSTREAM');
    expect(response.json()['message']).toBe("alice's server did not answer.");
    await hub.services.servers.stop(alice);
  });

  it('an internal 500 gives the client the generic message and the log the detail', async () => {
    const response = await api(broken.hub.baseUrl, 'POST', '/users/zoe', { token: broken.token('admin'), json: { password: 'lantern-orbit-velvet-9' } });

    expectApiError(response, 500, 'GATEHOUSE_ERR_INTERNAL');
    expect(response.json()['message']).toBe('Internal server error');
    expect(response.text).not.toContain('10.9.8.7');
    expect(response.text).not.toContain('hunter2');
    expect(broken.hub.logs.text).toContain('10.9.8.7');
  });
});
