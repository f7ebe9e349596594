import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { demoAppPath, LocalProcessSpawner, type LocalProcessSpawnerOptions } from '@gatehouse/spawner';
import { startCliHub, type CliHub } from '../support/cli.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { api, ensureUser, isRunning, portBlock, waitFor } from './helpers.ts';

// `kill -9` of the hub at every moment of a server's start and stop: after a restart on the same
// data dir, exactly the server processes the hub knows about exist, and starting again never
// gives a second process. The first hub is the real CLI (so it can be SIGKILLed); the restarted
// one runs in this process, so the test can read what it recorded.

/** On every server command line of this file (and nowhere else, even with other suites running). */
const MARKER = `gatehouse-crash-suite-${randomBytes(4).toString('hex')}`;
const TOKEN = randomBytes(24).toString('hex');
const GRACE_SECONDS = 2;

let cliHub: CliHub | undefined;
let restarted: TestHub | undefined;

afterEach(async () => {
  await cliHub?.stop('SIGKILL');
  cliHub = undefined;
  if (restarted !== undefined) {
    await Promise.all(restarted.services.users.list().map((user) => restarted?.services.servers.stop(user)));
    await restarted.close();
    restarted = undefined;
  }
  for (const pid of markedProcesses()) process.kill(-pid, 'SIGKILL'); // a failed test's leftovers
});

afterAll(() => cleanupTempDirs());

/** Live (not zombie) processes whose command line carries this file's marker, found by scanning /proc. */
function markedProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MARKER) && isRunning(pid);
      } catch {
        return false; // exited while we looked
      }
    });
}

/** The demo app, started once `gateFile` exists: a start stays pending until the test says so. */
function gatedCommand(gateFile: string): string[] {
  const script = `const timer = setInterval(() => { if (require('node:fs').existsSync(${JSON.stringify(gateFile)})) { clearInterval(timer); import(${JSON.stringify(pathToFileURL(demoAppPath).href)}); } }, 20);`;
  return [process.execPath, '-e', script];
}

function spawnerOptions(block: number, command: string[]): LocalProcessSpawnerOptions {
  // No sandbox: the gate file lies in the test's /tmp, which a sandbox would replace.
  return { portRange: portBlock(block), command, args: [MARKER], stopGracePeriod: GRACE_SECONDS, sandbox: false };
}

/**
 * A hub.config.ts whose spawner SIGKILLs its own hub at the moment named by GATEHOUSE_TEST_CRASH_AT:
 * before the spawn, between the spawn and the hub's record of it, or right after that record.
 */
function writeCrashConfig(dir: string, options: LocalProcessSpawnerOptions): string {
  const file = path.join(dir, 'hub.config.ts');
  writeFileSync(
    file,
    `import { defineConfig } from '@gatehouse/hub';
     import { DummyAuthenticator } from '@gatehouse/authenticators';
     import { LocalProcessSpawner } from '@gatehouse/spawner';
     const crashAt = process.env.GATEHOUSE_TEST_CRASH_AT ?? '';
     const crash = (moment) => { if (crashAt === moment) process.kill(process.pid, 'SIGKILL'); };
     class CrashingSpawner extends LocalProcessSpawner {
       async start(request, onProgress, signal) {
         crash('before-spawn');
         const launched = (handle) => { crash('before-record'); request.launched(handle); crash('after-record'); };
         return super.start({ ...request, launched }, onProgress, signal);
       }
     }
     export default defineConfig({
       authenticator: new DummyAuthenticator(),
       adminUsers: ['alice'],
       spawner: new CrashingSpawner(${JSON.stringify(options)}),
       serverPollInterval: 1,
     });`,
  );
  return file;
}

interface Setup {
  readonly dataDir: string;
  readonly options: LocalProcessSpawnerOptions;
  readonly gateFile: string;
}

/** A server that ignores SIGTERM: every stop takes the whole grace period, then SIGKILL. */
const IGNORES_SIGTERM = [
  process.execPath,
  '-e',
  `process.on('SIGTERM', () => {});
const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(url.port), '127.0.0.1');`,
];

function setup(block: number, command?: string[]): Setup & { configFile: string } {
  const dir = tempDir('gatehouse-crash-');
  const gateFile = path.join(dir, 'gate');
  const options = spawnerOptions(block, command ?? gatedCommand(gateFile));
  return { dataDir: path.join(dir, 'data'), options, gateFile, configFile: writeCrashConfig(dir, options) };
}

