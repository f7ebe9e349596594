import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DummyAuthenticator, LocalAuthenticator, RemoteUserAuthenticator } from '@gatehouse/authenticators';
import { validateConfig } from '@gatehouse/hub';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { send, startsSession, type HeaderLine } from '../nginx/helpers.ts';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { secretFrontProxy } from '../support/front-proxy.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

// Who may assert an identity header: only what proves itself as the front proxy — its unix socket
// or its shared secret. Never an address: any local user can connect from any 127.x address.

let hubs: TestHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.map((hub) => hub.close()));
  hubs = [];
  cleanupTempDirs();
});

async function start(overrides: Parameters<typeof startTestHub>[0]): Promise<TestHub> {
  const hub = await startTestHub(overrides);
  hubs.push(hub);
  return hub;
}

function problems(input: Record<string, unknown>): string[] {
  try {
    validateConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner(), ...input });
  } catch (error) {
    return (error as { details?: { problems?: string[] } }).details?.problems ?? [String(error)];
  }
  return [];
}

function login(hub: TestHub, headers: readonly HeaderLine[], localAddress?: string) {
  return send(`${hub.baseUrl}/hub/login`, { headers, ...(localAddress === undefined ? {} : { localAddress }) });
}

describe('configuration', () => {
  it('trusts nobody by default', () => {
    expect(validateConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner() }).frontProxy).toEqual({});
  });

  it('refuses trustedProxies and says why an address is not enough, naming the two ways', () => {
    const [problem] = problems({ trustedProxies: ['127.0.0.2/32'] });
    expect(problem).toMatch(/^trustedProxies: no longer supported: an address does not identify the front proxy/);
    expect(problem).toContain('frontProxy.socket');
    expect(problem).toContain('frontProxy.secret');
  });

  it.each(['127.0.0.2/32', '127.0.0.0/8', '0.0.0.0/0', '::1/128', '::/0', '::ffff:127.0.0.1/128'])(
    'refuses the loopback range %s as a place the secret may come from',
    (cidr) => {
      expect(problems({ frontProxy: { secret: { file: '/etc/gatehouse/secret', addresses: [cidr] } } })).toEqual([
        'frontProxy.secret.addresses.0: is a loopback address, which any local user can connect from; for a front proxy on this machine use frontProxy.socket',
      ]);
    },
  );

  it('refuses a header authenticator with no front proxy to believe', () => {
    expect(problems({ authenticator: new RemoteUserAuthenticator() })).toEqual([
      'frontProxy: the remote-user authenticator believes the Remote-User header only from the front proxy, and none is configured: ' +
        'set frontProxy.socket (nginx on this machine) or frontProxy.secret (nginx elsewhere)',
    ]);
  });

  it('refuses a socket others could open, and a relative socket path', () => {
    expect(problems({ frontProxy: { socket: { path: '/run/g.sock', mode: 0o666 } } })[0]).toMatch(/^frontProxy\.socket\.mode: must not let others connect/);
    expect(problems({ frontProxy: { socket: { path: 'g.sock' } } })).toEqual(['frontProxy.socket.path: expected an absolute path such as /run/gatehouse/proxy.sock']);
  });
});

