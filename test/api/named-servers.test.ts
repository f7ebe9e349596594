import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { validateConfig } from '@gatehouse/hub';
import type { BrowserLikeClient } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs } from '../support/temp.ts';
import { isRunning, portBlock, suiteSpawner } from '../proxy/helpers.ts';
import { api, ensureUser, environmentOf, expectApiError, tokenFor, waitFor } from './helpers.ts';

/**
 * JupyterHub's named servers through the REST API and the proxy, with real demo-app processes: two
 * servers of one user side by side, each at its own prefix with its own token, one stopped while the
 * other serves, names checked, the per-user limit, `DELETE {"remove": true}`, and a hub restart that
 * re-attaches both.
 */

const PORTS = portBlock(19);
const NAMED = { enabled: true, limitPerUser: 2 };

let hub: TestHub;
let dataDir: string;
const tokens: Record<string, string> = {};
let aliceBrowser: BrowserLikeClient;
let bobBrowser: BrowserLikeClient;

function startHub(dir?: string): Promise<TestHub> {
  return startTestHub({
    adminUsers: ['admin'],
    serverPollInterval: 1,
    namedServers: NAMED,
    spawner: suiteSpawner(PORTS),
    ...(dir === undefined ? {} : { dataDir: dir }),
  });
}

beforeAll(async () => {
  hub = await startHub();
  dataDir = hub.dataDir;
  for (const name of ['admin', 'alice', 'bob']) tokens[name] = tokenFor(hub, name);
  aliceBrowser = await loginWithForm(hub.baseUrl, 'alice');
  bobBrowser = await loginWithForm(hub.baseUrl, 'bob');
});

afterAll(async () => {
  if (hub !== undefined) {
    const alice = ensureUser(hub, 'alice');
    await hub.services.servers.stopAll(alice);
    await hub.close();
  }
  cleanupTempDirs();
});

const call = (method: string, route: string, caller = 'alice', json?: unknown) => api(hub.baseUrl, method, route, { token: tokens[caller], ...(json === undefined ? {} : { json }) });

/** Starts alice's named server through the API and waits until it runs. */
async function startNamed(serverName: string): Promise<void> {
  const response = await call('POST', `/users/alice/servers/${serverName}`);
  expect(response.status, response.text).toBe(202);
  expect(response.json()).toMatchObject({ progress_url: `/hub/api/users/alice/servers/${serverName}/progress` });
  expect(await hub.services.servers.settled('alice', serverName)).toBe('running');
}

function pidOf(serverName: string): number {
  const pid = hub.services.serverRepository.get(ensureUser(hub, 'alice').id, serverName)?.handle?.state['pid'];
  expect(typeof pid).toBe('number');
  return pid as number;
}

