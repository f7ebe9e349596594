import { describe, expect, it } from 'vitest';
import { LocalProcessSpawner, type ServerHandle } from '@gatehouse/spawner';
import {
  eventually,
  httpGet,
  makeRequest,
  liveGroupMembersOf,
  processState,
  serverProcessOf,
  silentLogger,
  testPortRange,
  tokenHeader,
  useSpawnerFixtures,
} from './helpers.ts';

const PORTS = testPortRange(3);

/** What the hub reads back from SQLite after a restart. */
function persisted(handle: ServerHandle): ServerHandle {
  return JSON.parse(JSON.stringify(handle)) as ServerHandle;
}

describe('LocalProcessSpawner poll() and re-attaching after a hub restart', () => {
  const makeFixture = useSpawnerFixtures();

  it('poll() reports a server killed with SIGKILL as stopped', async () => {
    const fixture = await makeFixture({ portRange: PORTS });
    const handle = await fixture.start(makeRequest(fixture.dir));
    const pid = handle.state['pid'] as number;
    expect(await fixture.spawner.poll(handle)).toBe('running');

    process.kill(serverProcessOf(pid), 'SIGKILL');

    await eventually(async () => (await fixture.spawner.poll(handle)) === 'stopped');
    await eventually(() => processState(pid) === 'gone'); // reaped, not left as a zombie
  });

  it('a new spawner instance, given the persisted handle, polls and stops the running server', async () => {
    const options = { portRange: PORTS, stopGracePeriod: 3 };
    const fixture = await makeFixture(options);
    const request = makeRequest(fixture.dir);
    const handle = persisted(await fixture.start(request));
    const pid = handle.state['pid'] as number;

    // The "restarted hub": a fresh instance that never started anything, sharing only the database.
    const restarted = new LocalProcessSpawner(options);
    await restarted.init({ logger: silentLogger, ports: fixture.ports, dataDir: fixture.dataDir });

    expect(await restarted.poll(handle)).toBe('running');
    expect((await httpGet(handle.port, `${request.prefix}api`, tokenHeader(request.apiToken))).status).toBe(200);
    await restarted.stop(handle);

    expect(liveGroupMembersOf(pid)).toEqual([]);
    expect(await restarted.poll(handle)).toBe('stopped');
    expect(fixture.ports.claimed.has(handle.port)).toBe(false);
    // It was still this test process's child, so Node reaps it: nothing is left, not even a zombie.
    await eventually(() => processState(pid) === 'gone');
  });

  it('a handle whose start time does not match (the pid was reused) is stopped, and stop() leaves that process alone', async () => {
    const fixture = await makeFixture({ portRange: PORTS });
    const request = makeRequest(fixture.dir);
    const handle = await fixture.start(request);
    const pid = handle.state['pid'] as number;
    const reused: ServerHandle = { ...handle, state: { ...handle.state, startTime: (handle.state['startTime'] as number) - 1 } };

    expect(await fixture.spawner.poll(reused)).toBe('stopped');
    await fixture.spawner.stop(reused);

    expect(processState(pid)).not.toBe('gone');
    expect(await fixture.spawner.poll(handle)).toBe('running');
    expect((await httpGet(handle.port, `${request.prefix}api`, tokenHeader(request.apiToken))).status).toBe(200);
  });

  it('treats handles of processes that do not exist, or with unusable state, as stopped', async () => {
    const fixture = await makeFixture({ portRange: PORTS });
    const base = { host: '127.0.0.1', port: PORTS[0], credential: 'token-header' as const };
    // pid_max bounds pids, so this one cannot exist.
    const missing: ServerHandle = { ...base, state: { pid: 4_194_305, pgid: 4_194_305, startTime: 1 } };

    expect(await fixture.spawner.poll(missing)).toBe('stopped');
    expect(await fixture.spawner.poll({ ...base, state: {} })).toBe('stopped');
    expect(await fixture.spawner.poll({ ...base, state: { pid: 'x', pgid: 1, startTime: 1 } })).toBe('stopped');
    await fixture.spawner.stop(missing);
    await fixture.spawner.stop({ ...base, state: {} });
  });
});
