import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnError, demoAppPath } from '@gatehouse/spawner';
import { httpGet, makeRequest, processState, testPortRange, tokenHeader, uniqueName, useSpawnerFixtures } from './helpers.ts';

const PORTS = testPortRange(5);
const isRoot = process.getuid?.() === 0;

/** Whether a user who is neither owner nor in the group can reach `file` (o+x on every directory, o+r on it). */
function readableByOthers(file: string): boolean {
  const real = realpathSync(file);
  if ((statSync(real).mode & 0o004) === 0) return false;
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === '/') return true;
  }
}

/** The `Uid:` or `Gid:` line of /proc/<pid>/status: real, effective, saved, filesystem ids. */
function statusIds(pid: number, field: 'Uid' | 'Gid'): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
}

describe.skipIf(!isRoot)('LocalProcessSpawner with systemUsers (needs root)', () => {
  const makeFixture = useSpawnerFixtures();
  const username = uniqueName('gh-test');
  let home: string;
  let scratch: string;
  let uid: number;
  let gid: number;
  /** The demo app as the system user can run it: from the repository when it is reachable. */
  let command: string[];

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'gatehouse-sysuser-'));
    home = path.join(scratch, 'home');
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', username]);
    uid = Number(execFileSync('id', ['-u', username], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', username], { encoding: 'utf8' }).trim());
    mkdirSync(home, { mode: 0o700 });
    execFileSync('chown', [`${uid}:${gid}`, home]);
    // mkdtemp makes the scratch directory 0700: the user must be able to walk into its home.
    execFileSync('chmod', ['0755', scratch]);
    command = [process.execPath, demoAppPath];
    if (!readableByOthers(demoAppPath)) {
      // The repository is private to root here: run a copy of the app (with its `ws` dependency).
      const packageDir = path.dirname(path.dirname(demoAppPath));
      const copy = path.join(scratch, 'app');
      for (const part of ['demo', 'package.json', 'node_modules/ws']) {
        cpSync(path.join(packageDir, part), path.join(copy, part), { recursive: true, dereference: true });
      }
      execFileSync('chmod', ['-R', 'a+rX', copy]);
      command = [process.execPath, path.join(copy, 'demo', path.basename(demoAppPath))];
      // Node itself must be runnable by the user; copying it would not be a fair test of the spawner.
      expect(readableByOthers(process.execPath)).toBe(true);
    }
  });

  afterAll(async () => {
    execFileSync('userdel', [username]);
    await rm(scratch, { recursive: true, force: true });
  });

  it('runs the server as the system account named like the hub user', async () => {
    const fixture = await makeFixture({ portRange: PORTS, systemUsers: true, command });
    const request = makeRequest(fixture.dir, username);

    const handle = await fixture.start(request);
    const pid = handle.state['pid'] as number;

    expect(statusIds(pid, 'Uid')).toEqual([uid, uid, uid, uid]);
    expect(statusIds(pid, 'Gid')).toEqual([gid, gid, gid, gid]);
    // No supplementary groups inherited from root.
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Groups:\s*$/m);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`USER=${username}`);
    expect(environ).toContain(`HOME=${home}`);
    expect(realpathSync(`/proc/${pid}/cwd`)).toBe(home);
    expect((await httpGet(handle.port, `${request.prefix}api`, tokenHeader(request.apiToken))).status).toBe(200);

    await fixture.spawner.stop(handle);
    expect(processState(pid)).toBe('gone');
  });

  it('refuses a hub user without a system account, and root', async () => {
    const fixture = await makeFixture({ portRange: PORTS, systemUsers: true });

    const missing = fixture.start(makeRequest(fixture.dir, uniqueName('gh-nobody')));
    await expect(missing).rejects.toThrow(SpawnError);
    await expect(missing).rejects.toThrow(/No system account named "gh-nobody-[0-9a-f]+"/);
    await expect(fixture.start(makeRequest(fixture.dir, 'root'))).rejects.toThrow('its uid is 0 (root)');
    // getent also resolves numeric ids: "0" must not be taken for root's name.
    await expect(fixture.start(makeRequest(fixture.dir, '0'))).rejects.toThrow('No system account named "0"');
    expect(fixture.ports.history).toEqual([]);
  });

  it('explains a missing home directory', async () => {
    const fixture = await makeFixture({ portRange: PORTS, systemUsers: true, command });
    const ghost = uniqueName('gh-test');
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent/gatehouse-home', ghost]);
    try {
      await expect(fixture.start(makeRequest(fixture.dir, ghost))).rejects.toThrow(
        `Cannot start the server in /nonexistent/gatehouse-home (HOME of "${ghost}"): no such directory`,
      );
    } finally {
      execFileSync('userdel', [ghost]);
    }
  });
});