describe('two named servers of one user', () => {
  it('run side by side, each with its own process, token, OAuth client and JUPYTERHUB_SERVER_NAME', async () => {
    await startNamed('lab');
    await startNamed('scratch');
    const [lab, scratch] = [pidOf('lab'), pidOf('scratch')];
    expect(lab).not.toBe(scratch);
    expect(environmentOf(lab, 'JUPYTERHUB_SERVER_NAME')).toBe('lab');
    expect(environmentOf(scratch, 'JUPYTERHUB_SERVER_NAME')).toBe('scratch');
    expect(environmentOf(lab, 'JUPYTERHUB_SERVICE_PREFIX')).toBe('/user/alice/lab/');
    expect(environmentOf(lab, 'JUPYTERHUB_CLIENT_ID')).not.toBe(environmentOf(scratch, 'JUPYTERHUB_CLIENT_ID'));
    const labToken = environmentOf(lab, 'JUPYTERHUB_API_TOKEN') as string;
    expect(labToken).not.toBe(environmentOf(scratch, 'JUPYTERHUB_API_TOKEN'));
    // Each token is scoped to its own server.
    const self = await api(hub.baseUrl, 'GET', '/user', { token: labToken });
    expect(self.json<{ scopes: string[] }>().scopes).toContain('access:servers!server=alice/lab');
    expect(self.json<{ scopes: string[] }>().scopes).not.toContain('access:servers!server=alice/scratch');
  });

  it('are listed in the user model with JupyterHub’s shape', async () => {
    const model = (await call('GET', '/users/alice')).json<{ server: string | null; servers: Record<string, Record<string, unknown>> }>();
    expect(model.server).toBeNull(); // the default server is not running
    expect(Object.keys(model.servers).sort()).toEqual(['lab', 'scratch']);
    expect(model.servers['lab']).toMatchObject({
      name: 'lab',
      ready: true,
      pending: null,
      stopped: false,
      url: '/user/alice/lab/',
      progress_url: '/hub/api/users/alice/servers/lab/progress',
      user_options: {},
    });
  });

  it('are each reached at their own prefix, by their owner only', async () => {
    for (const serverName of ['lab', 'scratch']) {
      const response = await aliceBrowser.get(`/user/alice/${serverName}/api/headers`);
      // The demo app answers only with its own server token, injected by the proxy for this route.
      expect(response.status, response.body).toBe(200);
      expect(response.json<{ url: string }>().url).toBe(`/user/alice/${serverName}/api/headers`);
      const refused = await bobBrowser.get(`/user/alice/${serverName}/api/headers`);
      expect(refused.status).toBe(403);
    }
    // The default server is not running: its prefix is not served by a named one.
    const other = await aliceBrowser.get('/user/alice/api/headers');
    expect(other.status).toBe(302);
    expect(other.headers.get('location')).toBe('/hub/user/alice/api/headers');
  });

  it('honour scopes filtered by server: a token for alice/lab reaches lab and not scratch', async () => {
    const labOnly = tokenFor(hub, 'alice', ['access:servers!server=alice/lab']);
    const headers = { authorization: `token ${labOnly}` };
    expect((await fetch(`${hub.baseUrl}/user/alice/lab/api`, { headers, redirect: 'manual' })).status).toBe(200);
    expect((await fetch(`${hub.baseUrl}/user/alice/scratch/api`, { headers, redirect: 'manual' })).status).toBe(403);
    const userWide = tokenFor(hub, 'alice', ['access:servers!user=alice']);
    expect((await fetch(`${hub.baseUrl}/user/alice/scratch/api`, { headers: { authorization: `token ${userWide}` }, redirect: 'manual' })).status).toBe(200);
  });

  it('keep activity per server: traffic and reports reach only the server they are for', async () => {
    const activityOf = async () =>
      (await call('GET', '/users/alice')).json<{ servers: Record<string, { last_activity: string | null }> }>().servers;
    expect((await aliceBrowser.get('/user/alice/scratch/api')).status).toBe(200);
    hub.services.activity.flush();
    const before = await activityOf();
    hub.clock.advance(60_000);
    expect((await aliceBrowser.get('/user/alice/lab/api')).status).toBe(200);
    hub.services.activity.flush();
    const after = await activityOf();
    expect(Date.parse(after['lab']?.last_activity ?? '')).toBe(hub.clock.now);
    expect(after['scratch']?.last_activity).toBe(before['scratch']?.last_activity);

    // lab's own token reports lab's activity (JupyterHub's activity API, keyed by server name).
    const labToken = environmentOf(pidOf('lab'), 'JUPYTERHUB_API_TOKEN') as string;
    const reported = new Date(Date.now() - 1000).toISOString();
    const response = await api(hub.baseUrl, 'POST', '/users/alice/activity', { token: labToken, json: { servers: { lab: { last_activity: reported } } } });
    expect(response.status, response.text).toBe(200);
    expect((await activityOf())['scratch']?.last_activity).toBe(before['scratch']?.last_activity);
  });

  it('stop one at a time: the other keeps serving', async () => {
    const scratchPid = pidOf('scratch');
    const labPid = pidOf('lab');
    expect((await call('DELETE', '/users/alice/servers/lab')).status).toBe(204);
    expect(isRunning(labPid)).toBe(false);
    expect(hub.services.servers.state('alice', 'scratch')).toBe('running');
    expect(isRunning(scratchPid)).toBe(true);
    expect((await aliceBrowser.get('/user/alice/scratch/api/headers')).status).toBe(200);
    // lab's record stays, stopped: listed with ?include_stopped_servers, not by default.
    const model = (await call('GET', '/users/alice')).json<{ servers: Record<string, unknown> }>();
    expect(Object.keys(model.servers)).toEqual(['scratch']);
    const all = (await call('GET', '/users/alice?include_stopped_servers')).json<{ servers: Record<string, Record<string, unknown>> }>();
    expect(all.servers['lab']).toMatchObject({ name: 'lab', ready: false, stopped: true });
  });
});

