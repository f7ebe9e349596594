import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalProcessSpawner, PluginOptionsError } from '@gatehouse/spawner';
import {
  eventually,
  liveGroupMembersOf,
  makeRequest,
  makeTempDir,
  processState,
  serverProcessOf,
  silentLogger,
  useSpawnerFixtures,
  type SpawnerFixture,
} from './helpers.ts';
import { probe, probeServerCommand } from './probe-server.ts';

// Servers that share the hub's OS account: each user has a home of their own, and in the bubblewrap
// sandbox (on by default where bwrap works, as here) one user's code cannot see another's files nor
// the hub's data dir.

// Beside the Jupyter suite's blocks: the spawner's (30000-31399) and the proxy suite's (31400-) are taken.
const PORTS: [number, number] = [45000, 45199];
const command = probeServerCommand();

/** Starts `username`'s probe server. */
async function startProbe(fixture: SpawnerFixture, username: string) {
  const request = makeRequest(fixture.dir, username);
  const handle = await fixture.start(request);
  return { handle, port: handle.port, prefix: request.prefix, home: path.join(fixture.dataDir, 'homes', username) };
}

/** What the hub keeps in its data dir: a secret next to the homes. */
function plantHubSecret(fixture: SpawnerFixture): string {
  const secret = path.join(fixture.dataDir, 'cookie_secret');
  mkdirSync(fixture.dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(secret, 'hub secret\n', { mode: 0o600 });
  return secret;
}

describe('per-user homes', () => {
  const makeFixture = useSpawnerFixtures();
  const scratch: string[] = [];
  afterEach(async () => {
    await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it.each([['sandboxed', 'auto'], ['without a sandbox', false]] as const)('%s: each server gets its own home, created 0700, as HOME and cwd', async (_name, sandbox) => {
    const fixture = await makeFixture({ portRange: PORTS, command, sandbox });
    const alice = await startProbe(fixture, 'alice');
    const bob = await startProbe(fixture, 'bob');

    for (const server of [alice, bob]) {
      expect(statSync(server.home).isDirectory()).toBe(true);
      expect(statSync(server.home).mode & 0o777).toBe(0o700);
      const seen = await probe(server.port, server.prefix);
      expect(seen.home).toBe(server.home);
      expect(seen.cwd).toBe(server.home);
    }
  });

  it('takes the home from a {username} pattern, and makes a loosened home 0700 again', async () => {
    const root = await makeTempDir();
    scratch.push(root);
    const home = path.join(root, 'people', 'carol', 'work');
    const fixture = await makeFixture({ portRange: PORTS, command, home: path.join(root, 'people', '{username}', 'work') });

    const first = await fixture.start(makeRequest(fixture.dir, 'carol'));
    expect((await probe(first.port, '/user/carol/')).home).toBe(home);
    await fixture.spawner.stop(first);
    chmodSync(home, 0o755);
    const second = await fixture.start(makeRequest(fixture.dir, 'carol'));
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect((await probe(second.port, '/user/carol/', path.join(root, 'people'))).listing).toEqual(['carol']);
  });

  it('refuses patterns that would share a home or hide the whole system', () => {
    expect(() => new LocalProcessSpawner({ home: '/srv/homes' })).toThrow(PluginOptionsError);
    expect(() => new LocalProcessSpawner({ home: '/srv/homes' })).toThrow('spawner.home: expected {username} in the path');
    expect(() => new LocalProcessSpawner({ home: 'homes/{username}' })).toThrow('spawner.home: expected an absolute path');
    expect(() => new LocalProcessSpawner({ home: '/{username}' })).toThrow('spawner.home: expected {username} below a directory other than /');
    expect(() => new LocalProcessSpawner({ sandbox: 'yes' as never })).toThrow("spawner.sandbox: expected true, false or 'auto'");
    expect(() => new LocalProcessSpawner({ sandbox: true, systemUsers: true })).toThrow('spawner.sandbox: not used with systemUsers');
    expect(() => new LocalProcessSpawner({ sandboxHide: ['run/x'] })).toThrow('spawner.sandboxHide[0]: expected an absolute path');
  });
});

describe('the sandbox', () => {
  const makeFixture = useSpawnerFixtures();

  it("hides bob's home and the hub's data dir from alice's server, which keeps its own home", async () => {
    const fixture = await makeFixture({ portRange: PORTS, command });
    expect(fixture.spawner.isolation?.level).toBe('sandbox');
    const secret = plantHubSecret(fixture);
    const alice = await startProbe(fixture, 'alice');
    const bob = await startProbe(fixture, 'bob');
    writeFileSync(path.join(bob.home, 'notes.txt'), "bob's notes");
    writeFileSync(path.join(alice.home, 'notes.txt'), "alice's notes");

    // Her own home: read, list and write.
    expect((await probe(alice.port, alice.prefix, path.join(alice.home, 'notes.txt'))).content).toBe("alice's notes");
    expect((await probe(alice.port, alice.prefix, alice.home)).listing).toEqual(['notes.txt']);
    expect((await probe(alice.port, alice.prefix, path.join(alice.home, 'new.txt'), { write: true })).wrote).toBe(true);
    // Bob's home and the hub's files: not there at all, for reading, listing or writing.
    expect((await probe(alice.port, alice.prefix, path.join(bob.home, 'notes.txt'))).error).toBe('ENOENT');
    expect((await probe(alice.port, alice.prefix, bob.home)).error).toBe('ENOENT');
    expect((await probe(alice.port, alice.prefix, path.join(fixture.dataDir, 'homes'))).listing).toEqual(['alice']);
    expect((await probe(alice.port, alice.prefix, fixture.dataDir)).listing).toEqual(['homes']);
    expect((await probe(alice.port, alice.prefix, secret)).error).toBe('ENOENT');
    expect((await probe(alice.port, alice.prefix, secret, { write: true })).wrote).toBe(true); // into her private tmpfs
    expect(statSync(secret).size).toBe('hub secret\n'.length);
    // Server logs (here outside the data dir, in /tmp) and the rest of the system: private or read-only.
    expect((await probe(alice.port, alice.prefix, path.join(fixture.dir, 'bob.log'))).error).toBe('ENOENT');
    expect((await probe(alice.port, alice.prefix, '/usr/gatehouse-probe', { write: true })).writeError).toBe('EROFS');
    expect((await probe(alice.port, alice.prefix, '/etc/passwd')).content).toBeDefined();
    // Her own pid namespace: the hub and bob's server are not in her /proc.
    const pids = (await probe(alice.port, alice.prefix, '/proc')).listing?.filter((entry) => /^\d+$/.test(entry)).map(Number) ?? [];
    expect(pids.length).toBeLessThan(5);
    expect(pids).not.toContain(process.pid);
  });

  it("hides the paths the hub names private (its front proxy's socket) and those in sandboxHide", async () => {
    const fixture = await makeFixture({ portRange: PORTS, command });
    // Outside /tmp, which every sandbox replaces anyway.
    const outside = await mkdtemp('/var/tmp/gatehouse-hide-');
    const socket = path.join(outside, 'proxy.sock');
    const listener = createServer().listen(socket);
    await once(listener, 'listening');
    try {
      const hiding = new LocalProcessSpawner({ portRange: PORTS, command, sandboxHide: [path.join(outside, 'hidden-dir')] });
      mkdirSync(path.join(outside, 'hidden-dir'));
      writeFileSync(path.join(outside, 'hidden-dir', 'secret'), 'x');
      await hiding.init({ logger: silentLogger, ports: fixture.ports, dataDir: fixture.dataDir, privatePaths: [socket] });
      const request = makeRequest(fixture.dir, 'alice');
      const handle = await hiding.start(request, () => {}, new AbortController().signal);
      try {
        // The real socket cannot be read as a file (ENXIO); in its place is /dev/null on a nodev mount (EACCES).
        const bob = await startProbe(fixture, 'bob');
        expect((await probe(bob.port, bob.prefix, socket)).error).toBe('ENXIO');
        expect((await probe(bob.port, bob.prefix, path.join(outside, 'hidden-dir'))).listing).toEqual(['secret']);
        expect((await probe(handle.port, request.prefix, socket)).error).toBe('EACCES');
        expect((await probe(handle.port, request.prefix, path.join(outside, 'hidden-dir'))).listing).toEqual([]);
      } finally {
        await hiding.stop(handle);
      }
    } finally {
      listener.close();
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('gives each server a private /tmp', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command });
    const alice = await startProbe(fixture, 'alice');
    const bob = await startProbe(fixture, 'bob');

    expect((await probe(alice.port, alice.prefix, '/tmp/shared.txt', { write: true })).wrote).toBe(true);
    expect((await probe(bob.port, bob.prefix, '/tmp/shared.txt')).error).toBe('ENOENT');
    expect((await probe(alice.port, alice.prefix, '/tmp/shared.txt')).content).toBe('written by the server');
  });

  it('without it (sandbox: false), servers share everything: the isolation says so', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command, sandbox: false });
    expect(fixture.spawner.isolation?.level).toBe('shared-account');
    expect(fixture.spawner.isolation?.summary).toMatch(/without a sandbox \(spawner\.sandbox is false\).*can read and change every other user's files/);
    const secret = plantHubSecret(fixture);
    const alice = await startProbe(fixture, 'alice');
    const bob = await startProbe(fixture, 'bob');
    writeFileSync(path.join(bob.home, 'notes.txt'), "bob's notes");

    expect((await probe(alice.port, alice.prefix, path.join(bob.home, 'notes.txt'))).content).toBe("bob's notes");
    expect((await probe(alice.port, alice.prefix, secret)).content).toBe('hub secret\n');
  });

  it('without bwrap on PATH: servers still start (each in its own home), and the isolation says why there is no sandbox', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command });
    const withoutBwrap = new LocalProcessSpawner({ portRange: PORTS, command });
    const required = new LocalProcessSpawner({ portRange: PORTS, command, sandbox: true });
    const path_ = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await withoutBwrap.init({ logger: silentLogger, ports: fixture.ports, dataDir: fixture.dataDir });
      await expect(required.init({ logger: silentLogger, ports: fixture.ports, dataDir: fixture.dataDir })).rejects.toThrow(
        'spawner.sandbox: true, but the sandbox does not work here: bwrap is not installed (Debian: bubblewrap)',
      );
    } finally {
      process.env['PATH'] = path_;
    }
    expect(withoutBwrap.isolation).toEqual({ level: 'shared-account', summary: expect.stringContaining('without a sandbox (bwrap is not installed') });
    const request = makeRequest(fixture.dir, 'alice');
    const handle = await withoutBwrap.start(request, () => {}, new AbortController().signal);
    try {
      expect(handle.state['sandboxed']).toBe(false);
      expect((await probe(handle.port, request.prefix)).home).toBe(path.join(fixture.dataDir, 'homes', 'alice'));
    } finally {
      await withoutBwrap.stop(handle);
    }
  });

  it('binds a configured shared cwd, and still hides the data dir inside it', async () => {
    const shared = await makeTempDir();
    try {
      mkdirSync(path.join(shared, 'data'));
      writeFileSync(path.join(shared, 'data', 'cookie_secret'), 'hub secret\n');
      const fixture = await makeFixture({ portRange: PORTS, command, cwd: shared });
      const spawner = new LocalProcessSpawner({ portRange: PORTS, command, cwd: shared });
      await spawner.init({ logger: silentLogger, ports: fixture.ports, dataDir: path.join(shared, 'data') });
      const request = makeRequest(fixture.dir, 'alice');
      const handle = await spawner.start(request, () => {}, new AbortController().signal);
      try {
        const seen = await probe(handle.port, request.prefix, path.join(shared, 'data'));
        expect(seen.cwd).toBe(shared);
        expect(seen.listing).toEqual(['homes']);
        expect((await probe(handle.port, request.prefix, path.join(shared, 'made-by-alice'), { write: true })).wrote).toBe(true);
        expect(statSync(path.join(shared, 'made-by-alice')).isFile()).toBe(true);
      } finally {
        await spawner.stop(handle);
      }
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('bwrap leads the process group: killing bwrap alone leaves a running server; killing the server ends it all', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command });
    const alice = await startProbe(fixture, 'alice');
    const pid = alice.handle.state['pid'] as number;
    expect(alice.handle.state['sandboxed']).toBe(true);
    const server = serverProcessOf(pid);

    process.kill(pid, 'SIGKILL');
    await eventually(() => processState(pid) === 'gone');
    expect(await fixture.spawner.poll(alice.handle)).toBe('running');
    expect((await probe(alice.port, alice.prefix)).home).toBe(alice.home);

    process.kill(server, 'SIGKILL');
    await eventually(() => liveGroupMembersOf(pid).length === 0);
    expect(await fixture.spawner.poll(alice.handle)).toBe('stopped');
  });

  it('stop() ends a sandboxed server gracefully (SIGTERM reaches the server) and leaves no live process', async () => {
    const fixture = await makeFixture({ portRange: PORTS, stopGracePeriod: 20 });
    const request = makeRequest(fixture.dir, 'alice');
    const handle = await fixture.start(request);
    const pid = handle.state['pid'] as number;
    expect(handle.state['sandboxed']).toBe(true);
    const started = Date.now();

    await fixture.spawner.stop(handle);

    expect(Date.now() - started).toBeLessThan(10_000); // not the 20 s grace period: SIGTERM worked
    expect(readFileSync(fixture.spawner.logFileFor(request), 'utf8')).toContain('SIGTERM, shutting down');
    expect(processState(pid)).toBe('gone');
    expect(liveGroupMembersOf(pid)).toEqual([]);
  });
});
