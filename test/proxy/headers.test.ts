import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import {
  canonical,
  finishFile,
  mintToken,
  portBlock,
  rawHttp,
  receive,
  receivedNames,
  receivedValues,
  SERVER_TOKEN_SHOWN,
  sessionCookieOf,
  startProxyHub,
  startServer,
  type EchoedRequest,
  type HeaderLine,
  type Transport,
} from './helpers.ts';

// The header rules of docs/headers.md, observed from inside alice's demo app. The hub trusts no front
// proxy here (the default), so the test client is an ordinary, possibly hostile, browser.

let hub: TestHub;
let session: string;
let hubHost: string;

beforeAll(async () => {
  hub = await startProxyHub(portBlock(0));
  hubHost = new URL(hub.baseUrl).host;
  session = sessionCookieOf(await loginWithForm(hub.baseUrl, 'alice'));
  await startServer(hub, 'alice');
});

afterAll(async () => finishFile(hub));

const TRANSPORTS: Transport[] = ['http', 'websocket'];
/** The Connection header each transport must send anyway; listed names are appended to it. */
const connectionOf = (transport: Transport) => (transport === 'http' ? 'close' : 'Upgrade');

/** Sends `lines` as alice (her proxy session cookie first, unless the case sends its own Cookie). */
function asAlice(transport: Transport, lines: readonly HeaderLine[]) {
  const ownCookie = lines.some(([name]) => name.toLowerCase() === 'cookie');
  return receive(hub.baseUrl, 'alice', transport, ownCookie ? lines : [['Cookie', `gatehouse-user-session=${session}`], ...lines]);
}

const REMOTE_USER_SPELLINGS = ['Remote-User', 'remote-user', 'REMOTE-USER', 'Remote_User', 'remote_user', 'rEmOtE_uSeR'];

describe.each(TRANSPORTS)('identity headers over %s', (transport) => {
  it.each(REMOTE_USER_SPELLINGS)('removes %s', async (spelling) => {
    const received = await asAlice(transport, [[spelling, 'mallory'], ['X-Control', 'kept']]);
    expect(received.user).toBe('alice');
    expect(received.values('x-control')).toEqual(['kept']);
    expect(received.names.filter((name) => canonical(name) === 'remote-user')).toEqual([]);
  });

  it('removes every copy of a repeated identity header, in mixed spellings', async () => {
    const received = await asAlice(transport, [
      ['Remote-User', 'mallory'],
      ['Remote-User', 'admin'],
      ['remote_user', 'root'],
      ['REMOTE_USER', 'bob'],
    ]);
    expect(received.names.filter((name) => canonical(name) === 'remote-user')).toEqual([]);
  });

  it('forwards X-Remote-User: it is not an identity header this hub trusts', async () => {
    const received = await asAlice(transport, [['X-Remote-User', 'mallory']]);
    expect(received.values('x-remote-user')).toEqual(['mallory']);
  });
});

describe.each(TRANSPORTS)('cookies over %s', (transport) => {
  it("removes the hub's cookies and keeps the user's own", async () => {
    const cookie = `gatehouse-session=${session}; theme=dark; gatehouse-user-session=${session}; gatehouse-xsrf=nonce; _xsrf=notebook; ref=gatehouse-x`;
    const received = await asAlice(transport, [['Cookie', cookie]]);
    expect(received.user).toBe('alice');
    expect(received.values('cookie')).toEqual(['theme=dark; _xsrf=notebook; ref=gatehouse-x']);
  });

  it('filters every Cookie header when a client sends several', async () => {
    const received = await asAlice(transport, [
      ['Cookie', `a=1;gatehouse-session=${session}`],
      ['Cookie', `gatehouse-user-session=${session}; b=2`],
    ]);
    const cookies = received.values('cookie').join('; ');
    expect(cookies).not.toContain('gatehouse-');
    expect(cookies).toContain('a=1');
    expect(cookies).toContain('b=2');
  });

  it('sends no Cookie header at all when only hub cookies were present', async () => {
    const received = await asAlice(transport, [['Cookie', `gatehouse-xsrf=nonce; gatehouse-user-session=${session}`]]);
    expect(received.names).not.toContain('cookie');
  });
});

