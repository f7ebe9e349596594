import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliHub } from '../support/cli.ts';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { tempDir } from '../support/temp.ts';
import {
  api,
  ensureUser,
  finishFile,
  killLeftovers,
  mintToken,
  openWebSocket,
  portBlock,
  rawHttp,
  rawWebSocket,
  sessionCookieOf,
  startProxyHub,
  startServer,
  startServerViaApi,
  waitFor,
  wsUrl,
  writeCliConfig,
  xsrfOf,
  type HeaderLine,
} from './helpers.ts';

// Proxied traffic is what makes a server "active" (culling depends on it). It is recorded in
// memory per request and written in batches; these tests read it back from the database and API.

let hub: TestHub;
let aliceCookie: HeaderLine;
let bobCookie: HeaderLine;
let aliceToken: string;

beforeAll(async () => {
  hub = await startProxyHub(portBlock(10));
  aliceCookie = ['Cookie', `gatehouse-user-session=${sessionCookieOf(await loginWithForm(hub.baseUrl, 'alice'))}`];
  bobCookie = ['Cookie', `gatehouse-user-session=${sessionCookieOf(await loginWithForm(hub.baseUrl, 'bob'))}`];
  aliceToken = mintToken(hub, 'alice').token;
  await startServer(hub, 'alice');
});

afterAll(async () => finishFile(hub));

/** Moves the hub's clock on a minute and returns the ISO time activity should now carry. */
function nextMinute(): string {
  hub.clock.advance(60_000);
  return new Date(hub.clock.now).toISOString();
}

/** A GET of alice's demo app through the proxy with `cookie`; returns the status. */
const proxiedGet = async (cookie: HeaderLine) => (await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [cookie])).status;

const serverActivity = () => hub.services.serverRepository.get(ensureUser(hub, 'alice').id)?.lastActivity;

interface UserModel {
  last_activity: string | null;
  servers: Record<string, { last_activity: string | null }>;
}

async function modelActivity(): Promise<{ user: string | null; server: string | null | undefined }> {
  const model = (await api(hub.baseUrl, 'GET', '/users/alice', aliceToken)).json<UserModel>();
  return { user: model.last_activity, server: model.servers['']?.last_activity };
}

describe('last_activity', () => {
  it("is set for alice and her server by a proxied HTTP request, once the batch is flushed", async () => {
    const at = nextMinute();
    expect(await proxiedGet(aliceCookie)).toBe(200);
    hub.services.activity.flush();
    expect(serverActivity()).toBe(at);
    expect(hub.services.users.get('alice')?.lastActivity).toBe(at);
    expect(await modelActivity()).toEqual({ user: at, server: at });
  });

  it('is not set by a WebSocket handshake alone, nor by pings, but by each message the browser sends', async () => {
    const before = nextMinute();
    expect(await proxiedGet(aliceCookie)).toBe(200);
    hub.services.activity.flush();
    nextMinute();
    expect((await rawWebSocket(hub.baseUrl, '/user/alice/ws', [aliceCookie])).status).toBe(101);
    const { socket } = await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'), { Cookie: aliceCookie[1] });
    if (socket === undefined) throw new Error('the WebSocket was refused');
    try {
      const pong = new Promise((resolve) => socket.once('pong', resolve));
      socket.ping();
      await pong; // the ping went through the proxy and back: no activity for it
      hub.services.activity.flush();
      expect(serverActivity()).toBe(before);
      const kinds = () => hub.services.activity.kinds.of('alice/');
      expect(kinds()?.websocketMessages ?? 0).toBe(0);

      const at = nextMinute();
      for (const text of ['one', 'two']) {
        const echoed = new Promise((resolve) => socket.once('message', resolve));
        socket.send(text);
        await echoed;
      }
      hub.services.activity.flush();
      expect(serverActivity()).toBe(at);
      expect(kinds()).toMatchObject({ websocket: hub.clock.now, websocketMessages: 2 });
    } finally {
      socket.close();
    }
  });

  it("is not touched by bob's refused request to alice's server", async () => {
    const before = nextMinute();
    expect(await proxiedGet(aliceCookie)).toBe(200);
    hub.services.activity.flush();
    nextMinute();
    expect(await proxiedGet(bobCookie)).toBe(403);
    expect((await rawWebSocket(hub.baseUrl, '/user/alice/ws', [bobCookie])).status).toBe(403);
    hub.services.activity.flush();
    expect(serverActivity()).toBe(before);
  });

  it("is written by the hub's own batch timer, without an explicit flush", async () => {
    const at = nextMinute();
    expect(await proxiedGet(aliceCookie)).toBe(200);
    await waitFor('the batched activity to reach the database', () => serverActivity() === at, 15_000);
    expect((await modelActivity()).server).toBe(at);
  }, 30_000);
});

describe('shutting down after proxied traffic', () => {
  it('flushes the pending activity and closes cleanly', async () => {
    const other = await startProxyHub(portBlock(11));
    const cookie: HeaderLine = ['Cookie', `gatehouse-user-session=${sessionCookieOf(await loginWithForm(other.baseUrl, 'carol'))}`];
    await startServer(other, 'carol');
    expect((await rawHttp(other.baseUrl, 'GET', '/user/carol/api/headers', [cookie])).status).toBe(200);
    const closing = other.close();
    await expect(closing).resolves.toBeUndefined();
    expect(other.services.servers.state('carol')).toBe('stopped');
  });
});

describe('the hub run by the CLI', () => {
  it('keeps running after proxied traffic, and its own timer writes last_activity', async () => {
    const dir = tempDir('gatehouse-cli-activity-');
    const hub = await startCliHub(['--config', writeCliConfig(dir, portBlock(15)), '--data-dir', `${dir}/data`, '--port', '0'], {
      env: { GATEHOUSE_RUNTIME_DIR: `${dir}/runtime` },
    });
    const alice = await loginWithForm(hub.url, 'alice');
    const pid = await startServerViaApi(alice, 'alice', hub.process.pid ?? -1);
    try {
      expect((await alice.get('/user/alice/api/headers')).status).toBe(200);
      const crashed = async (error: unknown): Promise<never> => {
        await waitFor('the hub to exit', () => hub.process.exitCode !== null, 2_000).catch(() => undefined);
        throw new Error(`the hub stopped answering (exit code ${hub.process.exitCode}):\n${hub.output().slice(-1500)}`, { cause: error });
      };
      await waitFor('last_activity from the batch timer', async () => {
        const model = await alice.get('/hub/api/users/alice').catch(crashed);
        return model.json<UserModel>().servers['']?.last_activity != null;
      }, 15_000);
      const stopped = await alice.request('DELETE', '/hub/api/users/alice/server', { headers: { 'X-XSRFToken': await xsrfOf(alice) } });
      expect(stopped.status).toBe(204);
      expect(await hub.stop()).toBe(0);
    } finally {
      await hub.stop();
      killLeftovers([pid]);
    }
  }, 30_000);
});
