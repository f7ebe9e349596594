import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAppPath, LocalProcessSpawner } from '@gatehouse/spawner';
import type { TestHub } from '../support/hub.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { allCommandLines, API_SUITE_PORTS, api, closeApiHub, ensureUser, environmentOf, waitFor, expectApiError, startApiHub, tokenFor } from './helpers.ts';

/**
 * Starting and stopping servers through the API, their progress stream and models, and what a
 * server's own token (JUPYTERHUB_API_TOKEN, read from the real process) may do.
 * Each user's demo app waits for a file named after them, so "pending" is a state the test holds.
 */

let hub: TestHub;
let gates: string;
const tokens: Record<string, string> = {};

/** Lets `name`'s server finish starting. */
const openGate = (name: string) => writeFileSync(path.join(gates, name), '');

beforeAll(async () => {
  gates = tempDir('gatehouse-api-gates-');
  const script = `const fs = require('node:fs'); const gate = require('node:path').join(${JSON.stringify(gates)}, process.env.JUPYTERHUB_USER);
const timer = setInterval(() => { if (fs.existsSync(gate)) { clearInterval(timer); import(${JSON.stringify(pathToFileURL(demoAppPath).href)}); } }, 20);`;
  // No sandbox: the gate files lie in the test's /tmp, which a sandbox would replace.
  hub = await startApiHub({ spawner: new LocalProcessSpawner({ portRange: API_SUITE_PORTS, stopGracePeriod: 2, sandbox: false, command: [process.execPath, '-e', script] }) });
  ensureUser(hub, 'admin', true);
  for (const name of ['alice', 'bob']) ensureUser(hub, name);
  for (const name of ['admin', 'alice', 'bob']) tokens[name] = tokenFor(hub, name);
  tokens['narrow'] = tokenFor(hub, 'admin', ['read:users!user=alice']);
});

afterAll(async () => {
  await closeApiHub(hub);
  const leftovers = () => [...allCommandLines().values()].filter((line) => line.includes(gates));
  await waitFor('the demo apps to exit', () => leftovers().length === 0, 5_000).catch(() => expect(leftovers()).toEqual([]));
  cleanupTempDirs();
});

interface ProgressEvent {
  progress: number;
  message: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
}

