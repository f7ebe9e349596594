import { readFileSync, statSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  eventually,
  httpGet,
  inlineServerCommand,
  makeRequest,
  nextMessage,
  openWebSocket,
  portLooksTaken,
  liveGroupMembersOf,
  processGroupMembers,
  processState,
  testPortRange,
  tokenHeader,
  useSpawnerFixtures,
  type SpawnerFixture,
} from './helpers.ts';

const PORTS = testPortRange(0);

describe('LocalProcessSpawner with the demo app', () => {
  const makeFixture = useSpawnerFixtures();
  let fixture: SpawnerFixture;

  beforeEach(async () => {
    fixture = await makeFixture({ portRange: PORTS, stopGracePeriod: 3 });
  });

  it('starts a server that answers HTTP with the token and reports progress', async () => {
    const request = makeRequest(fixture.dir);
    const handle = await fixture.start(request);

    expect(handle.host).toBe('127.0.0.1');
    expect(handle.port).toBeGreaterThanOrEqual(PORTS[0]);
    expect(handle.port).toBeLessThanOrEqual(PORTS[1]);
    expect(handle.credential).toBe('token-header');
    expect(fixture.ports.claimed.get(handle.port)).toBe(request.username);
    expect(request.progress.map((e) => e.progress)).toEqual([10, 30, 100]);
    expect(request.progress.at(-1)?.message).toBe('Server ready');
    // The handle must survive the hub's database.
    expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);
    expect(handle.state).toEqual({ pid: expect.any(Number), pgid: expect.any(Number), startTime: expect.any(Number), sandboxed: expect.any(Boolean), logFile: fixture.spawner.logFileFor(request) });
    expect(await fixture.spawner.poll(handle)).toBe('running');

    const api = await httpGet(handle.port, `${request.prefix}api`, tokenHeader(request.apiToken));
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toEqual({ version: expect.any(String) });

    const ping = await httpGet(handle.port, `${request.prefix}api/ping`, tokenHeader(request.apiToken));
    expect(ping.body.startsWith('pong')).toBe(true);
    expect(ping.body.length).toBeGreaterThan(1000);

    const echoed = await httpGet(handle.port, `${request.prefix}api/headers?x=1`, { ...tokenHeader(request.apiToken), 'X-Probe': 'seen' });
    const model = JSON.parse(echoed.body) as { user: string; method: string; url: string; headers: Record<string, string>; rawHeaders: string[] };
    expect(model.user).toBe(request.username);
    expect(model.method).toBe('GET');
    expect(model.url).toBe(`${request.prefix}api/headers?x=1`);
    expect(model.headers['x-probe']).toBe('seen');
    expect(model.rawHeaders).toContain('X-Probe');
    // The app never echoes its own token back to the browser.
    expect(echoed.body).not.toContain(request.apiToken);
    expect(model.headers['authorization']).toMatch(/^token \[/);
  });

  it('refuses requests without the server token or with a wrong one (403), and 404s outside the prefix', async () => {
    const request = makeRequest(fixture.dir);
    const handle = await fixture.start(request);

    expect((await httpGet(handle.port, request.prefix)).status).toBe(403);
    expect((await httpGet(handle.port, `${request.prefix}api/headers`, tokenHeader('wrong'))).status).toBe(403);
    expect((await httpGet(handle.port, request.prefix, { authorization: `Bearer ${request.apiToken}` })).status).toBe(403);
    expect((await httpGet(handle.port, request.prefix, tokenHeader(`${request.apiToken}x`))).status).toBe(403);
    expect((await httpGet(handle.port, '/user/someone-else/', tokenHeader(request.apiToken))).status).toBe(404);
  });

  it('renders the home page with the user and the received headers HTML-escaped', async () => {
    const request = makeRequest(fixture.dir);
    const handle = await fixture.start(request);

    const page = await httpGet(handle.port, request.prefix, { ...tokenHeader(request.apiToken), 'X-Evil': '<script>alert(1)</script>' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain(request.username);
    expect(page.body).toContain('X-Evil');
    expect(page.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain(request.apiToken);
  });

  it('echoes WebSocket messages after a hello carrying the upgrade headers, only with the token', async () => {
    const request = makeRequest(fixture.dir);
    const handle = await fixture.start(request);
    const wsPath = `${request.prefix}ws`;

    const { ws, first } = await openWebSocket(handle.port, wsPath, { ...tokenHeader(request.apiToken), 'X-Probe': 'upgrade' });
    try {
      const hello = JSON.parse(first) as { type: string; user: string; headers: Record<string, string> };
      expect(hello.type).toBe('hello');
      expect(hello.user).toBe(request.username);
      expect(hello.headers['x-probe']).toBe('upgrade');
      expect(first).not.toContain(request.apiToken);
      ws.send('ping 1');
      expect(await nextMessage(ws)).toBe('ping 1');
    } finally {
      ws.close();
    }

    await expect(openWebSocket(handle.port, wsPath, {})).rejects.toThrow('HTTP 403');
    await expect(openWebSocket(handle.port, wsPath, tokenHeader('wrong'))).rejects.toThrow('HTTP 403');
  });

  it('writes the server output to the log file with mode 0600, and the server gets a clean environment', async () => {
    process.env['GATEHOUSE_TEST_SECRET'] = 'must-not-leak';
    try {
      const request = makeRequest(fixture.dir);
      const handle = await fixture.start(request);
      const pid = handle.state['pid'] as number;

      expect(statSync(fixture.spawner.logFileFor(request)).mode & 0o777).toBe(0o600);
      expect(readFileSync(fixture.spawner.logFileFor(request), 'utf8')).toContain(`serving ${request.username}`);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
      const names = environ.map((entry) => entry.slice(0, entry.indexOf('=')));
      expect(names.sort()).toEqual(
        ['HOME', 'JUPYTERHUB_API_TOKEN', 'JUPYTERHUB_BASE_URL', 'JUPYTERHUB_SERVICE_PREFIX', 'JUPYTERHUB_SERVICE_URL', 'JUPYTERHUB_USER', 'PATH', 'USER'],
      );
      // Its own process group and session: it survives the hub and can be signalled as a group
      // (sandboxed: bwrap leads it, with bwrap's pid-namespace init and the server inside).
      const members = processGroupMembers(pid);
      expect(members[0]).toBe(pid);
      expect(members).toHaveLength(handle.state['sandboxed'] === true ? 3 : 1);
    } finally {
      delete process.env['GATEHOUSE_TEST_SECRET'];
    }
  });

  it('stop() ends the whole process group, reaps it and releases the port', async () => {
    const request = makeRequest(fixture.dir);
    const handle = await fixture.start(request);
    const pid = handle.state['pid'] as number;
    expect(processState(pid)).not.toBe('gone');

    await fixture.spawner.stop(handle);

    expect(processState(pid)).toBe('gone'); // not even a zombie
    expect(liveGroupMembersOf(pid)).toEqual([]);
    expect(fixture.ports.claimed.has(handle.port)).toBe(false);
    expect(await portLooksTaken(handle.port)).toBe(false);
    expect(await fixture.spawner.poll(handle)).toBe('stopped');
    expect(readFileSync(fixture.spawner.logFileFor(request), 'utf8')).toContain('SIGTERM, shutting down');
    // Stopping again is harmless.
    await fixture.spawner.stop(handle);
  });

  it('stop() escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const stubborn = await makeFixture({
      portRange: PORTS,
      stopGracePeriod: 0.5,
      // Answers HTTP but ignores SIGTERM.
      command: inlineServerCommand("(q, s) => s.end('ok')", {
        before: "process.on('SIGTERM', () => {});",
        onListening: "console.log('ignoring SIGTERM')",
      }),
    });
    const request = makeRequest(stubborn.dir);
    const handle = await stubborn.start(request);
    const pid = handle.state['pid'] as number;
    await eventually(() => readFileSync(stubborn.spawner.logFileFor(request), 'utf8').includes('ignoring SIGTERM'));

    const started = Date.now();
    await stubborn.spawner.stop(handle);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(processState(pid)).toBe('gone');
    expect(stubborn.ports.claimed.size).toBe(0);
  });
});
