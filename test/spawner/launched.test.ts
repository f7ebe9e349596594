import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpawnError, type ServerHandle } from '@gatehouse/spawner';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { eventually, inlineServerCommand, makeRequest, processGroupMembers, processState, testPortRange, useSpawnerFixtures } from './helpers.ts';

const PORTS = testPortRange(7);

// The contract's launched(): the hub learns where the process is before that process can outlive
// the hub, and the server's command does not run until the hub has recorded it.

afterAll(() => cleanupTempDirs());

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
}

describe('LocalProcessSpawner launched()', () => {
  const makeFixture = useSpawnerFixtures();

  it('reports the process before its command runs, with the handle start() resolves to', async () => {
    const ran = path.join(tempDir('gatehouse-launched-'), 'command-ran');
    const traced = await makeFixture({
      portRange: PORTS,
      command: inlineServerCommand("(q, s) => s.end('ok')", { before: `require('node:fs').writeFileSync(${JSON.stringify(ran)}, '');` }),
    });
    const request = makeRequest(traced.dir);
    const seen: Array<{ handle: ServerHandle; argv: string[]; ranYet: boolean }> = [];
    const handle = await traced.start({
      ...request,
      launched(launched) {
        request.launched(launched);
        seen.push({ handle: launched, argv: cmdline(launched.state['pid'] as number), ranYet: existsSync(ran) });
      },
    });

    expect(seen).toHaveLength(1);
    expect(seen[0]?.argv[0]).toBe('/bin/sh'); // held at the gate
    expect(seen[0]?.ranYet).toBe(false);
    expect(request.launchedHandles).toEqual([JSON.parse(JSON.stringify(handle))]);
    expect(existsSync(ran)).toBe(true);
    expect(cmdline(handle.state['pid'] as number)[0]).toBe(process.execPath); // the same process, now the command
  });

  it('fails the start and leaves no process when launched() throws (the hub could not record it)', async () => {
    const fixture = await makeFixture({ portRange: PORTS });
    const request = makeRequest(fixture.dir);
    let pid: number | undefined;

    const error = await fixture
      .start({
        ...request,
        launched(handle) {
          pid = handle.state['pid'] as number;
          throw new Error('database is locked');
        },
      })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).reason).toContain('database is locked');
    expect(pid).toBeDefined();
    await eventually(() => processState(pid ?? -1) === 'gone');
    expect(processGroupMembers(pid ?? -1)).toEqual([]);
    expect(fixture.ports.claimed.size).toBe(0);
  });
});