describe('the Cookie header, read once for login and for stripping', () => {
  it('reads a Cookie header the way the pages do: a session id inside another cookie\'s value is not a session', async () => {
    // One pair, `a`, whose value contains a space: neither the proxy's login check nor the
    // stripper may read the hub's cookie out of it.
    const smuggled = await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Cookie', `a=b gatehouse-user-session=${session}`]]);
    expect(smuggled.status).toBe(302);
    expect(smuggled.headers.get('location')).toMatch(/^\/hub\/login\?next=/);
  });

  it("gives no identity to a proxy cookie sent twice, or not matching the browser's session tag, and says why instead of looping to the login page", async () => {
    const bind = (id: string) => hub.services.sessionBinding.tag(id);
    const other = sessionCookieOf(await loginWithForm(hub.baseUrl, 'mallory'));
    const cases: Array<[string, string]> = [
      ['a second copy (tossed at a narrower path)', `gatehouse-user-session=${other}; gatehouse-user-session=${session}; gatehouse-bind=${bind(session)}`],
      ["another's, over alice's own", `gatehouse-user-session=${other}; gatehouse-bind=${bind(session)}`],
      ['the tag twice', `gatehouse-user-session=${other}; gatehouse-bind=${bind(other)}; gatehouse-bind=${bind(session)}`],
    ];
    for (const [label, cookie] of cases) {
      const answer = await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Cookie', cookie], ['Accept', 'text/html']]);
      expect(answer.status, label).toBe(400);
      expect(answer.body, label).toContain('GATEHOUSE_ERR_COOKIE_CONFLICT');
      expect(answer.headers.get('set-cookie') ?? '', label).toContain('gatehouse-user-session=; Path=/user/alice/;');
      const atMallorys = await rawHttp(hub.baseUrl, 'GET', '/user/mallory/api/headers', [['Cookie', cookie]]);
      expect(atMallorys.status, label).toBe(400);
    }
    // A matching pair, as a signed-in browser sends it, still works.
    const ok = await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Cookie', `gatehouse-user-session=${session}; gatehouse-bind=${bind(session)}`]]);
    expect(ok.status).toBe(200);
  });

  it('refuses a hub session whose tag was replaced or is missing: the pages see no session', async () => {
    const bind = (id: string) => hub.services.sessionBinding.tag(id);
    const other = sessionCookieOf(await loginWithForm(hub.baseUrl, 'mallory'));
    const asAlice = (cookie: string) => rawHttp(hub.baseUrl, 'GET', '/hub/api/user', [['Cookie', cookie]]);
    expect((await asAlice(`gatehouse-session=${session}; gatehouse-bind=${bind(session)}`)).status).toBe(200);
    for (const cookie of [`gatehouse-session=${session}; gatehouse-bind=${bind(other)}`, `gatehouse-session=${session}`, `gatehouse-session=${other}; gatehouse-session=${session}; gatehouse-bind=${bind(session)}`]) {
      const answer = await asAlice(cookie);
      expect(answer.status, cookie).toBe(403); // no session: /hub/api/user answers as to anyone unknown
      expect(answer.body).not.toContain('alice');
    }
  });
});

describe.each(TRANSPORTS)('Connection-listed and hop-by-hop headers over %s', (transport) => {
  it('removes a header named in Connection', async () => {
    const received = await asAlice(transport, [
      ['Connection', `${connectionOf(transport)}, X-Secret`],
      ['X-Secret', 's3cret'],
      ['X-Control', 'kept'],
    ]);
    expect(received.names).not.toContain('x-secret');
    expect(received.values('x-control')).toEqual(['kept']);
  });

  it('removes headers named in a second Connection header, whatever their case and spacing', async () => {
    const received = await asAlice(transport, [
      ['Connection', connectionOf(transport)],
      ['Connection', 'x-secret ,  X-OTHER'],
      ['X-Secret', 's3cret'],
      ['X-Other', 'private'],
    ]);
    expect(received.names).not.toContain('x-secret');
    expect(received.names).not.toContain('x-other');
  });

  it('removes Keep-Alive, TE, Trailer, Proxy-Authorization and Proxy-Connection', async () => {
    const received = await asAlice(transport, [
      ['Keep-Alive', 'timeout=5'],
      ['TE', 'trailers'],
      ['Trailer', 'X-Checksum'],
      ['Proxy-Authorization', 'Basic bWFsbG9yeTpwdw=='],
      ['Proxy-Connection', 'keep-alive'],
      ['X-Control', 'kept'],
    ]);
    for (const name of ['keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection']) expect(received.names).not.toContain(name);
    expect(received.values('x-control')).toEqual(['kept']);
  });
});

