import { describe, expect, it } from 'vitest';
import { LocalProcessSpawner, SpawnError } from '@gatehouse/spawner';
import {
  inlineServerCommand,
  makeRequest,
  liveGroupMembersOf,
  processState,
  startedPid,
  testPortRange,
  useSpawnerFixtures,
  type SpawnerFixture,
  type TestRequest,
} from './helpers.ts';

const PORTS = testPortRange(2);

/** Listens on its port and answers every request with 500: up, but never ready. */
const ALWAYS_500 = inlineServerCommand("(q, s) => { s.statusCode = 500; s.end('broken'); }");

/** Runs a start that must fail; returns its SpawnError after checking nothing was left behind. */
async function expectFailedStart(fixture: SpawnerFixture, request: TestRequest, signal?: AbortSignal): Promise<SpawnError> {
  const error = await fixture.start(request, signal).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SpawnError);
  const pid = startedPid(request);
  if (pid !== undefined) {
    expect(processState(pid)).toBe('gone'); // killed and reaped: no zombie
    expect(liveGroupMembersOf(pid)).toEqual([]);
  }
  expect(fixture.ports.claimed.size).toBe(0);
  return error as SpawnError;
}

describe('LocalProcessSpawner failures', () => {
  const makeFixture = useSpawnerFixtures();

  it('reports a command that exits at once with its exit code and last output', async () => {
    const fixture = await makeFixture({
      portRange: PORTS,
      command: [process.execPath, '-e', 'console.error("boom: no configuration found"); process.exit(3)'],
    });
    const request = makeRequest(fixture.dir);

    const error = await expectFailedStart(fixture, request);

    expect(startedPid(request)).toBeDefined();
    expect(error.reason).toContain('exited with code 3 before it answered');
    expect(error.reason).toContain('boom: no configuration found');
  });

  it('reports a command that cannot be executed', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command: ['/nonexistent/gatehouse-server'] });

    const error = await expectFailedStart(fixture, makeRequest(fixture.dir));

    expect(error.reason).toMatch(/could not be started: .*ENOENT/);
    expect(error.reason).toContain('/nonexistent/gatehouse-server');
  });

  it('gives up after httpTimeout on a process that never listens, and kills it', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command: ['sleep', '1000'], httpTimeout: 2 });
    const request = makeRequest(fixture.dir);
    const started = Date.now();

    const error = await expectFailedStart(fixture, request);

    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.reason).toContain('did not answer');
    expect(error.reason).toContain('spawner.httpTimeout (2 s)');
    expect(startedPid(request)).toBeDefined();
  });

  it('does not take 500 answers for readiness', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command: ALWAYS_500, httpTimeout: 2 });

    const error = await expectFailedStart(fixture, makeRequest(fixture.dir));

    expect(error.reason).toContain('did not answer');
  });

  it('stops at once when the hub aborts the start, leaving nothing behind', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command: ['sleep', '1000'], httpTimeout: 30 });
    const request = makeRequest(fixture.dir);
    const abort = new AbortController();
    const onProgress = request.onProgress;
    // Abort once the process exists: the real condition, not a guessed delay.
    const aborting: TestRequest = { ...request, onProgress: (e) => (onProgress(e), e.progress === 30 && abort.abort()) };
    const started = Date.now();

    const error = await expectFailedStart(fixture, aborting, abort.signal);

    expect(error.reason).toBe('The server start was cancelled');
    expect(startedPid(request)).toBeDefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('enforces startTimeout itself as well', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command: ['sleep', '1000'], httpTimeout: 30, startTimeout: 1 });

    const error = await expectFailedStart(fixture, makeRequest(fixture.dir));

    expect(error.reason).toContain('spawner.startTimeout (1 s)');
  });

  it('refuses a working directory that does not exist before claiming a port', async () => {
    const fixture = await makeFixture({ portRange: PORTS, cwd: '/nonexistent/gatehouse-dir' });
    const request = makeRequest(fixture.dir);

    const error = await expectFailedStart(fixture, request);

    expect(error.reason).toContain('/nonexistent/gatehouse-dir (spawner.cwd): no such directory');
    expect(fixture.ports.history).toEqual([]);
  });

  it('rejects when used before init()', async () => {
    const fixture = await makeFixture({ portRange: PORTS });
    const uninitialised = new LocalProcessSpawner({ portRange: PORTS });
    const request = makeRequest(fixture.dir);

    await expect(uninitialised.start(request, request.onProgress, new AbortController().signal)).rejects.toThrow('before init');
  });
});