async function startCli(configFile: string, dataDir: string, crashAt = ''): Promise<CliHub> {
  return startCliHub(['--config', configFile, '--data-dir', dataDir, '--port', '0'], {
    env: { GATEHOUSE_TOKEN: TOKEN, GATEHOUSE_TEST_CRASH_AT: crashAt, GATEHOUSE_RUNTIME_DIR: path.dirname(dataDir) },
  });
}

/** Waits until the CLI hub process has died of SIGKILL. */
async function died(hub: CliHub): Promise<void> {
  if (hub.process.exitCode === null && hub.process.signalCode === null) await once(hub.process, 'exit');
  expect(hub.process.signalCode).toBe('SIGKILL');
}

/** The hub again, on the same data dir, in this process: what it recorded can be read directly. */
async function restart({ dataDir, options }: Setup): Promise<TestHub> {
  restarted = await startTestHub({ dataDir, adminUsers: ['alice'], serverPollInterval: 1, spawner: new LocalProcessSpawner(options) });
  return restarted;
}

/** Pids of the server processes the hub has recorded (any state). */
function recordedPids(hub: TestHub): number[] {
  return hub.services.serverRepository.all().flatMap((row) => {
    const pid = row.handle?.state['pid'];
    return typeof pid === 'number' ? [pid] : [];
  });
}

/** The invariant: once the hub has settled, the processes that exist are exactly the ones it knows. */
async function expectOnlyKnownProcesses(hub: TestHub): Promise<void> {
  for (const user of hub.services.users.list()) await hub.services.servers.settled(user.name);
  await waitFor('only the servers the hub knows to exist', () => {
    const known = recordedPids(hub).sort();
    return JSON.stringify(markedProcesses().sort()) === JSON.stringify(known);
  }).catch(() => undefined);
  expect(markedProcesses().sort()).toEqual(recordedPids(hub).sort());
}

/** Starting alice's server on the restarted hub gives one running server process, the recorded one. */
async function expectOneServerAfterStartingAgain(hub: TestHub, token: string): Promise<void> {
  const started = await api(hub.baseUrl, 'POST', '/users/alice/server', token);
  expect([201, 202, 400]).toContain(started.status); // 400: it is already running (re-attached)
  expect(await hub.services.servers.settled('alice')).toBe('running');
  const pids = recordedPids(hub);
  expect(pids).toHaveLength(1);
  expect(markedProcesses()).toEqual(pids);
  expect(hub.logs.text).not.toContain('did not report the process through launched()');
}

async function postStart(hub: CliHub): Promise<number | 'connection lost'> {
  const response = await api(hub.url.replace(/\/$/, ''), 'POST', '/users/alice/server', TOKEN).catch(() => undefined);
  return response === undefined ? 'connection lost' : response.status;
}

describe('kill -9 of the hub during a start', () => {
  it.each(['before-spawn', 'before-record', 'after-record'])('at %s: after a restart nothing runs that the hub does not know', async (moment) => {
    const crash = setup(23);
    writeFileSync(crash.gateFile, ''); // the command itself would be ready at once
    cliHub = await startCli(crash.configFile, crash.dataDir, moment);
    expect([202, 'connection lost']).toContain(await postStart(cliHub)); // 202 may go out before the spawn
    await died(cliHub);
    cliHub = undefined;

    const hub = await restart(crash);
    expect(['stopped', 'stopping']).toContain(hub.services.servers.state('alice'));
    await expectOnlyKnownProcesses(hub);
    expect(hub.services.servers.state('alice')).toBe('stopped');
    expect(markedProcesses()).toEqual([]);
    await expectOneServerAfterStartingAgain(hub, TOKEN);
  });

  it('while the server runs but is not ready yet: the restarted hub stops it, then starts exactly one', async () => {
    const crash = setup(23);
    cliHub = await startCli(crash.configFile, crash.dataDir);
    expect(await postStart(cliHub)).toBe(202);
    // The command runs (past the spawner's gate), waiting for the gate file: pending, not ready.
    const pid = await waitFor('the server command to run', () => markedProcesses().find((candidate) => readFileSync(`/proc/${candidate}/cmdline`, 'utf8').startsWith(process.execPath)));
    await cliHub.stop('SIGKILL');
    cliHub = undefined;
    expect(isRunning(pid)).toBe(true);

    const hub = await restart(crash);
    expect(hub.logs.text).toContain('stopping a server the previous hub left pending or stopping');
    writeFileSync(crash.gateFile, '');
    await expectOnlyKnownProcesses(hub);
    expect(isRunning(pid)).toBe(false);
    expect(hub.services.servers.state('alice')).toBe('stopped');
    await expectOneServerAfterStartingAgain(hub, TOKEN);
  });

  it('once the server is ready: the restarted hub re-attaches to the same process', async () => {
    const crash = setup(23);
    writeFileSync(crash.gateFile, '');
    cliHub = await startCli(crash.configFile, crash.dataDir);
    expect(await postStart(cliHub)).toBe(202);
    const hubUrl = cliHub.url.replace(/\/$/, '');
    await waitFor('the server to be ready', async () => (await api(hubUrl, 'GET', '/users/alice', TOKEN)).json<{ server: string | null }>().server !== null);
    const [pid] = markedProcesses();
    await cliHub.stop('SIGKILL');
    cliHub = undefined;

    const hub = await restart(crash);
    expect(hub.services.servers.state('alice')).toBe('running');
    expect(recordedPids(hub)).toEqual([pid]);
    await expectOnlyKnownProcesses(hub);
    await expectOneServerAfterStartingAgain(hub, TOKEN);
    expect(markedProcesses()).toEqual([pid]);
  });
});