describe('hop-by-hop headers on plain HTTP', () => {
  it("removes Upgrade from a request that is not a WebSocket, and replaces the client's Connection", async () => {
    const received = await asAlice('http', [['Upgrade', 'h2c']]);
    expect(received.names).not.toContain('upgrade');
    expect(received.values('connection')).not.toContain('close');
  });

  it('keeps the WebSocket handshake headers on an upgrade', async () => {
    const received = await asAlice('websocket', []);
    expect(received.values('upgrade')).toEqual(['websocket']);
    expect(received.values('connection')[0]?.toLowerCase()).toBe('upgrade');
  });
});

describe.each(TRANSPORTS)('forwarding headers over %s', (transport) => {
  it("replaces the client's X-Forwarded-*, Forwarded and X-Real-IP with the hub's own", async () => {
    const received = await asAlice(transport, [
      ['X-Forwarded-For', '6.6.6.6'],
      ['x-forwarded-for', '7.7.7.7'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'evil.example'],
      ['X-Forwarded-Port', '443'],
      ['Forwarded', 'for=6.6.6.6;proto=https;host=evil.example'],
      ['X-Real-IP', '6.6.6.6'],
    ]);
    expect(received.values('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(received.values('x-forwarded-proto')).toEqual(['http']);
    expect(received.values('x-forwarded-host')).toEqual([hubHost]);
    for (const name of ['forwarded', 'x-real-ip', 'x-forwarded-port']) expect(received.names).not.toContain(name);
  });

  it('removes the whole X-Forwarded-* family, in every spelling, not just the members the hub sets', async () => {
    const members = ['Prefix', 'Server', 'Ssl', 'Scheme', 'Uri', 'Path', 'Client-Ip', 'Anything-New'];
    const lines: HeaderLine[] = members.flatMap((member): HeaderLine[] => [
      [`X-Forwarded-${member}`, '/evil'],
      [`x_forwarded_${member.toLowerCase().replaceAll('-', '_')}`, '/evil'],
    ]);
    const received = await asAlice(transport, [...lines, ['X-Control', 'kept']]);
    expect(received.values('x-control')).toEqual(['kept']);
    const family = received.names.map(canonical).filter((name) => name.startsWith('x-forwarded-'));
    expect(family.sort()).toEqual(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
    expect(JSON.stringify(received)).not.toContain('/evil');
  });

  it('keeps Host, and reports it as X-Forwarded-Host', async () => {
    const received = await asAlice(transport, [['Host', 'notebooks.example:8443']]);
    expect(received.values('host')).toEqual(['notebooks.example:8443']);
    expect(received.values('x-forwarded-host')).toEqual(['notebooks.example:8443']);
  });
});

describe.each(TRANSPORTS)('credentials over %s', (transport) => {
  it("replaces the browser's own Authorization with the server token", async () => {
    const received = await asAlice(transport, [['Authorization', 'Basic YWxpY2U6aHVudGVyMg==']]);
    expect(received.user).toBe('alice');
    expect(received.values('authorization')).toEqual([SERVER_TOKEN_SHOWN]);
  });

  it.each(['token', 'Bearer'])("never passes alice's API token (%s) on to her server", async (scheme) => {
    const { token } = mintToken(hub, 'alice');
    const received = await receive(hub.baseUrl, 'alice', transport, [['Authorization', `${scheme} ${token}`]]);
    expect(received.user).toBe('alice');
    expect(received.values('authorization')).toEqual([SERVER_TOKEN_SHOWN]);
    expect(received.names.flatMap((name) => received.values(name)).join('\n')).not.toContain(token);
  });
});

describe('the request line over HTTP', () => {
  it.each([
    '/user/alice/api/headers',
    '/user/alice/api/headers?b=2&a=1&a=3',
    '/user/alice/api/headers?next=%2F..%2Fbob%2F&sp=a%20b&plus=a+b&empty=&&flag',
    "/user/alice/api/headers?q=%E2%9C%93&x=%25&quote=%22'",
  ])('forwards %s unchanged', async (target) => {
    const response = await rawHttp(hub.baseUrl, 'GET', target, [['Cookie', `gatehouse-user-session=${session}`]]);
    expect(response.status, response.body).toBe(200);
    expect(response.json<EchoedRequest>().url).toBe(target);
  });

  it('forwards the method and the body of a POST', async () => {
    const response = await rawHttp(hub.baseUrl, 'POST', '/user/alice/api/headers?x=1', [
      ['Cookie', `gatehouse-user-session=${session}`],
      ['Content-Type', 'application/json'],
    ], '{"hello":"world"}');
    expect(response.status, response.body).toBe(200);
    const echo = response.json<EchoedRequest>();
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('/user/alice/api/headers?x=1');
    expect(receivedValues(echo, 'content-length')).toEqual(['17']);
    expect(receivedNames(echo)).not.toContain('cookie');
  });
});
