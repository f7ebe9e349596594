import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inHubProcessLauncher, ProcessLauncher, SpawnError, sharedProcessLauncher } from '@gatehouse/spawner';
import { launchServerProcess, type LaunchSpec } from '../../packages/spawner/src/server-process.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { isRunning, processStat, waitFor } from '../support/processes.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { httpGet, inlineServerCommand, makeRequest, startedPid, tokenHeader, useSpawnerFixtures } from './helpers.ts';

// Servers are forked by a small launcher process (process-launcher-child.mjs), not by the hub. These
// tests drive the real launcher: they stop and kill it mid-start, and kill -9 the process holding it.

// Beside the other suites' blocks (spawner 30000-31999, proxy 31400-, browser 32000-39999, Jupyter 40000-45999).
const PORTS: [number, number] = [46000, 46099];
const SERVER_SOURCE = path.join(REPO_ROOT, 'packages/spawner/src/server-process.ts');
const LAUNCHER_SOURCE = path.join(REPO_ROOT, 'packages/spawner/src/process-launcher.ts');
const OK_SERVER = inlineServerCommand("(q, s) => s.end('ok')");

const launchers: ProcessLauncher[] = [];
afterEach(() => {
  for (const launcher of launchers.splice(0)) launcher.close();
});
afterAll(cleanupTempDirs);

function newLauncher(options: ConstructorParameters<typeof ProcessLauncher>[0] = {}): ProcessLauncher {
  const launcher = new ProcessLauncher(options);
  launchers.push(launcher);
  return launcher;
}

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
}

/** A command that runs to its end at once: `/bin/true`, in a fresh directory with its own log. */
function trueSpec(): LaunchSpec {
  const dir = tempDir('gatehouse-launcher-');
  return { argv: ['/bin/true'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, cwd: dir, logFile: path.join(dir, 'server.log') };
}

describe('the process launcher', () => {
  const makeFixture = useSpawnerFixtures();

  it('forks servers in a child process of its own, which passes them no descriptor of its channel', async () => {
    const fixture = await makeFixture({ portRange: PORTS, sandbox: false, command: OK_SERVER });
    const request = makeRequest(fixture.dir);
    const handle = await fixture.start(request);
    const pid = handle.state['pid'] as number;
    const launcher = sharedProcessLauncher.pid as number;

    expect((await httpGet(handle.port, request.prefix, tokenHeader(request.apiToken))).body).toBe('ok');
    expect(processStat(pid)?.ppid).toBe(launcher);
    expect(launcher).not.toBe(process.pid);
    expect(cmdline(launcher).join(' ')).toContain('process-launcher-child.mjs');
    const channelFd = /(?:^|\0)NODE_CHANNEL_FD=(\d+)/.exec(readFileSync(`/proc/${launcher}/environ`, 'utf8'))?.[1];
    const channel = readlinkSync(`/proc/${launcher}/fd/${channelFd}`);
    expect(channel).toMatch(/^socket:/);
    const serverFds = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    expect(serverFds).not.toContain(channel);
  });

  it('fails a start whose launcher is killed with a SpawnError; the next start gets a fresh launcher', async () => {
    const launcher = newLauncher();
    const fixture = await makeFixture({ portRange: PORTS, sandbox: false, command: OK_SERVER }, launcher);
    const before = await fixture.start(makeRequest(fixture.dir));
    const first = launcher.pid as number;
    // Stopped, the launcher cannot answer before it is killed, whatever the machine's load.
    process.kill(first, 'SIGSTOP');
    const start = fixture.start(makeRequest(fixture.dir)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    await waitFor('the start to wait for the launcher', () => launcher.pendingLaunches > 0);
    process.kill(first, 'SIGKILL');

    const error = await start;
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).reason).toBe('The server could not be started: the process launcher exited (SIGKILL)');
    expect(fixture.ports.claimed.size).toBe(1); // the earlier server's only

    const request = makeRequest(fixture.dir);
    const after = await fixture.start(request);
    expect((await httpGet(after.port, request.prefix, tokenHeader(request.apiToken))).body).toBe('ok');
    expect(launcher.pid).not.toBe(first);
    expect(processStat(after.state['pid'] as number)?.ppid).toBe(launcher.pid);
    // The server whose launcher died runs on, orphaned; stop() still ends it.
    expect(isRunning(before.state['pid'] as number)).toBe(true);
    await fixture.spawner.stop(before);
    expect(isRunning(before.state['pid'] as number)).toBe(false);
  });

  it('fails a start whose launcher dies while the server boots, and leaves no process behind', async () => {
    const launcher = newLauncher();
    const fixture = await makeFixture({ portRange: PORTS, sandbox: false, command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], httpTimeout: 60 }, launcher);
    const request = makeRequest(fixture.dir);
    const start = fixture.start(request).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    const pid = await waitFor('the released server', () => startedPid(request));
    process.kill(launcher.pid as number, 'SIGKILL');

    const error = await start;
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).reason).toBe('The server could not be started: its process launcher exited (SIGKILL) before it answered. It wrote nothing.');
    expect(isRunning(pid)).toBe(false);
    expect(fixture.ports.claimed.size).toBe(0);
  });

  it('kills a launcher that makes no progress, so a start never waits forever', async () => {
    // Long enough for a fresh launcher to boot on a loaded machine; the first one is stopped at once.
    const launcher = newLauncher({ progressTimeoutMs: 5000 });
    const stuckLaunch = launchServerProcess(trueSpec(), launcher);
    const stuck = launcher.pid as number;
    process.kill(stuck, 'SIGSTOP');
    try {
      await expect(stuckLaunch).rejects.toThrow(/^The server could not be started: the process launcher made no progress for 5 s$/);
      await waitFor('the stuck launcher is gone', () => !isRunning(stuck));
    } finally {
      if (isRunning(stuck)) process.kill(stuck, 'SIGKILL');
    }
    const next = await launchServerProcess(trueSpec(), launcher);
    next.release();
    expect(await next.exited).toEqual({ code: 0, signal: null });
    expect(launcher.pid).not.toBe(stuck);
  });

  it('can still fork in the hub process itself (for measurements)', async () => {
    const child = await launchServerProcess(trueSpec(), inHubProcessLauncher);
    expect(processStat(child.pid)?.ppid).toBe(process.pid);
    child.release();
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});

