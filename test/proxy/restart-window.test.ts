import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalProcessSpawner, type ServerHandle } from '@gatehouse/spawner';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { tempDir } from '../support/temp.ts';
import {
  finishFile,
  isRunning,
  mintToken,
  portBlock,
  rawHttp,
  serverPid,
  SERVER_MARKER,
  startServer,
  suiteSpawner,
  waitFor,
  type RawResponse,
} from './helpers.ts';

// The moments around a restart, made deterministic: a request that is in flight when the hub is
// told to stop, and requests that arrive while a restarted hub is still re-attaching its servers.
// Servers outlive the hub here (stopServersOnShutdown: false), as in production.

let restarted: TestHub | undefined;

afterAll(async () => finishFile(restarted));

function hubOn(block: number, overrides: Parameters<typeof startTestHub>[0] = {}): Promise<TestHub> {
  return startTestHub({ stopServersOnShutdown: false, serverPollInterval: 1, spawner: suiteSpawner(portBlock(block)), ...overrides });
}

/** Kills a server the hub left running, by its process group (the hub that started it is gone). */
async function killServerGroup(pid: number): Promise<void> {
  process.kill(-pid, 'SIGKILL');
  await waitFor(`server ${pid} to exit`, () => !isRunning(pid));
}

describe('stopping the hub', () => {
  it('lets a proxied request that is already in flight finish instead of answering 502', async () => {
    const marker = path.join(tempDir('gatehouse-inflight-'), 'arrived');
    // A server whose /slow answer takes 1.5 s, and which says when the request has reached it.
    const script = `const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
require('node:http').createServer((req, res) => {
  if (!req.url.includes('/slow')) return res.end('ok');
  require('node:fs').writeFileSync(${JSON.stringify(marker)}, '');
  setTimeout(() => res.end('slow answer'), 1500);
}).listen(Number(url.port), '127.0.0.1');`;
    const hub = await hubOn(13, { spawner: suiteSpawner(portBlock(13), { command: [process.execPath, '-e', script] }) });
    await startServer(hub, 'alice');
    const pid = serverPid(hub, 'alice');
    const token = mintToken(hub, 'alice').token;

    try {
      const inFlight = rawHttp(hub.baseUrl, 'GET', '/user/alice/slow', [['Authorization', `token ${token}`]]);
      await waitFor('the request to reach the server', () => existsSync(marker));
      void hub.close().catch(() => undefined); // whether close() itself succeeds is activity.test.ts's business
      const response = await inFlight;
      expect(response.status, response.body).toBe(200);
      expect(response.body).toBe('slow answer');
    } finally {
      await hub.close().catch(() => undefined);
      await killServerGroup(pid);
    }
  });
});

/** A spawner whose poll() takes 500 ms, as a spawner that asks a remote API (Docker, Kubernetes) does. */
class SlowPollSpawner extends LocalProcessSpawner {
  override async poll(handle: ServerHandle): Promise<'running' | 'stopped'> {
    await delay(500);
    return super.poll(handle);
  }
}

describe('starting the hub again', () => {
  it('does not answer for a running server until it has re-attached to it', async () => {
    const first = await hubOn(14);
    await startServer(first, 'alice');
    const pid = serverPid(first, 'alice');
    const token = mintToken(first, 'alice').token;
    await first.close();

    const outcomes: Array<number | RawResponse> = [];
    let restarting = true;
    const traffic = (async () => {
      while (restarting) {
        const outcome = await rawHttp(first.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${token}`]]).catch(() => -1);
        outcomes.push(outcome);
        if (outcome === -1) await delay(10); // connection refused: the hub is not listening yet; do not spin
      }
    })();
    try {
      restarted = await hubOn(14, {
        dataDir: first.dataDir,
        port: first.port,
        spawner: new SlowPollSpawner({ portRange: portBlock(14), args: [SERVER_MARKER] }),
      });
      expect(restarted.services.servers.route('alice')).toBeDefined();
      const before = outcomes.length;
      await waitFor('a request served after the restart', () => outcomes.slice(before).some((outcome) => typeof outcome !== 'number' && outcome.status === 200));
    } finally {
      restarting = false;
      await traffic;
      if (restarted === undefined) await killServerGroup(pid);
    }
    const answered = outcomes.filter((outcome): outcome is RawResponse => typeof outcome !== 'number');
    const wrong = answered.filter((response) => response.status !== 200).map((response) => `${response.status} ${response.headers.get('location') ?? response.body}`);
    expect({ count: wrong.length, kinds: [...new Set(wrong)] }).toEqual({ count: 0, kinds: [] });
    expect(isRunning(pid)).toBe(true);
  });
});
