import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import {
  ensureUser,
  finishFile,
  mintToken,
  openWebSocket,
  portBlock,
  rawHttp,
  rawWebSocket,
  sessionCookieOf,
  startProxyHub,
  startServer,
  wsUrl,
  type EchoedRequest,
  type HeaderLine,
} from './helpers.ts';

// Who else may reach alice's server: cross-origin pages (no), admins (only with adminAccess),
// other users' servers (no), and anything that connects to her server's port directly (no).

let hub: TestHub;
let adminAccessHub: TestHub;
const sessions: Record<string, string> = {};

beforeAll(async () => {
  [hub, adminAccessHub] = await Promise.all([
    startProxyHub(portBlock(2), { adminUsers: ['root'] }),
    startProxyHub(portBlock(3), { adminUsers: ['root'], adminAccess: true }),
  ]);
  for (const name of ['alice', 'bob', 'root']) sessions[name] = sessionCookieOf(await loginWithForm(hub.baseUrl, name));
  for (const name of ['alice', 'bob', 'root']) sessions[`${name}@adminAccess`] = sessionCookieOf(await loginWithForm(adminAccessHub.baseUrl, name));
  await Promise.all([startServer(hub, 'alice'), startServer(hub, 'bob'), startServer(adminAccessHub, 'alice')]);
});

afterAll(async () => finishFile(hub, adminAccessHub));

const cookieOf = (key: string): HeaderLine => ['Cookie', `gatehouse-user-session=${sessions[key]}`];

/** The server token the proxy injects for `name` (what the server has as JUPYTERHUB_API_TOKEN). */
function serverTokenOf(target: TestHub, name: string): string {
  const sealed = target.services.serverRepository.get(ensureUser(target, name).id)?.sealedToken;
  const token = sealed === null || sealed === undefined ? undefined : target.services.box.open(sealed);
  if (token === undefined) throw new Error(`no server token for ${name}`);
  return token;
}

describe('cross-origin WebSockets', () => {
  it.each([
    ['a foreign site', 'http://evil.example'],
    ['an opaque origin', 'null'],
    ['another port on the same host', 'http://127.0.0.1:1'],
    ['something that is not a URL', 'not a url'],
  ])("are refused from %s even with alice's own cookie", async (_label, origin) => {
    expect((await rawWebSocket(hub.baseUrl, '/user/alice/ws', [cookieOf('alice'), ['Origin', origin]])).status).toBe(403);
    expect((await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'), { Cookie: `gatehouse-user-session=${sessions['alice']}`, Origin: origin })).status).toBe(403);
  });

  it("are accepted from the hub's own origin, and echo", async () => {
    const { socket, hello } = await openWebSocket(wsUrl(hub.baseUrl, '/user/alice/ws'), { Cookie: `gatehouse-user-session=${sessions['alice']}`, Origin: hub.baseUrl });
    try {
      expect(hello?.user).toBe('alice');
      socket?.send('ping through the proxy');
      const echoed = await new Promise<string>((resolve) => socket?.once('message', (data) => resolve(data.toString())));
      expect(echoed).toBe('ping through the proxy');
    } finally {
      socket?.close();
    }
  });
});

describe('admins', () => {
  it("cannot open alice's server when adminAccess is off, by cookie, token or WebSocket", async () => {
    const admin = await rawHttp(hub.baseUrl, 'GET', '/hub/api/users/alice', [['Authorization', `token ${mintToken(hub, 'root').token}`]]);
    expect(admin.status).toBe(200); // root really is an admin of this hub
    expect((await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [cookieOf('root')])).status).toBe(403);
    expect((await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${mintToken(hub, 'root').token}`]])).status).toBe(403);
    expect((await rawWebSocket(hub.baseUrl, '/user/alice/ws', [cookieOf('root')])).status).toBe(403);
    expect((await rawHttp(hub.baseUrl, 'GET', '/hub/user/alice/', [['Cookie', `gatehouse-session=${sessions['root']}; gatehouse-bind=${hub.services.sessionBinding.tag(sessions['root'] as string)}`]])).status).toBe(403);
  });

  it("cannot open alice's server with a token it minted for her through the API, nor sign in as her with it", async () => {
    const rootToken: HeaderLine = ['Authorization', `token ${mintToken(hub, 'root').token}`];
    const made = await rawHttp(hub.baseUrl, 'POST', '/hub/api/users/alice/tokens', [rootToken, ['Content-Type', 'application/json']], '{}');
    expect(made.status, made.body).toBe(201);
    const { token, scopes } = made.json<{ token: string; scopes: string[] }>();
    expect(scopes.filter((scope) => scope.startsWith('access:servers') || scope.startsWith('tokens'))).toEqual([]);
    expect((await rawHttp(hub.baseUrl, 'GET', '/hub/api/users/alice', [['Authorization', `token ${token}`]])).status).toBe(200); // still alice's token
    expect((await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${token}`]])).status).toBe(403);
    expect((await rawWebSocket(hub.baseUrl, '/user/alice/ws', [['Authorization', `token ${token}`]])).status).toBe(403);
    // ?token= would turn it into a full browser session as alice: refused, no session cookie.
    const viaUrl = await rawHttp(hub.baseUrl, 'GET', `/hub/home?token=${token}`);
    expect(viaUrl.headers.get('set-cookie') ?? '').not.toMatch(/gatehouse-user-session=[^;]/);
    for (const asked of [['access:servers!user=alice'], ['access:servers!server=alice/'], ['tokens!user=alice']]) {
      const refused = await rawHttp(hub.baseUrl, 'POST', '/hub/api/users/alice/tokens', [rootToken, ['Content-Type', 'application/json']], JSON.stringify({ scopes: asked }));
      expect(refused.status, refused.body).toBe(403);
      expect(refused.body).toContain('without adminAccess');
    }
    // Her own token, made by her, still opens her server.
    const own = mintToken(hub, 'alice').token;
    expect((await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${own}`]])).status).toBe(200);
  });

  it("can open alice's server when adminAccess is on, over HTTP and WebSocket", async () => {
    const response = await rawHttp(adminAccessHub.baseUrl, 'GET', '/user/alice/api/headers', [cookieOf('root@adminAccess')]);
    expect(response.status, response.body).toBe(200);
    expect(response.json<EchoedRequest>().user).toBe('alice');
    const ws = await rawWebSocket(adminAccessHub.baseUrl, '/user/alice/ws', [cookieOf('root@adminAccess')]);
    expect(ws.status).toBe(101);
    expect(ws.hello?.user).toBe('alice');
  });

  it('still refuses non-admins when adminAccess is on', async () => {
    expect((await rawHttp(adminAccessHub.baseUrl, 'GET', '/user/alice/api/headers', [cookieOf('bob@adminAccess')])).status).toBe(403);
    expect((await rawWebSocket(adminAccessHub.baseUrl, '/user/alice/ws', [cookieOf('bob@adminAccess')])).status).toBe(403);
  });

  it("refuses an admin's token that lacks the access:servers scope", async () => {
    const { token } = mintToken(adminAccessHub, 'root', { scopes: ['read:users', 'admin:users'] });
    expect((await rawHttp(adminAccessHub.baseUrl, 'GET', '/hub/api/users/alice', [['Authorization', `token ${token}`]])).status).toBe(200);
    expect((await rawHttp(adminAccessHub.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${token}`]])).status).toBe(403);
  });
});

