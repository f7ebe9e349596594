import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, type GatehouseError } from '@gatehouse/hub';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import type { TestHub } from '../support/hub.ts';
import { tempDir } from '../support/temp.ts';
import { api, finishFile, mintToken, portBlock, rawHttp, startProxyHub, startServer } from '../proxy/helpers.ts';

// External services (config `services`) with tokens of their own, through the real REST API: a
// service holding only admin:servers!user=alice stops alice's server and nobody else's.

const STOPPER_ENV = 'GATEHOUSE_TEST_STOPPER_TOKEN';
const stopperToken = randomBytes(32).toString('hex');
const dashboardToken = randomBytes(32).toString('hex');
let hub: TestHub;

beforeAll(async () => {
  process.env[STOPPER_ENV] = stopperToken;
  const tokenFile = path.join(tempDir('gatehouse-service-'), 'dashboard.token');
  writeFileSync(tokenFile, `${dashboardToken}\n`);
  chmodSync(tokenFile, 0o600);
  hub = await startProxyHub(portBlock(26), {
    adminUsers: ['root'],
    services: [
      { name: 'alice-stopper', apiToken: { env: STOPPER_ENV }, scopes: ['admin:servers!user=alice'], description: 'stops alice' },
      { name: 'dashboard', apiToken: { file: tokenFile }, scopes: ['read:users'] },
    ],
  });
  await startServer(hub, 'alice');
  await startServer(hub, 'bob');
});

afterAll(async () => {
  delete process.env[STOPPER_ENV];
  await finishFile(hub);
});

describe('a service token with only admin:servers!user=alice', () => {
  it("cannot stop bob's server, nor read users", async () => {
    expect((await api(hub.baseUrl, 'DELETE', '/users/bob/server', stopperToken)).status).toBe(403);
    expect((await api(hub.baseUrl, 'GET', '/users/alice', stopperToken)).status).toBe(403);
    expect(hub.services.servers.state('bob')).toBe('running');
  });

  it('is not a way into user servers through the proxy', async () => {
    const response = await rawHttp(hub.baseUrl, 'GET', '/user/alice/api/headers', [['Authorization', `token ${stopperToken}`]]);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^\/hub\/login/);
  });

  it("stops alice's server", async () => {
    expect((await api(hub.baseUrl, 'DELETE', '/users/alice/server', stopperToken)).status).toBe(204);
    expect(hub.services.servers.state('alice')).toBe('stopped');
    expect(hub.services.servers.state('bob')).toBe('running');
  });

  it('is a service to GET /hub/api/user, with exactly its scopes', async () => {
    const me = await api(hub.baseUrl, 'GET', '/user', stopperToken);
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'service', name: 'alice-stopper', admin: false, scopes: ['admin:servers!user=alice'] });
  });
});

describe('GET /hub/api/services', () => {
  it('lists the services to anyone signed in, their scopes only to admins', async () => {
    const asUser = (await api(hub.baseUrl, 'GET', '/services', mintToken(hub, 'bob').token)).json<Record<string, { scopes?: string[] }>>();
    expect(Object.keys(asUser)).toEqual(['alice-stopper', 'dashboard']);
    expect(asUser['dashboard']?.scopes).toBeUndefined();
    const asAdmin = (await api(hub.baseUrl, 'GET', '/services', mintToken(hub, 'root').token)).json<Record<string, { scopes?: string[] }>>();
    expect(asAdmin['alice-stopper']).toMatchObject({ kind: 'service', name: 'alice-stopper', info: { description: 'stops alice' }, scopes: ['admin:servers!user=alice'] });
    expect((await rawHttp(hub.baseUrl, 'GET', '/hub/api/services')).status).toBe(401);
  });

  it('GET /hub/api/services/:name answers one, 404 for an unknown one; a token from a file works', async () => {
    const one = await api(hub.baseUrl, 'GET', '/services/dashboard', dashboardToken);
    expect(one.json()).toMatchObject({ name: 'dashboard', scopes: ['read:users'] });
    expect((await api(hub.baseUrl, 'GET', '/services/nope', dashboardToken)).status).toBe(404);
    expect((await api(hub.baseUrl, 'GET', '/users/bob', dashboardToken)).status).toBe(200);
  });

  it('never writes a service token to the log or the data dir (database included)', async () => {
    hub.services.activity.flush();
    const files = readdirSync(hub.dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const token of [stopperToken, dashboardToken]) {
      expect(hub.logs.text).not.toContain(token);
      for (const file of files) expect(readFileSync(path.join(file.parentPath, file.name)).includes(token), file.name).toBe(false);
    }
  });
});

describe('config', () => {
  const plugins = () => ({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner() });
  function problemsOf(input: object): string[] {
    try {
      validateConfig({ ...plugins(), ...input });
    } catch (error) {
      return ((error as GatehouseError).details['problems'] as string[] | undefined) ?? [String(error)];
    }
    throw new Error('expected the config to be rejected');
  }

  it('refuses self and inherit, unknown scopes and duplicate service names, naming the key', () => {
    expect(problemsOf({ services: [{ name: 'a', scopes: ['self'] }] }).join('\n')).toMatch(/^services\.0\.scopes\.0: a service has no user of its own/m);
    expect(problemsOf({ services: [{ name: 'a', scopes: ['admin:everything'] }] }).join('\n')).toMatch(/^services\.0\.scopes\.0: expected a scope/m);
    expect(problemsOf({ services: [{ name: 'a' }, { name: 'a' }] }).join('\n')).toMatch(/^services: service names must be unique/m);
    expect(problemsOf({ services: [{ name: 'a', apiToken: 'plain' }] }).join('\n')).toMatch(/^services\.0\.apiToken/m);
  });

  it('refuses cull options of the wrong kind, naming the key', () => {
    expect(problemsOf({ cull: { timeout: -1 } }).join('\n')).toMatch(/^cull\.timeout: expected seconds, or 0 for never/m);
    expect(problemsOf({ cull: { timout: 60 } }).join('\n')).toMatch(/^cull\.timout: unknown key/m);
    expect(problemsOf({ cull: { groups: { staff: { timeout: 60, idle: 1 } } } }).join('\n')).toMatch(/^cull\.groups\.staff\.idle: unknown key/m);
  });

  it('stops the hub when a service token file is readable by others', async () => {
    const file = path.join(tempDir('gatehouse-service-'), 'loose.token');
    writeFileSync(file, randomBytes(32).toString('hex'));
    chmodSync(file, 0o644);
    await expect(startProxyHub(portBlock(26), { services: [{ name: 'loose', apiToken: { file } }] })).rejects.toMatchObject({ code: 'GATEHOUSE_ERR_SECRET_PERMISSIONS' });
  });
});