describe('kill -9 of the hub while servers are stopping', () => {
  it('does not hold up the restart: the hub answers at once, the servers show stopping until gone, their ports stay claimed', async () => {
    const users = ['alice', 'bob', 'carol'];
    const crash = setup(24, IGNORES_SIGTERM);
    cliHub = await startCli(crash.configFile, crash.dataDir);
    const hubUrl = cliHub.url.replace(/\/$/, '');
    for (const name of users) {
      if (name !== 'alice') expect((await api(hubUrl, 'POST', `/users/${name}`, TOKEN)).status).toBe(201);
      expect((await api(hubUrl, 'POST', `/users/${name}/server`, TOKEN)).status).toBe(202);
    }
    await waitFor('three running servers', async () => {
      const models = await Promise.all(users.map(async (name) => (await api(hubUrl, 'GET', `/users/${name}`, TOKEN)).json<{ server: string | null }>()));
      return models.every((model) => model.server !== null);
    });
    const pids = markedProcesses();
    expect(pids).toHaveLength(3);
    for (const name of users) void api(hubUrl, 'DELETE', `/users/${name}/server`, TOKEN).catch(() => undefined);
    await waitFor('three stops under way', async () => {
      const models = await Promise.all(users.map(async (name) => (await api(hubUrl, 'GET', `/users/${name}`, TOKEN)).json<{ pending: string | null }>()));
      return models.every((model) => model.pending === 'stop');
    });
    await cliHub.stop('SIGKILL');
    cliHub = undefined;

    const restartedAt = performance.now();
    const hub = await restart(crash);
    const answer = await api(hub.baseUrl, 'GET', '/users/alice', TOKEN);
    const answeredMs = performance.now() - restartedAt;
    expect(answer.json()).toMatchObject({ pending: 'stop' });
    expect(answeredMs).toBeLessThan(1_000 * GRACE_SECONDS); // not N × the grace period
    expect(users.map((name) => hub.services.servers.state(name))).toEqual(['stopping', 'stopping', 'stopping']);
    const ports = users.map((name) => hub.services.serverRepository.get(ensureUser(hub, name).id)?.handle?.port);
    for (const port of ports) expect(hub.services.serverRepository.claim('127.0.0.1', port ?? -1, 'intruder')).toBe(false);

    for (const name of users) expect(await hub.services.servers.settled(name)).toBe('stopped');
    expect(pids.filter(isRunning)).toEqual([]);
    expect(hub.services.serverRepository.all()).toEqual([]);
    for (const port of ports) {
      expect(hub.services.serverRepository.claim('127.0.0.1', port ?? -1, 'next')).toBe(true);
      hub.services.serverRepository.release('127.0.0.1', port ?? -1);
    }
  });
});

describe('a spawner that does not call launched()', () => {
  it('still starts servers, and the hub warns that a crash mid-start could lose them', async () => {
    class UnreportingSpawner extends LocalProcessSpawner {
      override start(...[request, onProgress, signal]: Parameters<LocalProcessSpawner['start']>) {
        return super.start({ ...request, launched: () => undefined }, onProgress, signal);
      }
    }
    const hub = await startTestHub({ spawner: new UnreportingSpawner(spawnerOptions(23, [process.execPath, demoAppPath])) });
    restarted = hub;
    hub.services.servers.start(ensureUser(hub, 'alice'));
    expect(await hub.services.servers.settled('alice')).toBe('running');
    expect(hub.logs.text).toContain('the spawner did not report the process through launched() before it was ready');
  });
});