describe("another user's server", () => {
  it("cannot use its own server token to reach alice's server or start and stop it", async () => {
    const bobServer = serverTokenOf(hub, 'bob');
    const own = await rawHttp(hub.baseUrl, 'GET', '/user/bob/api/headers', [['Authorization', `token ${bobServer}`]]);
    expect(own.status).toBe(200); // a server may call its own prefix through the hub
    expect((await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${bobServer}`]])).status).toBe(403);
    expect((await rawWebSocket(hub.baseUrl, '/user/alice/ws', [['Authorization', `token ${bobServer}`]])).status).toBe(403);
    expect((await rawHttp(hub.baseUrl, 'DELETE', '/hub/api/users/alice/server', [['Authorization', `token ${bobServer}`]])).status).toBe(403);
    expect(hub.services.servers.state('alice')).toBe('running');
  });
});

describe("direct connections to alice's server port", () => {
  const direct = () => {
    const route = hub.services.servers.route('alice');
    if (route === undefined) throw new Error('alice has no route');
    return `http://${route.host}:${route.port}`;
  };

  it('listens on loopback only', () => {
    expect(hub.services.servers.route('alice')?.host).toBe('127.0.0.1');
  });

  it.each([
    ['no token', []],
    ['a wrong token', [['Authorization', 'token wrong-token-wrong-token']]],
    ["alice's own API token", [['Authorization', 'token <alice-api>']]],
    ["bob's server token", [['Authorization', 'token <bob-server>']]],
    ["the hub's session cookie", [['Cookie', 'gatehouse-user-session=<alice-session>']]],
    ['a spoofed identity header', [['Remote-User', 'alice'], ['X-Forwarded-For', '127.0.0.1']]],
  ] as Array<[string, HeaderLine[]]>)('refuses HTTP with %s (403)', async (_label, lines) => {
    const filled = lines.map(([name, value]): HeaderLine => [
      name,
      value
        .replace('<alice-api>', mintToken(hub, 'alice').token)
        .replace('<bob-server>', serverTokenOf(hub, 'bob'))
        .replace('<alice-session>', sessions['alice'] ?? ''),
    ]);
    const response = await rawHttp(direct(), 'GET', '/user/alice/api/headers', filled);
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('"user"');
  });

  it('answers only with the server token (the control)', async () => {
    const response = await rawHttp(direct(), 'GET', '/user/alice/api/headers', [['Authorization', `token ${serverTokenOf(hub, 'alice')}`]]);
    expect(response.status).toBe(200);
    expect(response.json<EchoedRequest>().user).toBe('alice');
  });

  it('refuses a WebSocket without the server token, and accepts one with it', async () => {
    expect((await openWebSocket(wsUrl(direct(), '/user/alice/ws'))).status).toBe(403);
    expect((await openWebSocket(wsUrl(direct(), '/user/alice/ws'), { Authorization: `token ${serverTokenOf(hub, 'bob')}` })).status).toBe(403);
    const { socket, hello } = await openWebSocket(wsUrl(direct(), '/user/alice/ws'), { Authorization: `token ${serverTokenOf(hub, 'alice')}` });
    socket?.close();
    expect(hello?.user).toBe('alice');
  });
});
