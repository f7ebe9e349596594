import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserLikeClient } from '../support/browser-like-client.ts';
import { startCliHub, type CliHub } from '../support/cli.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import {
  isRunning,
  killLeftovers,
  portBlock,
  serverUser,
  startServerViaApi,
  waitFor,
  writeCliConfig,
  xsrfOf,
  type EchoedRequest,
} from './helpers.ts';

// Restart safety with the real CLI: `gatehouse start` is stopped with SIGTERM and started again on
// the same data dir and port while a browser keeps using alice's server through the proxy.

let dataDir: string;
let configFile: string;
let runtimeDir: string;
let hub: CliHub | undefined;
let port: string;
const serverPids = new Map<string, number>();
let alice: BrowserLikeClient;
let bob: BrowserLikeClient;

function startHub(portArgument: string): Promise<CliHub> {
  return startCliHub(['--config', configFile, '--data-dir', dataDir, '--port', portArgument], { env: { GATEHOUSE_RUNTIME_DIR: runtimeDir } });
}

/** SIGTERM; the exit code must be 0 (soft: the restart is still worth checking when it is not). */
async function stopHub(): Promise<void> {
  const running = hub;
  hub = undefined;
  if (running === undefined) return;
  const code = await running.stop();
  expect.soft(code, `gatehouse start exited with ${code}:\n${running.output().slice(-3000)}`).toBe(0);
}

beforeAll(async () => {
  const dir = tempDir('gatehouse-restart-');
  dataDir = path.join(dir, 'data');
  runtimeDir = path.join(dir, 'runtime');
  configFile = writeCliConfig(dir, portBlock(12));
  hub = await startHub('0');
  port = new URL(hub.url).port;
  alice = await loginWithForm(hub.url, 'alice');
  bob = await loginWithForm(hub.url, 'bob');
});

afterAll(async () => {
  await hub?.stop();
  hub = undefined;
  killLeftovers(serverPids.values());
  cleanupTempDirs();
});

/** A browser that keeps loading alice's page through the proxy, noting every outcome by the time it was sent. */
function trafficLoop(client: BrowserLikeClient) {
  const outcomes: Array<{ at: number; status: number | 'network-error'; detail: string }> = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const at = Date.now(); // when the request was sent
      try {
        const response = await client.get('/user/alice/api/headers');
        const detail = response.status === 200 ? response.json<EchoedRequest>().user : `${response.headers.get('location') ?? ''} ${response.body.slice(0, 200)}`;
        outcomes.push({ at, status: response.status, detail });
      } catch (error) {
        outcomes.push({ at, status: 'network-error', detail: String((error as Error).cause ?? error) });
        await delay(10); // like a browser, do not spin while the hub is down
      }
    }
  })();
  return {
    outcomes,
    okSince: (since: number) => outcomes.filter((outcome) => outcome.at >= since && outcome.status === 200).length,
    async stop() {
      running = false;
      await done;
    },
  };
}

describe('restarting the hub', () => {
  it("keeps alice's server (same pid), her session, and her traffic flowing", async () => {
    const alicePid = await startServerViaApi(alice, 'alice', hub?.process.pid ?? -1);
    const bobPid = await startServerViaApi(bob, 'bob', hub?.process.pid ?? -1);
    serverPids.set('alice', alicePid).set('bob', bobPid);
    const loop = trafficLoop(alice);
    let restartedAt = Number.POSITIVE_INFINITY;
    try {
      await waitFor('traffic through the first hub', () => loop.okSince(0) >= 5);
      await stopHub(); // a clean exit, not a crash
      expect(isRunning(alicePid)).toBe(true);

      process.kill(bobPid, 'SIGKILL'); // dies while nobody is watching
      await waitFor("bob's server to die", () => !isRunning(bobPid));

      hub = await startHub(port);
      expect(hub.url).toBe(`http://127.0.0.1:${port}/`);
      restartedAt = Date.now();
      await waitFor('traffic through the restarted hub', () => loop.okSince(restartedAt) >= 20, 15_000);
    } finally {
      await loop.stop();
    }
    // Once the restarted hub says it is running, every request is served by alice's old server.
    // (What happens in the seconds around the restart itself is pinned down in restart-window.test.ts.)
    const afterRestart = loop.outcomes.filter((outcome) => outcome.at >= restartedAt);
    expect(afterRestart.filter((outcome) => outcome.status !== 200 || outcome.detail !== 'alice')).toEqual([]);
    expect(isRunning(alicePid)).toBe(true);
    expect(serverUser(alicePid)).toBe('alice');
  }, 60_000);

  it('forgets a server that was killed while the hub was down', async () => {
    const model = await bob.get('/hub/api/users/bob');
    expect(model.status).toBe(200);
    expect(model.json()).toMatchObject({ server: null, pending: null, servers: {} });
    const proxied = await bob.get('/user/bob/api/headers');
    expect(proxied.status).toBe(302);
    expect(proxied.headers.get('location')).toBe('/hub/user/bob/api/headers');
  });

  it("still knows alice's server after the restart, and stops it for good", async () => {
    const alicePid = serverPids.get('alice') ?? -1;
    expect((await alice.get('/hub/api/users/alice')).json()).toMatchObject({ server: '/user/alice/' });
    const stopped = await alice.request('DELETE', '/hub/api/users/alice/server', { headers: { 'X-XSRFToken': await xsrfOf(alice) } });
    expect(stopped.status).toBe(204);
    expect(isRunning(alicePid)).toBe(false);
    await stopHub();
  });
});