/** Opens `name`'s progress stream; the returned function gives each event as it arrives, undefined at the end. */
async function openProgress(name: string, token: string): Promise<() => Promise<ProgressEvent | undefined>> {
  const response = await fetch(`${hub.baseUrl}/hub/api/users/${name}/server/progress`, {
    headers: { authorization: `token ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return async function nextEvent() {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end !== -1) {
        const data = buffered.slice(0, end).split('\n').find((line) => line.startsWith('data: '));
        buffered = buffered.slice(end + 2);
        if (data !== undefined) return JSON.parse(data.slice(6)) as ProgressEvent;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffered += decoder.decode(value, { stream: true });
    }
  };
}

/** Every event of a progress stream, to its end. */
async function progressEvents(name: string, token: string): Promise<ProgressEvent[]> {
  const nextEvent = await openProgress(name, token);
  const events: ProgressEvent[] = [];
  for (let event = await nextEvent(); event !== undefined; event = await nextEvent()) events.push(event);
  return events;
}

const userModel = async (name: string) => (await api(hub.baseUrl, 'GET', `/users/${name}`, { token: tokens['admin'] })).json<Record<string, unknown>>();

/** The token the hub gave `name`'s running server, read from the server process's environment. */
function serverToken(name: string): string {
  const pid = hub.services.serverRepository.get(ensureUser(hub, name).id)?.handle?.state['pid'];
  expect(typeof pid).toBe('number');
  const token = environmentOf(pid as number, 'JUPYTERHUB_API_TOKEN');
  expect(token).toBeDefined();
  return token as string;
}

describe("a user's server through the API", () => {
  it('is refused to others and to a read-only token, and nothing starts', async () => {
    for (const caller of ['bob', 'narrow']) {
      expectApiError(await api(hub.baseUrl, 'POST', '/users/alice/server', { token: tokens[caller] }), 403, 'GATEHOUSE_ERR_FORBIDDEN');
    }
    expectApiError(await api(hub.baseUrl, 'POST', '/users/alice/server'), 401);
    expect(hub.services.servers.state('alice')).toBe('stopped');
  });

  it('starts for its owner: 202, pending in the model, progress streamed until ready', async () => {
    const response = await api(hub.baseUrl, 'POST', '/users/alice/server', { token: tokens['alice'] });
    expect(response.status, response.text).toBe(202);
    expect(response.json()).toMatchObject({ progress_url: '/hub/api/users/alice/server/progress' });

    const pending = await userModel('alice');
    expect(pending).toMatchObject({ pending: 'spawn', server: null });
    expect(pending['servers']).toMatchObject({ '': { name: '', ready: false, pending: 'spawn', url: '/user/alice/' } });
    expectApiError(await api(hub.baseUrl, 'POST', '/users/alice/server', { token: tokens['bob'] }), 403);

    // The stream is live: its first event comes while the server is still held back.
    const nextEvent = await openProgress('alice', tokens['narrow'] as string);
    expect(await nextEvent()).toMatchObject({ progress: 0 });
    expect(hub.services.servers.state('alice')).toBe('pending');
    openGate('alice');
    const streamed: ProgressEvent[] = [];
    for (let event = await nextEvent(); event !== undefined; event = await nextEvent()) streamed.push(event);
    expect(streamed.at(-1)).toMatchObject({ progress: 100, ready: true, url: '/user/alice/' });
    expect(streamed.map((event) => event.progress)).toEqual([...streamed.map((event) => event.progress)].sort((a, b) => a - b));

    const ready = await userModel('alice');
    expect(ready).toMatchObject({ name: 'alice', pending: null, server: '/user/alice/' });
    const server = (ready['servers'] as Record<string, Record<string, unknown>>)[''];
    expect(server).toMatchObject({ name: '', ready: true, pending: null, stopped: false, url: '/user/alice/', progress_url: '/hub/api/users/alice/server/progress' });
    expect(server?.['started']).toMatch(/^\d{4}-/);
  });

  it('answers a second start while running with a 400 and keeps running', async () => {
    expectApiError(await api(hub.baseUrl, 'POST', '/users/alice/server', { token: tokens['alice'] }), 400, 'GATEHOUSE_ERR_SERVER_ALREADY_RUNNING');
    expect(hub.services.servers.state('alice')).toBe('running');
  });

  it('streams a single ready event once running', async () => {
    expect(await progressEvents('alice', tokens['alice'] as string)).toEqual([expect.objectContaining({ ready: true, url: '/user/alice/' })]);
  });
});

describe("a server's own token", () => {
  it('reports activity for its user only', async () => {
    const token = serverToken('alice');
    const before = Date.now();
    const response = await api(hub.baseUrl, 'POST', '/users/alice/activity', {
      token,
      json: { servers: { '': { last_activity: new Date(before + 3_600_000).toISOString() } } },
    });
    expect(response.status, response.text).toBe(200);
    hub.services.activity.flush();
    const model = await userModel('alice');
    const serverActivity = Date.parse(((model['servers'] as Record<string, { last_activity: string }>)[''] as { last_activity: string }).last_activity);
    // A time in the future is taken as now.
    expect(serverActivity).toBeGreaterThanOrEqual(before);
    expect(serverActivity).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(model['last_activity'] as string)).toBe(serverActivity);

    expectApiError(await api(hub.baseUrl, 'POST', '/users/bob/activity', { token, json: { last_activity: new Date().toISOString() } }), 403);
  });

  it('reads its user, and nothing else', async () => {
    const token = serverToken('alice');
    const self = await api(hub.baseUrl, 'GET', '/user', { token });
    expect(self.json()).toMatchObject({ name: 'alice' });
    expect(self.json<{ scopes: string[] }>().scopes.sort()).toEqual(['access:servers!server=alice/', 'read:users!user=alice', 'users:activity!user=alice']);
    expect((await api(hub.baseUrl, 'GET', '/users/alice', { token })).status).toBe(200);
    for (const [method, route] of [
      ['GET', '/users/bob'],
      ['GET', '/users/alice/tokens'],
      ['POST', '/users/alice/tokens'],
      ['DELETE', '/users/alice/server'],
      ['POST', '/users/bob/server'],
      ['PATCH', '/users/alice'],
    ] as const) {
      expectApiError(await api(hub.baseUrl, method, route, { token, ...(method === 'GET' ? {} : { json: {} }) }), 403);
    }
    expect(hub.services.servers.state('alice')).toBe('running');
  });
});

describe('stopping', () => {
  it('is refused to others; the owner stops it (204) and its server token dies with it', async () => {
    const token = serverToken('alice');
    for (const caller of ['bob', 'narrow']) expectApiError(await api(hub.baseUrl, 'DELETE', '/users/alice/server', { token: tokens[caller] }), 403);
    expect(hub.services.servers.state('alice')).toBe('running');

    expect((await api(hub.baseUrl, 'DELETE', '/users/alice/server', { token: tokens['alice'] })).status).toBe(204);
    expect(await userModel('alice')).toMatchObject({ server: null, pending: null, servers: {} });
    expectApiError(await api(hub.baseUrl, 'POST', '/users/alice/activity', { token, json: {} }), 401);
    expect(await progressEvents('alice', tokens['alice'] as string)).toEqual([expect.objectContaining({ failed: true })]);
  });

  it("lets an admin start and stop another user's server", async () => {
    openGate('bob');
    expect((await api(hub.baseUrl, 'POST', '/users/bob/server', { token: tokens['admin'] })).status).toBe(202);
    await waitFor("bob's server to run", () => hub.services.servers.state('bob') === 'running');
    expect((await api(hub.baseUrl, 'DELETE', '/users/bob/server', { token: tokens['admin'] })).status).toBe(204);
    expect(hub.services.servers.state('bob')).toBe('stopped');
  });
});
