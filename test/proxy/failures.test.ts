import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import type { BrowserLikeClient } from '../support/browser-like-client.ts';
import {
  api,
  childProcesses,
  closeHub,
  ensureUser,
  finishFile,
  isRunning,
  mintToken,
  portBlock,
  readProgress,
  serverPid,
  startProxyHub,
  startServer,
  suiteSpawner,
  waitFor,
  type EchoedRequest,
  type ProgressEvent,
} from './helpers.ts';

// Servers that fail to start, and servers that die: the hub must say why, leave nothing behind,
// and never keep a route (or a pending state) for a server that is not there.

afterAll(async () => finishFile());

/** A hub whose spawner runs `command` (plus options), with alice's API token. */
async function hubWith(block: number, options: Parameters<typeof suiteSpawner>[1]): Promise<{ hub: TestHub; token: string }> {
  const hub = await startProxyHub(portBlock(block), { spawner: suiteSpawner(portBlock(block), options) });
  return { hub, token: mintToken(hub, 'alice').token };
}

/** Starts alice's server through the API and returns its progress events (until the terminal one). */
async function startThroughApi(hub: TestHub, token: string): Promise<ProgressEvent[]> {
  expect((await api(hub.baseUrl, 'POST', '/users/alice/server', token)).status).toBe(202);
  return readProgress(hub.baseUrl, 'alice', { Authorization: `token ${token}` });
}

/** The pid the spawner reported in its "Process started (pid N)" progress event. */
function startedPid(events: readonly ProgressEvent[]): number {
  const match = events.map((event) => /\(pid (\d+)\)/.exec(event.message)).find((found) => found !== null);
  if (match?.[1] === undefined) throw new Error(`no pid in progress: ${JSON.stringify(events)}`);
  return Number(match[1]);
}

/** Nothing left of a failed start: not pending, no route, no server in the API, no row, no zombie. */
async function expectNoServer(hub: TestHub, token: string): Promise<void> {
  expect(hub.services.servers.state('alice')).toBe('stopped');
  expect(hub.services.servers.route('alice')).toBeUndefined();
  expect(hub.services.serverRepository.get(ensureUser(hub, 'alice').id)).toBeUndefined();
  const model = await api(hub.baseUrl, 'GET', '/users/alice', token);
  expect(model.json()).toMatchObject({ server: null, pending: null, servers: {} });
  expect(childProcesses().filter((child) => child.state === 'Z')).toEqual([]);
}

describe('a server command that exits at once', () => {
  let hub: TestHub;
  let token: string;
  beforeAll(async () => ({ hub, token } = await hubWith(6, { command: [process.execPath, '-e', 'process.exit(3)'] })));
  afterAll(async () => closeHub(hub));

  it('ends the progress stream with a failed event that gives the exit code', async () => {
    const events = await startThroughApi(hub, token);
    const last = events.at(-1);
    expect(last).toMatchObject({ progress: 100, failed: true });
    expect(last?.message).toMatch(/^Spawn failed: .*exited with code 3/);
    expect(events.filter((event) => event.failed === true)).toHaveLength(1);
  });

  it('leaves no process, no zombie and no pending state, and the failure can be read again', async () => {
    await expectNoServer(hub, token);
    const replay = await readProgress(hub.baseUrl, 'alice', { Authorization: `token ${token}` });
    expect(replay.at(-1)?.message).toMatch(/exited with code 3/);
  });

  it('may be retried at once, and fails the same way again', async () => {
    const events = await startThroughApi(hub, token);
    expect(events.at(-1)?.message).toMatch(/exited with code 3/);
    await expectNoServer(hub, token);
  });

  it('sends alice to the start page, not to a dead route', async () => {
    const alice = await loginWithForm(hub.baseUrl, 'alice');
    const response = await alice.get('/user/alice/');
    expect(response.headers.get('location')).toBe('/hub/user/alice/');
  });
});

describe('a server that never answers HTTP', () => {
  const neverReady = [process.execPath, '-e', 'setInterval(() => {}, 1000)'];

  it('fails after spawner.httpTimeout, saying so, and the process is gone', async () => {
    const { hub, token } = await hubWith(7, { command: neverReady, httpTimeout: 1 });
    try {
      const events = await startThroughApi(hub, token);
      expect(events.at(-1)).toMatchObject({ failed: true });
      expect(events.at(-1)?.message).toMatch(/did not answer at http:\/\/127\.0\.0\.1:\d+\/user\/alice\/ within spawner\.httpTimeout \(1 s\)/);
      expect(isRunning(startedPid(events))).toBe(false);
      await expectNoServer(hub, token);
    } finally {
      await closeHub(hub);
    }
  });

  it('fails after spawner.startTimeout, saying so, and the process is gone', async () => {
    const { hub, token } = await hubWith(8, { command: neverReady, httpTimeout: 60, startTimeout: 1 });
    try {
      const began = Date.now();
      const events = await startThroughApi(hub, token);
      expect(Date.now() - began).toBeLessThan(10_000);
      expect(events.at(-1)).toMatchObject({ failed: true });
      expect(events.at(-1)?.message, JSON.stringify(events)).toMatch(/startTimeout \(1 s\)|did not start within 1 seconds/);
      expect(isRunning(startedPid(events))).toBe(false);
      await expectNoServer(hub, token);
    } finally {
      await closeHub(hub);
    }
  });
});

describe('a server killed with SIGKILL', () => {
  let hub: TestHub;
  let alice: BrowserLikeClient;
  let token: string;
  beforeAll(async () => {
    ({ hub, token } = await hubWith(9, {}));
    alice = await loginWithForm(hub.baseUrl, 'alice');
  });
  afterEach(async () => hub.services.servers.stop(ensureUser(hub, 'alice')));
  afterAll(async () => closeHub(hub));

  it('loses its route within 5 s (serverPollInterval: 1), and the proxy stops forwarding to it', async () => {
    await startServer(hub, 'alice');
    expect((await alice.get('/user/alice/api/headers')).json<EchoedRequest>().user).toBe('alice');
    const pid = serverPid(hub, 'alice');
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();

    // Until the poll notices, a request may reach the dead port: a clean 502 that leaks nothing.
    const early = await alice.get('/user/alice/api/headers');
    if (early.status === 502) {
      expect(early.json()).toEqual({ status: 502, code: 'GATEHOUSE_ERR_PROXY_UPSTREAM', message: "alice's server did not answer." });
    } else {
      expect(early.status).toBe(302);
    }

    await waitFor('the route to disappear', () => hub.services.servers.route('alice') === undefined, 5_000);
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    const after = await alice.get('/user/alice/api/headers');
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toBe('/hub/user/alice/api/headers');
    expect((await api(hub.baseUrl, 'GET', '/users/alice', token)).json()).toMatchObject({ server: null, servers: {} });
    expect(childProcesses().filter((child) => child.pid === pid)).toEqual([]); // reaped, not a zombie
  });

  it('can be started again afterwards, as a new process', async () => {
    await startServer(hub, 'alice');
    const first = serverPid(hub, 'alice');
    process.kill(first, 'SIGKILL');
    await waitFor('the route to disappear', () => hub.services.servers.route('alice') === undefined, 5_000);
    await startServer(hub, 'alice');
    expect(serverPid(hub, 'alice')).not.toBe(first);
    expect((await alice.get('/user/alice/api/headers')).json<EchoedRequest>().user).toBe('alice');
  });
});