describe('the gate, when the process holding the launcher dies', () => {
  /**
   * A hub-side node process that launches `sh -c 'echo ran > ran'` through the shared launcher and
   * prints {pid, startTime, launcher}. `hold`: never releases it and stays alive until killed;
   * `release`: releases it, prints how it exited, and ends by itself.
   */
  function startHubSide(mode: 'hold' | 'release', dir: string) {
    const script = path.join(dir, 'hub-side.mts');
    writeFileSync(
      script,
      [
        `import { launchServerProcess } from ${JSON.stringify(SERVER_SOURCE)};`,
        `import { sharedProcessLauncher } from ${JSON.stringify(LAUNCHER_SOURCE)};`,
        `const dir = ${JSON.stringify(dir)};`,
        `const child = await launchServerProcess({ argv: ['/bin/sh', '-c', 'echo ran > ran'], env: { PATH: '/usr/bin:/bin' }, cwd: dir, logFile: dir + '/server.log' });`,
        `console.log(JSON.stringify({ pid: child.pid, startTime: child.startTime, launcher: sharedProcessLauncher.pid }));`,
        `const alive = setInterval(() => undefined, 60_000);`,
        `if (${JSON.stringify(mode)} === 'release') {`,
        `  child.release();`,
        `  console.log(JSON.stringify(await child.exited));`,
        `  clearInterval(alive);`,
        `}`,
      ].join('\n'),
    );
    const hub = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    hub.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const lines = () => output.split('\n').filter((line) => line !== '');
    const closed = once(hub, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    return { hub, closed, lines };
  }

  it('kill -9 before release(): the launcher exits, the held shell exits, the command never ran', async () => {
    const dir = tempDir('gatehouse-gate-');
    const { hub, closed, lines } = startHubSide('hold', dir);
    // tsx compiles the hub side first: on a loaded machine that takes a while.
    const line = await waitFor('the launched server', () => lines()[0], 90_000);
    const launched = JSON.parse(line) as { pid: number; startTime: number; launcher: number };
    expect(cmdline(launched.pid)[0]).toBe('/bin/sh'); // held at the gate
    expect(processStat(launched.pid)?.ppid).toBe(launched.launcher);

    hub.kill('SIGKILL');
    await closed;
    await waitFor('the launcher has exited by itself', () => !isRunning(launched.launcher));
    await waitFor('the held shell has exited', () => !isRunning(launched.pid));
    // Released, the shell would have exec'd the command under the same pid, which writes `ran` before it exits.
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
  }, 120_000);

  it('released, the command runs, its exit is reported, and the launcher does not keep the hub process alive', async () => {
    const dir = tempDir('gatehouse-gate-');
    const { closed, lines } = startHubSide('release', dir);
    const [code] = await closed;
    expect(code).toBe(0);
    const [launchedLine, exitLine] = lines();
    const launched = JSON.parse(launchedLine ?? '') as { launcher: number };
    expect(JSON.parse(exitLine ?? '')).toEqual({ code: 0, signal: null });
    expect(readFileSync(path.join(dir, 'ran'), 'utf8')).toBe('ran\n');
    await waitFor('the launcher has exited with its parent', () => !isRunning(launched.launcher));
  }, 120_000);
});
