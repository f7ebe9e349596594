import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnError } from '@gatehouse/spawner';
import {
  httpGet,
  inlineServerCommand,
  makeRequest,
  testPortRange,
  tokenHeader,
  useSpawnerFixtures,
} from './helpers.ts';

const [BLOCK_MIN] = testPortRange(1);

describe('LocalProcessSpawner port allocation', () => {
  const makeFixture = useSpawnerFixtures();
  const outsiders: ChildProcess[] = [];

  afterEach(async () => {
    for (const outsider of outsiders.splice(0)) {
      outsider.kill('SIGKILL');
      if (outsider.exitCode === null && outsider.signalCode === null) await new Promise((resolve) => outsider.once('exit', resolve));
    }
  });

  /** Another program, unknown to the hub's registry, listening on `ports`; resolves once it listens. */
  async function occupyPorts(...ports: number[]): Promise<void> {
    const script = `
const net = require('node:net');
Promise.all(${JSON.stringify(ports)}.map((p) => new Promise((ok) => net.createServer().listen(p, '127.0.0.1', ok))))
  .then(() => console.log('listening'));`;
    const outsider = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    outsiders.push(outsider);
    await new Promise<void>((resolve, reject) => {
      outsider.stdout?.once('data', () => resolve());
      outsider.once('exit', (code) => reject(new Error(`the port-occupying process exited (${code})`)));
    });
  }

  it('skips ports in the range that another process already listens on, without launching on them', async () => {
    const busy = Array.from({ length: 9 }, (_, i) => BLOCK_MIN + i);
    await occupyPorts(...busy);
    const fixture = await makeFixture({ portRange: [BLOCK_MIN, BLOCK_MIN + 9] });
    const request = makeRequest(fixture.dir);

    const handle = await fixture.start(request);

    expect(handle.port).toBe(BLOCK_MIN + 9);
    expect([...fixture.ports.claimed.keys()]).toEqual([BLOCK_MIN + 9]); // the busy ones were released
    expect(request.progress.filter((e) => e.progress === 30)).toHaveLength(1); // caught by the pre-check
  });

  it('fails with a clear reason when no port of the range is free', async () => {
    await occupyPorts(BLOCK_MIN + 10);
    const fixture = await makeFixture({ portRange: [BLOCK_MIN + 10, BLOCK_MIN + 10] });

    const failure = fixture.start(makeRequest(fixture.dir));

    await expect(failure).rejects.toThrow(SpawnError);
    await expect(failure).rejects.toThrow(`No free port left in spawner.portRange [${BLOCK_MIN + 10}, ${BLOCK_MIN + 10}]`);
    expect(fixture.ports.claimed.size).toBe(0);
  });

  it('gives 20 concurrent starts 20 different ports, even in a range barely larger than that', async () => {
    const fixture = await makeFixture({ portRange: [BLOCK_MIN + 20, BLOCK_MIN + 44] });
    const requests = Array.from({ length: 20 }, () => makeRequest(fixture.dir));

    const handles = await Promise.all(requests.map((request) => fixture.start(request)));

    const ports = handles.map((handle) => handle.port);
    expect(new Set(ports).size).toBe(20);
    expect(fixture.ports.claimed.size).toBe(20);
    // Each port is served by the server of the user it was claimed for.
    await Promise.all(
      requests.map(async (request, index) => {
        const port = ports[index]!;
        expect(fixture.ports.claimed.get(port)).toBe(request.username);
        const answer = await httpGet(port, `${request.prefix}api/headers`, tokenHeader(request.apiToken));
        expect(JSON.parse(answer.body)).toMatchObject({ user: request.username });
      }),
    );
  });

  it.each([
    ['EADDRINUSE (Node)', FIRST_RUN_LOSES_THE_PORT],
    ['the notebook server\'s own words (jupyterhub-singleuser 3.0)', FIRST_RUN_LOSES_THE_PORT_LIKE_JUPYTER],
  ])('retries on another port when the server reports its port taken — %s — releasing the taken one', async (_, command) => {
    const fixture = await makeFixture({ portRange: [BLOCK_MIN + 50, BLOCK_MIN + 99], command });
    const request = makeRequest(fixture.dir);

    const handle = await fixture.start(request);

    expect(fixture.ports.history).toHaveLength(2);
    const [lost, won] = fixture.ports.history;
    expect(handle.port).toBe(won);
    expect(lost).not.toBe(won);
    expect(fixture.ports.claimed.has(lost!)).toBe(false);
    expect(request.progress.filter((e) => e.progress === 30)).toHaveLength(2);
    expect((await httpGet(handle.port, request.prefix)).body).toBe('second run');
  });
});

/**
 * Loses the race for its port on the first run (as if another program bound it right after the
 * spawner's pre-check), then serves normally.
 */
function losesThePortOnItsFirstRun(saying: string): string[] {
  return inlineServerCommand("(q, s) => s.end('second run')", {
    before: `
const fs = require('node:fs');
// The server's own home is where it may write, sandboxed or not; it outlives the first run.
const marker = require('node:path').join(process.env.HOME, 'first-run-done');
if (!fs.existsSync(marker)) {
  fs.writeFileSync(marker, '');
  console.error(${JSON.stringify(saying)});
  process.exit(1);
}`,
  });
}

const FIRST_RUN_LOSES_THE_PORT = losesThePortOnItsFirstRun('Error: listen EADDRINUSE: address already in use 127.0.0.1');
/** What notebook 6.4 under jupyterhub-singleuser 3.0 prints (seen in the class-arrival bench) instead of EADDRINUSE. */
const FIRST_RUN_LOSES_THE_PORT_LIKE_JUPYTER = losesThePortOnItsFirstRun(
  '[I 2026-12-02 05:37:12.572 SingleUserNotebookApp notebookapp:1833] The port 44570 is already in use.\n' +
    '[C 2026-12-02 05:37:12.572 SingleUserNotebookApp notebookapp:1849] ERROR: the notebook server could not be started because port 44570 is not available.',
);
