import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { xsrfFromPage, type BrowserLikeClient } from '../support/browser-like-client.ts';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { tempDir } from '../support/temp.ts';
import {
  api,
  closeHub,
  ensureUser,
  finishFile,
  gatedDemoCommand,
  isRunning,
  mintToken,
  portBlock,
  rawHttp,
  readProgress,
  serverPid,
  startProxyHub,
  stopAllServers,
  suiteSpawner,
  type EchoedRequest,
} from './helpers.ts';

// Starting and stopping servers through the REST API and the pages, what a stopped server looks
// like through the proxy, and the limits on how many servers start or run at once.

let hub: TestHub;
let alice: BrowserLikeClient;
let bob: BrowserLikeClient;
let aliceToken: string;

beforeAll(async () => {
  hub = await startProxyHub(portBlock(4), { adminUsers: ['root'] });
  alice = await loginWithForm(hub.baseUrl, 'alice');
  bob = await loginWithForm(hub.baseUrl, 'bob');
  aliceToken = mintToken(hub, 'alice').token;
});

afterEach(async () => stopAllServers(hub));

afterAll(async () => finishFile(hub));

interface UserModel {
  server: string | null;
  pending: string | null;
  servers: Record<string, { ready: boolean; pending: string | null; url: string }>;
}

async function userModel(name: string, token = aliceToken): Promise<UserModel> {
  const response = await api(hub.baseUrl, 'GET', `/users/${name}`, token);
  expect(response.status).toBe(200);
  return response.json<UserModel>();
}

