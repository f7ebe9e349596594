import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataRemoteUserAuthenticator, dataUsernameFor } from '@gatehouse/authenticators';
import { BrowserLikeClient } from '../support/browser-like-client.ts';
import { secretFrontProxy } from '../support/front-proxy.ts';
import type { TestHub } from '../support/hub.ts';
import {
  canonical,
  finishFile,
  portBlock,
  receive,
  sessionCookieOf,
  startProxyHub,
  startServer,
  type HeaderLine,
  type Transport,
} from './helpers.ts';

// A hub behind a front proxy that proves itself with a shared secret header, and signs people in
// by X-Remote-User and accepts an X-Team data header. Those headers — and the secret — are the
// front proxy's word to the hub alone: the user's server must never see them, in any spelling,
// whoever sent them.

const alice = dataUsernameFor('alice');
const proxy = secretFrontProxy();
let hub: TestHub;
let cookie: HeaderLine;

beforeAll(async () => {
  hub = await startProxyHub(portBlock(16), {
    authenticator: new DataRemoteUserAuthenticator({ header: 'X-Remote-User', dataHeaders: ['X-Team'] }),
    frontProxy: proxy.config,
  });
  const browser = new BrowserLikeClient(hub.baseUrl);
  const login = await browser.get('/hub/login', { 'X-Remote-User': 'alice', [proxy.header[0]]: proxy.header[1] });
  expect(login.status, login.body).toBe(302);
  cookie = ['Cookie', `gatehouse-user-session=${sessionCookieOf(browser)}`];
  await startServer(hub, alice);
});

afterAll(async () => finishFile(hub));

const TRANSPORTS: Transport[] = ['http', 'websocket'];

describe.each(TRANSPORTS)('configured identity and data headers over %s', (transport) => {
  it.each([
    ['the login header', ['X-Remote-User', 'x-remote-user', 'X_REMOTE_USER', 'x_Remote-user']],
    ['the data header', ['X-Team', 'x_team', 'X-TEAM']],
    ['Remote-User, always', ['Remote-User', 'remote_user']],
    ["the front proxy's secret", ['X-Gatehouse-Proxy-Secret', 'x_gatehouse_proxy_secret', 'X-GATEHOUSE-PROXY-SECRET']],
  ])('removes %s in every spelling', async (_label, spellings) => {
    const lines = spellings.map((name): HeaderLine => [name, '"mallory"']);
    const received = await receive(hub.baseUrl, alice, transport, [cookie, ...lines, ['X-Control', 'kept']]);
    expect(received.user).toBe(alice);
    expect(received.values('x-control')).toEqual(['kept']);
    const wanted = new Set(spellings.map(canonical));
    expect(received.names.filter((name) => wanted.has(canonical(name)))).toEqual([]);
  });

  it('extends X-Forwarded-For from the trusted front proxy, and still drops Forwarded and X-Real-IP', async () => {
    const received = await receive(hub.baseUrl, alice, transport, [
      cookie,
      proxy.header,
      ['X-Forwarded-For', '203.0.113.7'],
      ['X-Forwarded-Proto', 'https'],
      ['Forwarded', 'for=203.0.113.7'],
      ['X-Real-IP', '203.0.113.7'],
    ]);
    expect(received.values('x-forwarded-for')).toEqual(['203.0.113.7, 127.0.0.1']);
    expect(received.values('x-forwarded-proto')).toEqual(['https']);
    expect(received.names).not.toContain('forwarded');
    expect(received.names).not.toContain('x-real-ip');
    expect(JSON.stringify(received)).not.toContain(proxy.secret);
  });

  it('believes no X-Forwarded-* without the secret: the client address is the peer, the scheme http', async () => {
    const received = await receive(hub.baseUrl, alice, transport, [cookie, ['X-Forwarded-For', '203.0.113.7'], ['X-Forwarded-Proto', 'https']]);
    expect(received.values('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(received.values('x-forwarded-proto')).toEqual(['http']);
  });
});