describe('rules', () => {
  it('refuse an invalid name with a 400 naming the rule, and start nothing', async () => {
    for (const bad of ['a%2Fb', '-x', 'a b', 'x'.repeat(64), '%C3%A9t%C3%A9']) {
      const response = await call('POST', `/users/alice/servers/${bad}`);
      expectApiError(response, 400, 'GATEHOUSE_ERR_INVALID_SERVER_NAME');
      expect(response.json<{ message: string }>().message).toMatch(/letters, digits, '\.', '_' and '-'.*no '\/'/);
    }
    expect(hub.services.servers.counts().pending).toBe(0);
  });

  it('refuse user options nobody validates (400 naming the key); accept {}', async () => {
    const refused = await call('POST', '/users/alice/servers/opts', 'alice', { cpus: 4 });
    expectApiError(refused, 400, 'GATEHOUSE_ERR_INVALID_USER_OPTIONS');
    expect(refused.json<{ message: string }>().message).toMatch(/^cpus: /);
    expect(hub.services.servers.state('alice', 'opts')).toBe('stopped');
  });

  it('limit named servers per user (stopped ones count); the default server does not', async () => {
    // alice has lab (stopped) and scratch (running): the limit of 2 is reached.
    const refused = await call('POST', '/users/alice/servers/third');
    expectApiError(refused, 400, 'GATEHOUSE_ERR_NAMED_SERVER_LIMIT');
    expect(refused.json<{ message: string }>().message).toBe('User alice already has the maximum of 2 named servers. One must be deleted before a new server can be created.');
    // Starting an existing one again is not a new server.
    await startNamed('lab');
  });

  it('refuse another user’s server to bob, and named servers when they are off', async () => {
    expectApiError(await call('POST', '/users/alice/servers/bobs', 'bob'), 403);
    const off = await startTestHub({ spawner: suiteSpawner(PORTS) });
    try {
      const token = tokenFor(off, 'alice');
      expectApiError(await api(off.baseUrl, 'POST', '/users/alice/servers/lab', { token }), 400, 'GATEHOUSE_ERR_NAMED_SERVERS_DISABLED');
    } finally {
      await off.close();
    }
  });

  it('validate namedServers in the config, naming the key', () => {
    const config = validateConfig({ authenticator: new DummyAuthenticator(), spawner: suiteSpawner(PORTS) });
    expect(config.namedServers).toEqual({ enabled: false, limitPerUser: 0 });
    const invalid = { authenticator: new DummyAuthenticator(), spawner: suiteSpawner(PORTS), namedServers: { enabled: true, limitPerUser: -1, extra: 1 } };
    expect(() => validateConfig(invalid)).toThrow(expect.objectContaining({ details: { problems: expect.arrayContaining([expect.stringMatching(/^namedServers\.limitPerUser: /), expect.stringMatching(/^namedServers\.extra: /)]) } }));
  });

  it('DELETE {"remove": true} stops and forgets a server, making room under the limit', async () => {
    const labPid = pidOf('lab');
    expect((await call('DELETE', '/users/alice/servers/lab', 'alice', { remove: true })).status).toBe(204);
    expect(isRunning(labPid)).toBe(false);
    expect(hub.services.serverRepository.get(ensureUser(hub, 'alice').id, 'lab')).toBeUndefined();
    const all = (await call('GET', '/users/alice?include_stopped_servers')).json<{ servers: Record<string, unknown> }>();
    expect(Object.keys(all.servers)).toEqual(['scratch']);
    expectApiError(await call('DELETE', '/users/alice/servers/lab', 'alice', { remove: true }), 404, 'GATEHOUSE_ERR_SERVER_NOT_FOUND');
    await startNamed('lab');
  });
});

describe('a hub restart', () => {
  it('re-attaches every named server, same processes, each at its own prefix', async () => {
    const pids = { lab: pidOf('lab'), scratch: pidOf('scratch') };
    await hub.close(); // stopServersOnShutdown is off: the servers keep running
    hub = await startHub(dataDir);
    for (const [serverName, pid] of Object.entries(pids)) {
      expect(hub.services.servers.state('alice', serverName)).toBe('running');
      expect(pidOf(serverName)).toBe(pid);
    }
    const browser = await loginWithForm(hub.baseUrl, 'alice');
    for (const serverName of Object.keys(pids)) {
      const response = await browser.get(`/user/alice/${serverName}/api/headers`);
      expect(response.status, response.body).toBe(200);
      expect(response.json<{ url: string }>().url).toBe(`/user/alice/${serverName}/api/headers`);
    }
    await hub.services.servers.stop(ensureUser(hub, 'alice'), 'lab');
    await waitFor('lab to be gone', () => !isRunning(pids.lab));
    expect(isRunning(pids.scratch)).toBe(true);
  });
});