describe('through the REST API', () => {
  it('starts a server (202 + progress), proxies to it, and stops it (204) leaving no process', async () => {
    const started = await api(hub.baseUrl, 'POST', '/users/alice/server', aliceToken);
    expect(started.status).toBe(202);
    expect(started.json()).toEqual({ status: 'pending', progress_url: '/hub/api/users/alice/server/progress' });
    const events = await readProgress(hub.baseUrl, 'alice', { Authorization: `token ${aliceToken}` });
    expect(events.at(-1)).toMatchObject({ progress: 100, ready: true, url: '/user/alice/' });
    const progress = events.map((event) => event.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    expect(await userModel('alice')).toMatchObject({ server: '/user/alice/', pending: null, servers: { '': { ready: true, pending: null } } });
    const proxied = await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${aliceToken}`]]);
    expect(proxied.json<EchoedRequest>().user).toBe('alice');
    expect((await api(hub.baseUrl, 'POST', '/users/alice/server', aliceToken)).status).toBe(400); // already running

    const pid = serverPid(hub, 'alice');
    expect((await api(hub.baseUrl, 'DELETE', '/users/alice/server', aliceToken)).status).toBe(204);
    expect(isRunning(pid)).toBe(false);
    expect(hub.services.servers.route('alice')).toBeUndefined();
    expect(await userModel('alice')).toMatchObject({ server: null, pending: null, servers: {} });
    expect((await api(hub.baseUrl, 'DELETE', '/users/alice/server', aliceToken)).status).toBe(204); // stopping twice is fine
  });

  it("does not let bob start or stop alice's server", async () => {
    const bobToken = mintToken(hub, 'bob').token;
    expect((await api(hub.baseUrl, 'POST', '/users/alice/server', bobToken)).status).toBe(403);
    expect(hub.services.servers.state('alice')).toBe('stopped');
    hub.services.servers.start(ensureUser(hub, 'alice'));
    expect(await hub.services.servers.settled('alice')).toBe('running');
    expect((await api(hub.baseUrl, 'DELETE', '/users/alice/server', bobToken)).status).toBe(403);
    expect(hub.services.servers.state('alice')).toBe('running');
  });
});

describe('through the pages', () => {
  it('spawns from the form, shows spawn-pending, opens the server, and stops from the form', async () => {
    const spawn = await alice.request('POST', '/hub/spawn/alice', { form: { _xsrf: xsrfFromPage((await alice.get('/hub/home')).body) } });
    expect(spawn.status).toBe(302);
    expect(spawn.headers.get('location')).toBe('/hub/spawn-pending/alice');
    const pending = await alice.get('/hub/spawn-pending/alice');
    if (pending.status === 200) expect(pending.body).toContain('data-progress-url="/hub/api/users/alice/server/progress"');
    else expect(pending.headers.get('location')).toBe('/user/alice/'); // it was already up
    expect(await hub.services.servers.settled('alice')).toBe('running');
    const ready = await alice.get('/hub/spawn-pending/alice');
    expect(ready.status).toBe(302);
    expect(ready.headers.get('location')).toBe('/user/alice/');
    expect((await alice.get('/user/alice/api/headers')).json<EchoedRequest>().user).toBe('alice');

    const stop = await alice.request('POST', '/hub/stop/alice', { form: { _xsrf: xsrfFromPage((await alice.get('/hub/home')).body) } });
    expect(stop.status).toBe(302);
    expect(hub.services.servers.state('alice')).toBe('stopped');
  });

  it('refuses a spawn form without the XSRF token, or for somebody else', async () => {
    expect((await alice.request('POST', '/hub/spawn/alice', { form: {} })).status).toBe(403);
    const bobXsrf = xsrfFromPage((await bob.get('/hub/home')).body);
    expect((await bob.request('POST', '/hub/spawn/alice', { form: { _xsrf: bobXsrf } })).status).toBe(403);
    expect(hub.services.servers.state('alice')).toBe('stopped');
  });
});

describe('a stopped server seen through the proxy', () => {
  it("sends alice to /hub/user/alice/…, which answers 503 with a start button that works", async () => {
    const first = await alice.get('/user/alice/tree/notes.ipynb?kernel=1');
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/hub/user/alice/tree/notes.ipynb?kernel=1');
    const page = await alice.get(first.headers.get('location') ?? '');
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const form = /<form method="post" action="\/hub\/spawn\/alice">[\s\S]*?<\/form>/.exec(page.body);
    expect(form?.[0]).toContain('name="_xsrf"');
    const submitted = await alice.request('POST', '/hub/spawn/alice', { form: { _xsrf: xsrfFromPage(form?.[0] ?? '') } });
    expect(submitted.headers.get('location')).toBe('/hub/spawn-pending/alice');
    expect(await hub.services.servers.settled('alice')).toBe('running');
  });

  it('answers a POST with 503 instead of a redirect', async () => {
    const response = await rawHttp(hub.baseUrl, 'POST', '/user/alice/api/headers', [['Authorization', `token ${aliceToken}`]], '{}');
    expect(response.status).toBe(503);
    expect(response.json()).toMatchObject({ code: 'GATEHOUSE_ERR_SERVER_NOT_RUNNING' });
  });

  it('refuses bob (403) on both the proxy path and the hub page, and says 404 for an unknown user', async () => {
    expect((await bob.get('/user/alice/')).status).toBe(403);
    expect((await bob.get('/hub/user/alice/')).status).toBe(403);
    expect((await bob.get('/user/nobody/')).status).toBe(404);
    expect((await alice.get('/user/nobody/api/headers')).status).toBe(404);
  });
});

describe('twenty users at once', () => {
  it('start concurrently on twenty different ports, each serving its own user', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `user${String(i).padStart(2, '0')}`);
    const rootToken = mintToken(hub, 'root').token;
    for (const name of names) ensureUser(hub, name);
    const responses = await Promise.all(names.map((name) => api(hub.baseUrl, 'POST', `/users/${name}/server`, rootToken)));
    expect(responses.map((response) => response.status)).toEqual(names.map(() => 202));
    const states = await Promise.all(names.map((name) => hub.services.servers.settled(name)));
    expect(states).toEqual(names.map(() => 'running'));
    const ports = names.map((name) => hub.services.servers.route(name)?.port);
    expect(new Set(ports).size).toBe(names.length);
    const pids = names.map((name) => serverPid(hub, name));
    expect(new Set(pids).size).toBe(names.length);
    for (const name of names) {
      const response = await rawHttp(hub.baseUrl, 'GET', `/user/${name}/api/headers`, [['Authorization', `token ${mintToken(hub, name).token}`]]);
      expect(response.json<EchoedRequest>().user).toBe(name);
    }
    const stopped = await Promise.all(names.map((name) => api(hub.baseUrl, 'DELETE', `/users/${name}/server`, rootToken)));
    expect(stopped.map((response) => response.status)).toEqual(names.map(() => 204));
    expect(pids.filter(isRunning)).toEqual([]);
  }, 120_000);
});

describe('the line of starts', () => {
  let limited: TestHub;
  let gate: string;
  let rootToken: string;

  beforeAll(async () => {
    gate = path.join(tempDir('gatehouse-gate-'), 'open');
    const ports = portBlock(5);
    limited = await startProxyHub(ports, {
      adminUsers: ['root'],
      concurrentSpawnLimit: 1,
      spawnQueueLimit: 3,
      activeServerLimit: 5,
      namedServers: { enabled: true, limitPerUser: 0 },
      spawner: suiteSpawner(ports, { command: gatedDemoCommand(gate), startTimeout: 4 }),
    });
    rootToken = mintToken(limited, 'root').token;
    for (const name of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) ensureUser(limited, name);
  });

  afterEach(async () => {
    await stopAllServers(limited);
    rmSync(gate, { force: true });
  });

  afterAll(async () => closeHub(limited));

  const start = (name: string) => api(limited.baseUrl, 'POST', `/users/${name}/server`, rootToken);
  const messages = (name: string) => (limited.services.servers.progress(name)?.events ?? []).map((event) => event.message);

  function expectTooMany(response: Awaited<ReturnType<typeof api>>, code: string): void {
    expect(response.status, response.body).toBe(429);
    expect(response.json()).toMatchObject({ code });
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  }

  it('lets starts beyond concurrentSpawnLimit wait in line, first come first served, each told its place', async () => {
    expect((await start('u1')).status).toBe(202);
    expect((await start('u2')).status).toBe(202);
    expect((await start('u3')).status).toBe(202);
    expect(limited.services.servers.counts()).toMatchObject({ pending: 3, starting: 1, waiting: 2 });
    // Waiting is pending, as in JupyterHub's models: the person's page follows the progress stream.
    expect(limited.services.servers.state('u3')).toBe('pending');
    expect(messages('u2')).toContain('Waiting to start: you are next');
    expect(messages('u3')).toContain('Waiting to start: 1 start is ahead of you');
    // Only u1 runs its command: the others have not been launched at all.
    expect(limited.services.servers.progress('u2')?.events.some((event) => event.progress > 0)).toBe(false);

    writeFileSync(gate, '');
    const order: string[] = [];
    await Promise.all(['u1', 'u2', 'u3'].map(async (name) => {
      expect(await limited.services.servers.settled(name)).toBe('running');
      order.push(name);
    }));
    expect(order).toEqual(['u1', 'u2', 'u3']);
    // u3's place was told again as u2 went ahead of it.
    expect(messages('u3')).toContain('Waiting to start: you are next');
    const progress = await readProgress(limited.baseUrl, 'u3', { Authorization: `token ${rootToken}` });
    expect(progress.at(-1)).toMatchObject({ ready: true });
  });

  it('answers 429 with Retry-After when the line is full (spawnQueueLimit), and at the active server limit', async () => {
    for (const name of ['u1', 'u2', 'u3', 'u4']) expect((await start(name)).status).toBe(202);
    expect(limited.services.servers.counts()).toMatchObject({ starting: 1, waiting: 3 });
    expectTooMany(await start('u5'), 'GATEHOUSE_ERR_SPAWN_LIMIT');
    expect(limited.services.servers.state('u5')).toBe('stopped');

    writeFileSync(gate, '');
    for (const name of ['u1', 'u2', 'u3', 'u4']) expect(await limited.services.servers.settled(name)).toBe('running');
    expect((await start('u5')).status).toBe(202);
    expect(await limited.services.servers.settled('u5')).toBe('running');
    expectTooMany(await start('u6'), 'GATEHOUSE_ERR_ACTIVE_SERVER_LIMIT'); // 5 running = activeServerLimit
    expect(limited.services.servers.state('u6')).toBe('stopped');

    expect((await api(limited.baseUrl, 'DELETE', '/users/u1/server', rootToken)).status).toBe(204);
    expect((await start('u6')).status).toBe(202);
    expect(await limited.services.servers.settled('u6')).toBe('running');
  });

  it('lets one user hold at most two places in line, so one person with many named servers cannot fill it', async () => {
    expect((await start('u1')).status).toBe(202);
    expect((await start('u2')).status).toBe(202);
    expect((await api(limited.baseUrl, 'POST', '/users/u2/servers/a', rootToken)).status).toBe(202);
    const third = await api(limited.baseUrl, 'POST', '/users/u2/servers/b', rootToken);
    expectTooMany(third, 'GATEHOUSE_ERR_SPAWN_LIMIT');
    expect(third.json<{ message: string }>().message).toMatch(/u2 already has 2 servers waiting to start/);
    // Someone else still gets a place.
    expect((await start('u3')).status).toBe(202);
    expect(limited.services.servers.counts()).toMatchObject({ starting: 1, waiting: 3 });
    writeFileSync(gate, '');
    for (const [name, server] of [['u1', ''], ['u2', ''], ['u2', 'a'], ['u3', '']] as const) expect(await limited.services.servers.settled(name, server)).toBe('running');
  });

  it('lets a person leave the line (Stop), and the ones behind move up', async () => {
    for (const name of ['u1', 'u2', 'u3']) expect((await start(name)).status).toBe(202);
    expect((await api(limited.baseUrl, 'DELETE', '/users/u2/server', rootToken)).status).toBe(204);
    expect(limited.services.servers.state('u2')).toBe('stopped');
    expect(limited.services.servers.counts()).toMatchObject({ starting: 1, waiting: 1 });
    writeFileSync(gate, '');
    expect(await limited.services.servers.settled('u1')).toBe('running');
    expect(await limited.services.servers.settled('u3')).toBe('running');
    expect(limited.services.servers.progress('u2')?.events.at(-1)).toMatchObject({ failed: true });
  });

  it('counts startTimeout from a start\'s turn, not from when it joined the line', async () => {
    expect((await start('u1')).status).toBe(202);
    expect((await start('u2')).status).toBe(202);
    // u1 stays held at the gate until its own 4 s run out; u2 has then waited in line as long.
    expect(await limited.services.servers.settled('u1')).toBe('stopped');
    expect(limited.services.servers.lastProblem('u1')?.reason).toMatch(/did not start within 4 seconds/);
    writeFileSync(gate, '');
    expect(await limited.services.servers.settled('u2')).toBe('running');
  }, 30_000);
});