describe('a front proxy proven by a shared secret', () => {
  it('believes Remote-User only with the exact secret, once, in one spelling', async () => {
    const proxy = secretFrontProxy();
    const hub = await start({ authenticator: new RemoteUserAuthenticator(), frontProxy: proxy.config });
    const [name, secret] = proxy.header;
    const refused: Array<[string, HeaderLine[]]> = [
      ['no secret', []],
      ['a wrong secret', [[name, `${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`]]],
      ['the secret with a suffix', [[name, `${secret}x`]]],
      ['an empty secret', [[name, '']]],
      ['the secret twice', [[name, secret], [name, secret]]],
      ['the secret in two spellings', [[name, secret], [name.toLowerCase().replaceAll('-', '_'), secret]]],
    ];
    for (const [label, lines] of refused) {
      const answer = await login(hub, [['Remote-User', 'admin'], ...lines]);
      expect(answer.status, label).toBe(401);
      expect(startsSession(answer.setCookies), label).toBe(false);
    }
    expect(hub.services.users.get('admin')).toBeUndefined();
    const believed = await login(hub, [['Remote-User', 'alice'], proxy.header]);
    expect(believed.status).toBe(302);
    expect(startsSession(believed.setCookies)).toBe(true);
    expect(hub.logs.text).not.toContain(secret);
  });

  it('with addresses, refuses the right secret from anywhere else', async () => {
    const proxy = secretFrontProxy({ addresses: ['10.9.9.9/32'] });
    const hub = await start({ authenticator: new RemoteUserAuthenticator(), frontProxy: proxy.config });
    const answer = await login(hub, [['Remote-User', 'alice'], proxy.header]);
    expect(answer.status).toBe(401);
    expect(hub.services.users.get('alice')).toBeUndefined();
  });

  it('refuses to start with a secret file others can read, or a weak secret', async () => {
    const proxy = secretFrontProxy();
    chmodSync(proxy.file, 0o644);
    await expect(start({ authenticator: new RemoteUserAuthenticator(), frontProxy: proxy.config })).rejects.toMatchObject({
      code: 'GATEHOUSE_ERR_SECRET_PERMISSIONS',
    });
    writeFileSync(proxy.file, 'short\n', { mode: 0o600 });
    chmodSync(proxy.file, 0o600);
    await expect(start({ authenticator: new RemoteUserAuthenticator(), frontProxy: proxy.config })).rejects.toThrow(/at least 32 printable characters/);
  });
});

/** A socket file nobody listens on, as a hub killed with SIGKILL leaves it (closing a server would unlink it). */
async function leaveDeadSocket(file: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(file)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
}

describe('a front proxy on the unix socket', () => {
  function socketPath(): string {
    return path.join(tempDir('gatehouse-sock-'), 'run', 'proxy.sock');
  }

  it('believes Remote-User from the socket and from nowhere else', async () => {
    const file = socketPath();
    const hub = await start({ authenticator: new RemoteUserAuthenticator(), frontProxy: { socket: { path: file } } });
    expect(lstatSync(file).mode & 0o777).toBe(0o660);
    expect(lstatSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    for (const address of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      const direct = await login(hub, [['Remote-User', 'admin']], address);
      expect(direct.status, address).toBe(401);
    }
    const viaSocket = await send('http://localhost/hub/login', { socketPath: file, headers: [['Remote-User', 'alice']] });
    expect(viaSocket.status, viaSocket.body).toBe(302);
    expect(startsSession(viaSocket.setCookies)).toBe(true);
    expect(hub.services.users.get('admin')).toBeUndefined();
    await hub.close();
    expect(lstatSync(file, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('replaces a socket file left by a hub that died, but not a live one or another kind of file', async () => {
    const file = socketPath();
    mkdirSync(path.dirname(file), { mode: 0o700 });
    const stale = net.createServer();
    await new Promise<void>((resolve) => stale.listen(file, resolve));
    // A live listener on the path: another hub. The path must not be stolen from it.
    await expect(start({ frontProxy: { socket: { path: file } } })).rejects.toThrow(/another process is listening on/);
    await new Promise((resolve) => stale.close(resolve));
    await leaveDeadSocket(file);
    expect(lstatSync(file).isSocket()).toBe(true);
    const hub = await start({ frontProxy: { socket: { path: file } } });
    expect((await send('http://localhost/hub/login', { socketPath: file })).status).toBe(200);
    await hub.close();
    writeFileSync(file, 'not a socket');
    await expect(start({ frontProxy: { socket: { path: file } } })).rejects.toThrow(/exists and is not a socket/);
  });
});

describe('the per-address login lock without a front proxy', () => {
  it('cannot be dodged by rotating X-Forwarded-For: the peer address counts', async () => {
    const hub = await start({ authenticator: new LocalAuthenticator() });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 25; attempt += 1) {
      const browser = new BrowserLikeClient(hub.baseUrl);
      browser.defaultHeaders = { 'x-forwarded-for': `203.0.113.${attempt}` };
      const page = await browser.get('/hub/login');
      const answer = await browser.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username: `nobody${attempt}`, password: 'wrong-password' } });
      statuses.push(answer.status);
    }
    // The 20th failure from one address (4 × the account limit) locks it, whatever XFF claims.
    expect(statuses.slice(0, 19)).toEqual(Array(19).fill(403)); // wrong name or password
    expect(statuses.slice(19)).toEqual(Array(6).fill(429));
  });
});
